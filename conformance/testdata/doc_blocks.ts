// Fenced code blocks of a markdown file, each with the `<!-- KIND: VALUE -->`
// marker that precedes it (blank lines between allowed), for the tests that
// hold FORMAT.md's examples to the files and commands they stand for.

/** One fenced block of a markdown file. */
export interface DocBlock {
  /** The info string after the opening fence (`text`, `sh`, ...). */
  lang: string;
  /** The block's lines, each ending in a newline. */
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The marker comment just before the block, if any. */
  marker?: { kind: string; value: string };
}

const MARKER_RE = /^<!--\s*([a-z-]+):\s*(.*?)\s*-->$/;

/** Every fenced block of `markdown`, in order. */
export function docBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const out: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== "```") end++;
    if (end === lines.length) throw new Error(`line ${i + 1}: a fenced block that never closes`);
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === "") k--;
    const m = k >= 0 ? MARKER_RE.exec(lines[k]!) : null;
    const block: DocBlock = {
      lang: open[1]!,
      body: lines.slice(i + 1, end).map((l) => l + "\n").join(""),
      line: i + 1,
    };
    if (m !== null) block.marker = { kind: m[1]!, value: m[2]! };
    out.push(block);
    i = end;
  }
  return out;
}

/** Splits a shell command line into words (plain words and '...' quoted words only). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2]!);
  return words;
}
