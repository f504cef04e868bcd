/**
 * Finding and loading fixtures: directories (recursively, `*.qmp`), files and
 * globs; filtering by name, title or glob; deterministic sharding.
 *
 * @module
 */

import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parseTranscript } from "./transcript/parse.ts";
import type { Transcript } from "./transcript/types.ts";

/** A fixture file: its name for reports and its parsed transcript (or why it did not parse). */
export interface FixtureFile {
  /** Absolute path. */
  path: string;
  /** Name in reports and expectations: the path relative to the fixtures root, `/`-separated. */
  name: string;
  /** The parsed transcript, or the parse error (reported as a failure). */
  transcript: Transcript | Error;
}

/** The repository's fixtures directory. */
export const DEFAULT_FIXTURES_DIR: string = new URL("../fixtures", import.meta.url).pathname;

const GLOB_CHARS = /[*?[]/;

/**
 * Converts a glob (`*`, `**`, `?`, `[...]`) to an anchored regular expression
 * over `/`-separated paths.
 *
 * @example
 * ```ts
 * import { globToRegExp } from "@cxl-dcd/conformance/conformance";
 * if (!globToRegExp("host/**\/*.qmp").test("host/a/b.qmp")) throw new Error();
 * if (globToRegExp("*.qmp").test("a/b.qmp")) throw new Error();
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        i++;
        if (glob[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end === -1) re += "\\[";
      else {
        re += "[" + glob.slice(i + 1, end).replace(/^!/, "^").replaceAll("\\", "\\\\") + "]";
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) await walk(p, out);
    else if (e.isFile && e.name.endsWith(".qmp")) out.push(p);
  }
}

function toSlash(p: string): string {
  return sep === "/" ? p : p.split(sep).join("/");
}

/**
 * Expands paths, directories and globs to `.qmp` files (absolute, sorted, unique).
 *
 * @example
 * ```ts
 * import { findFixtureFiles } from "@cxl-dcd/conformance/conformance";
 * const files = await findFixtureFiles([new URL("./testdata", import.meta.url).pathname]);
 * if (files.length === 0) throw new Error("no fixtures");
 * ```
 *
 * @throws {Error} when a path does not exist or a glob matches nothing.
 */
export async function findFixtureFiles(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pat of patterns) {
    if (GLOB_CHARS.test(pat)) {
      // Walk from the longest literal directory prefix.
      const parts = toSlash(pat).split("/");
      const lit: string[] = [];
      for (const part of parts) {
        if (GLOB_CHARS.test(part)) break;
        lit.push(part);
      }
      const base = resolve(lit.length === 0 ? "." : lit.join("/") || "/");
      const re = globToRegExp(toSlash(resolve(pat)));
      const all: string[] = [];
      try {
        await walk(base, all);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      const hits = all.filter((f) => re.test(toSlash(f)));
      if (hits.length === 0) throw new Error(`no fixture matches '${pat}': expected *.qmp files`);
      hits.forEach((h) => found.add(h));
      continue;
    }
    const abs = resolve(pat);
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(abs);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Error(
          `fixture path '${pat}' does not exist: expected a .qmp file, a directory or a glob`,
        );
      }
      throw e;
    }
    if (st.isDirectory) {
      const all: string[] = [];
      await walk(abs, all);
      all.forEach((f) => found.add(f));
    } else found.add(abs);
  }
  return [...found].sort();
}

/**
 * The report name of a fixture: relative to `root` when inside it, else relative to the
 * working directory (or absolute), `/`-separated.
 */
export function fixtureName(path: string, root: string): string {
  const rel = relative(resolve(root), path);
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return toSlash(rel);
  const cwdRel = relative(Deno.cwd(), path);
  return toSlash(cwdRel.startsWith("..") ? path : cwdRel);
}

/**
 * Loads and parses fixtures. Parse errors are kept (reported as failures), not thrown.
 *
 * @example
 * ```ts
 * import { loadFixtures } from "@cxl-dcd/conformance/conformance";
 * const dir = new URL("./testdata", import.meta.url).pathname;
 * const fx = await loadFixtures([dir], dir);
 * if (!fx.every((f) => f.name.endsWith(".qmp"))) throw new Error();
 * ```
 */
export async function loadFixtures(
  patterns: readonly string[],
  root?: string,
): Promise<FixtureFile[]> {
  const base = root ?? DEFAULT_FIXTURES_DIR;
  const files = await findFixtureFiles(patterns);
  const out = await Promise.all(files.map(async (path): Promise<FixtureFile> => {
    const name = fixtureName(path, base);
    let transcript: Transcript | Error;
    try {
      transcript = parseTranscript(await Deno.readTextFile(path), name);
    } catch (e) {
      transcript = e instanceof Error ? e : new Error(String(e));
    }
    return { path, name, transcript };
  }));
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Keeps fixtures whose name matches `filter`: a glob when it has glob
 * characters (`*`, `?`, `[`), else a substring of the name or the title.
 *
 * @example
 * ```ts
 * import { filterFixtures } from "@cxl-dcd/conformance/conformance";
 * const fx = [{ path: "/a.qmp", name: "host/a.qmp", transcript: new Error("x") }];
 * if (filterFixtures(fx, "host/*").length !== 1) throw new Error();
 * ```
 */
export function filterFixtures(fixtures: readonly FixtureFile[], filter: string): FixtureFile[] {
  if (GLOB_CHARS.test(filter)) {
    const re = globToRegExp(filter);
    return fixtures.filter((f) => re.test(f.name));
  }
  const needle = filter.toLowerCase();
  return fixtures.filter((f) =>
    f.name.toLowerCase().includes(needle) ||
    (!(f.transcript instanceof Error) && f.transcript.header.title.toLowerCase().includes(needle))
  );
}

/**
 * Parses a `--shard i/n` value (1-based).
 *
 * @throws {RangeError} unless 1 <= i <= n.
 */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new RangeError(`shard '${text}': expected i/n with 1 <= i <= n, e.g. 2/4`);
  }
  return { index, count };
}

/**
 * The fixtures of shard `index` of `count` (1-based): every count-th fixture in
 * sorted-name order, so shards are disjoint, cover everything, and do not
 * depend on the order fixtures were found in.
 *
 * @example
 * ```ts
 * import { shardFixtures } from "@cxl-dcd/conformance/conformance";
 * const fx = ["c", "a", "b"].map((n) => ({ path: n, name: n, transcript: new Error() }));
 * if (shardFixtures(fx, 1, 2).map((f) => f.name).join() !== "a,c") throw new Error();
 * ```
 */
export function shardFixtures<T extends { name: string }>(
  fixtures: readonly T[],
  index: number,
  count: number,
): T[] {
  const sorted = [...fixtures].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return sorted.filter((_, k) => k % count === index - 1);
}
