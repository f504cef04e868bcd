// fixtures/FORMAT.md against the code: its example transcripts are catalogue
// fixtures (byte for byte) that pass on the model; its requests-then-record
// walk-through, run as written, records the committed fixture; its tables of
// header keys, features, selector atoms and matchers are what the loader and
// the matcher accept.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { join } from "node:path";
import { PROFILES, withSeed } from "../model/profile.ts";
import { FEATURES } from "./features.ts";
import { DEFAULT_FIXTURES_DIR, loadFixtures } from "./loader.ts";
import { match } from "./matchers.ts";
import { qemuBuilds } from "./qemu/test_util.ts";
import { runFixture } from "./runner.ts";
import { modelTarget } from "./targets/model.ts";
import { type DocBlock, docBlocks, shellWords } from "./testdata/doc_blocks.ts";
import { parseTranscript, TranscriptError } from "./transcript/parse.ts";
import { FEATURE_NAMES } from "./transcript/parse.ts";
import { parseSelector } from "./transcript/selector.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const FORMAT = join(DEFAULT_FIXTURES_DIR, "FORMAT.md");
const EXAMPLES_DIR = "format-examples";
/** The path FORMAT.md's walk-through writes to (the user's new fixture). */
const WALKTHROUGH_FILE = "fixtures/host/offer-accept-release.qmp";

const markdown = await Deno.readTextFile(FORMAT);
const blocks = docBlocks(markdown);
const transcriptBlocks = blocks.filter((b) => b.lang === "text");

function where(b: DocBlock): string {
  return `fixtures/FORMAT.md:${b.line}`;
}

function section(title: string): string {
  const at = markdown.indexOf(`\n## ${title}\n`);
  assert(at >= 0, `FORMAT.md has no section '## ${title}'`);
  const next = markdown.indexOf("\n## ", at + 1);
  return markdown.slice(at, next === -1 ? undefined : next);
}

/** The first column's backticked names of the table under `heading` text in `text`. */
function tableKeys(text: string, firstHeader: string): string[] {
  const lines = text.split("\n");
  const head = lines.findIndex((l) => new RegExp(`^\\|\\s*${firstHeader}\\s*\\|`).test(l));
  assert(head >= 0, `no table with first column '${firstHeader}'`);
  const keys: string[] = [];
  for (let i = head + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    const cell = lines[i]!.split("|")[1]!;
    for (const m of cell.matchAll(/`([^`]+)`/g)) keys.push(m[1]!);
  }
  return keys;
}

Deno.test("every transcript block in FORMAT.md is a catalogue fixture, byte for byte", async () => {
  assert(transcriptBlocks.length >= 4, `only ${transcriptBlocks.length} transcript blocks`);
  const shown = new Set<string>();
  for (const b of transcriptBlocks) {
    const kind = b.marker?.kind;
    assert(
      kind === "fixture" || kind === "requests-of",
      `${
        where(b)
      }: a transcript block without '<!-- fixture: PATH -->' or '<!-- requests-of: PATH -->' before it: expected every example to be a fixture`,
    );
    const path = b.marker!.value;
    shown.add(path);
    const file = await Deno.readTextFile(join(DEFAULT_FIXTURES_DIR, path));
    if (kind === "fixture") {
      assert(b.body === file, `${where(b)}: the block differs from fixtures/${path}`);
    } else {
      const t = parseTranscript(b.body, where(b));
      const answers = t.steps.filter((s) => s.kind !== "send" && s.kind !== "host");
      assertEquals(answers, [], `${where(b)}: a requests-only block holds expectations`);
    }
  }
  const examples = (await loadFixtures([join(DEFAULT_FIXTURES_DIR, EXAMPLES_DIR)]))
    .map((f) => f.name);
  assertEquals(
    examples.filter((n) => !shown.has(n)),
    [],
    `fixtures in ${EXAMPLES_DIR}/ that FORMAT.md neither shows nor records`,
  );
});

Deno.test("every FORMAT.md example fixture passes on the model under every profile", async () => {
  const paths = transcriptBlocks.filter((b) => b.marker?.kind === "fixture")
    .map((b) => join(DEFAULT_FIXTURES_DIR, b.marker!.value));
  const fixtures = await loadFixtures(paths);
  let runs = 0;
  for (const profile of [...Object.values(PROFILES), withSeed(PROFILES["qemu-11.1"]!)]) {
    for (const f of fixtures) {
      const r = await runFixture(f, modelTarget({ profile }), `model[${profile.name}]`);
      assertEquals(r.outcome, "passed", `${f.name} on ${profile.name}: ${r.failure?.message}`);
      runs++;
    }
  }
  assert(runs >= 3 * 6, `only ${runs} runs`);
});

function walkthrough(kind: string): string[][] {
  const b = blocks.find((x) => x.marker?.kind === "walkthrough" && x.marker.value === kind);
  assert(b !== undefined, `FORMAT.md has no '<!-- walkthrough: ${kind} -->' block`);
  const commands = b.body.split("\n").filter((l) => l.trim() !== "").map(shellWords);
  for (const c of commands) {
    assert(c[0] === "deno" && c[1] === "task", `${where(b)}: '${c.join(" ")}' is no deno task`);
    assert(c.at(-1) === WALKTHROUGH_FILE, `${where(b)}: '${c.join(" ")}' names another file`);
  }
  return commands;
}

/** Runs the walk-through's commands on a copy of the requests-only block; returns the file. */
async function runWalkthrough(commands: string[][], substitute: (w: string) => string) {
  const requests = transcriptBlocks.find((b) => b.marker?.kind === "requests-of");
  assert(requests !== undefined, "FORMAT.md has no requests-only block");
  const dir = await Deno.makeTempDir({ prefix: "cxl-format-walkthrough-" });
  try {
    const file = join(dir, "offer-accept-release.qmp");
    await Deno.writeTextFile(file, requests.body);
    for (const words of commands) {
      const args = words.slice(1).map((w) => (w === WALKTHROUGH_FILE ? file : substitute(w)));
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: ROOT,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, `'${words.join(" ")}' exited ${out.code}:\n${text}`);
      if (words.includes("--dry-run")) {
        assert(text.includes(": unchanged ("), `'${words.join(" ")}' changed the file:\n${text}`);
      }
    }
    return { recorded: await Deno.readTextFile(file), expected: requests.marker!.value };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FORMAT.md's model walk-through records the committed fixture and it passes", async () => {
  const commands = walkthrough("model");
  assert(commands.some((c) => c.includes("--alternative")), "the walk-through adds no alternative");
  const { recorded, expected } = await runWalkthrough(commands, (w) => w);
  const committed = await Deno.readTextFile(join(DEFAULT_FIXTURES_DIR, expected));
  assert(
    recorded === committed,
    `recording FORMAT.md's requests as the walk-through says does not give fixtures/${expected}`,
  );
});

