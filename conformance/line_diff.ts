/**
 * A line diff that resynchronises: Myers' O(ND) shortest edit script over
 * lines, shown in unified style (`-` expected, `+` actual, two spaces for
 * context) with hunks of three context lines. A one-line change inside a
 * long record shows as that line removed and added, the rest as context.
 *
 * @module
 */

/** One line of an edit script. */
export interface DiffLine {
  /** `=` in both, `-` only expected, `+` only actual. */
  op: "=" | "-" | "+";
  /** The line. */
  text: string;
}

/**
 * The shortest edit script turning `a` into `b` (Myers 1986), common lines
 * included; deletions come before insertions within a change. Past
 * `maxEdits` differences the middle is given up on and shown as all removed
 * then all added.
 *
 * @example
 * ```ts
 * import { diffLines } from "./line_diff.ts";
 * const d = diffLines(["a", "b", "c"], ["a", "x", "c"]);
 * if (d.map((l) => l.op).join("") !== "=-+=") throw new Error(JSON.stringify(d));
 * ```
 */
export function diffLines(
  a: readonly string[],
  b: readonly string[],
  maxEdits = 2000,
): DiffLine[] {
  // Common prefix and suffix first: they are most of a record.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre && suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  ) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const out: DiffLine[] = a.slice(0, pre).map((text) => ({ op: "=", text }));
  out.push(...middle(am, bm, maxEdits));
  for (const text of a.slice(a.length - suf)) out.push({ op: "=", text });
  return out;
}

function middle(a: readonly string[], b: readonly string[], maxEdits: number): DiffLine[] {
  const n = a.length, m = b.length;
  if (n === 0) return b.map((text) => ({ op: "+", text }));
  if (m === 0) return a.map((text) => ({ op: "-", text }));
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
        ? v[offset + k + 1]!
        : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) {
    return [
      ...a.map((text): DiffLine => ({ op: "-", text })),
      ...b.map((text): DiffLine => ({ op: "+", text })),
    ];
  }
  // Walk back through the saved frontiers.
  const rev: DiffLine[] = [];
  let x = n, y = m;
  for (let d = found; d > 0; d--) {
    const pv = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && pv[offset + k - 1]! < pv[offset + k + 1]!)
      ? k + 1
      : k - 1;
    const px = pv[offset + prevK]!;
    const py = px - prevK;
    while (x > px && y > py) rev.push({ op: "=", text: a[--x]! }), y--;
    if (x === px) rev.push({ op: "+", text: b[--y]! });
    else rev.push({ op: "-", text: a[--x]! });
  }
  while (x > 0 && y > 0) rev.push({ op: "=", text: a[--x]! }), y--;
  rev.reverse();
  return deletionsFirst(rev);
}

/** Within each run of changes, deletions before insertions (unified style). */
function deletionsFirst(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    out.push(...dels, ...adds);
    dels = [];
    adds = [];
  };
  for (const l of lines) {
    if (l.op === "-") dels.push(l);
    else if (l.op === "+") adds.push(l);
    else {
      flush();
      out.push(l);
    }
  }
  flush();
  return out;
}

/**
 * A unified-style view of the differences: `--- expected`, `+++ actual`,
 * then each hunk (changed lines with `context` lines around them; `@@` lines
 * between hunks). Runs of more than `cap` removed or added lines are cut.
 * Empty when the lines are equal.
 *
 * @example
 * ```ts
 * import { unifiedLineDiff } from "./line_diff.ts";
 * const d = unifiedLineDiff(["{", '"a": 1,', '"b": 2,', '"c": 3', "}"], ["{", '"a": 1,', '"b": 9,', '"c": 3', "}"]);
 * if (d.filter((l) => l.startsWith("-") || l.startsWith("+")).length !== 4) throw new Error(d.join("\n"));
 * ```
 */
export function unifiedLineDiff(
  expected: readonly string[],
  actual: readonly string[],
  cap = 40,
  context = 3,
): string[] {
  const script = diffLines(expected, actual);
  if (script.every((l) => l.op === "=")) return [];
  const show = new Array<boolean>(script.length).fill(false);
  script.forEach((l, i) => {
    if (l.op === "=") return;
    for (let j = Math.max(0, i - context); j <= Math.min(script.length - 1, i + context); j++) {
      show[j] = true;
    }
  });
  const out = ["--- expected", "+++ actual"];
  let run: { op: string; n: number } = { op: "=", n: 0 };
  let shownAny = false;
  for (let i = 0; i < script.length; i++) {
    if (!show[i]) continue;
    if (shownAny && !show[i - 1]) out.push("@@");
    shownAny = true;
    const l = script[i]!;
    if (l.op === run.op) run.n++;
    else run = { op: l.op, n: 1 };
    if (l.op !== "=" && run.n > cap) {
      const nextSame = script[i + 1]?.op === l.op;
      if (!nextSame) {
        out.push(`${l.op} ... (${run.n - cap} more lines)`);
      }
      continue;
    }
    out.push(`${l.op === "=" ? " " : l.op} ${l.text}`);
  }
  return out;
}