const builds = qemuBuilds("FORMAT.md's walk-through on QEMU");
const build100 = builds.find((b) =>
  b.profile.release.major === 10 && b.profile.release.minor === 0
);
const build111 = builds.find((b) =>
  b.profile.release.major === 11 && b.profile.release.minor === 1
);
Deno.test({
  name: build100 === undefined || build111 === undefined
    ? "FORMAT.md's QEMU walk-through (skipped: needs a QEMU 10.0.x and an 11.1.x build in CXL_DCD_QEMU_BUILDS)"
    : `FORMAT.md's QEMU walk-through on ${build100.label} and ${build111.label} records the committed fixture`,
  ignore: build100 === undefined || build111 === undefined,
  async fn() {
    const commands = walkthrough("qemu");
    const paths: Record<string, string> = {
      "/usr/bin/qemu-system-x86_64": build100!.binary,
      "/path/to/qemu-11.1/qemu-system-x86_64": build111!.binary,
    };
    const { recorded, expected } = await runWalkthrough(commands, (w) => paths[w] ?? w);
    const committed = await Deno.readTextFile(join(DEFAULT_FIXTURES_DIR, expected));
    assert(recorded === committed, `QEMU's recording differs from fixtures/${expected}`);
  },
});

Deno.test("FORMAT.md's header table lists exactly the header keys the loader accepts", () => {
  let accepted: string[] = [];
  try {
    parseTranscript("# title: x\n# no-such-key: y\n-> {}\n", "x.qmp");
  } catch (e) {
    assert(e instanceof TranscriptError);
    const m = /expected one of (.*)$/.exec(e.message);
    assert(m !== null, `unexpected message: ${e.message}`);
    accepted = m[1]!.split(", ");
  }
  assertEquals(tableKeys(section("Header"), "key").sort(), accepted.sort());
});

Deno.test("FORMAT.md's feature table is exactly the features requires and selectors accept", () => {
  const named = tableKeys(section("Header"), "feature");
  assertEquals([...named].sort(), Object.keys(FEATURES).sort());
  for (const f of named) parseTranscript(`# title: x\n# requires: !${f}\n-> {}\n`, "x.qmp");
});

Deno.test("every selector FORMAT.md shows parses", () => {
  const text = section("Per-release alternatives");
  const atoms = tableKeys(text, "atom");
  const joined = [...text.matchAll(/\(`([^`]*&[^`]*)`\)/g)].map((m) => m[1]!);
  assert(atoms.length >= 7 && joined.length >= 1, `atoms ${atoms} joined ${joined}`);
  for (const s of [...atoms, ...joined]) parseSelector(s, FEATURE_NAMES);
});

Deno.test("every matcher FORMAT.md's table names is one the matcher knows", () => {
  const names = tableKeys(section("Matchers"), "form")
    .filter((k) => /^"\$[a-z.]+"$/.test(k)).map((k) => k.slice(1, -1));
  assert(names.length >= 8, `only ${names.length} matchers found: ${names}`);
  assertEquals(match({ "$regex": "a+" }, "aa"), undefined);
  assertEquals(match({ "$unordered": [1, 2] }, [2, 1]), undefined);
  assertEquals(match({ "...": "...", "a": 1 }, { a: 1, b: 2 }), undefined);
  for (const n of names) {
    // A known matcher answers (match or mismatch); an unknown one throws.
    match(
      n,
      1,
      "$",
      { "version.major": 1, "version.minor": 1, "version.micro": 1, "version.package": 1 } as never,
    );
  }
  let threw = false;
  try {
    match("$no-such-matcher", 1);
  } catch {
    threw = true;
  }
  assert(threw, "an unknown matcher must be an error");
});
