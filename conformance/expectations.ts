/**
 * Expectations files (`fixtures/expectations/TARGET-PROFILE.json`): fixtures
 * known to fail on a target, each with its reason.
 *
 * @module
 */

import { join } from "node:path";

/** Known failures: fixture path (relative to the fixtures root, `/` separated) → reason. */
export type Expectations = ReadonlyMap<string, string>;

/**
 * Parses an expectations file's text.
 *
 * @example
 * ```ts
 * import { parseExpectations } from "@cxl-dcd/conformance/conformance";
 * const e = parseExpectations('{"host/a.qmp": "crashes"}', "x.json");
 * if (e.get("host/a.qmp") !== "crashes") throw new Error();
 * ```
 *
 * @throws {SyntaxError} naming the file when it is not an object of strings.
 */
export function parseExpectations(text: string, file: string): Map<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(
      `${file}: not JSON (${(e as Error).message}): expected {"fixture.qmp": "reason", ...}`,
    );
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new SyntaxError(`${file}: expected a JSON object {"fixture.qmp": "reason", ...}`);
  }
  const out = new Map<string, string>();
  for (const [k, r] of Object.entries(v as Record<string, unknown>)) {
    if (typeof r !== "string" || r.trim() === "") {
      throw new SyntaxError(`${file}: the reason for '${k}' must be a non-empty string`);
    }
    out.set(k, r);
  }
  return out;
}

/**
 * The expectations file name for a target and profile, e.g.
 * `qemu-qemu-10.0.json`; every `qmp:ADDR` endpoint shares `qmp-PROFILE.json`.
 *
 * @example
 * ```ts
 * import { expectationsFileName } from "@cxl-dcd/conformance/conformance";
 * if (expectationsFileName("qmp:unix:/tmp/q.sock", "seed") !== "qmp-seed.json") throw new Error();
 * ```
 */
export function expectationsFileName(target: string, profile: string): string {
  const name = target.startsWith("qmp:") ? "qmp" : target.replace(/[^A-Za-z0-9._-]+/g, "_");
  return `${name}-${profile}.json`;
}

/**
 * Loads `DIR/TARGET-PROFILE.json`; an absent file means no known failures.
 *
 * @example
 * ```ts
 * import { loadExpectations } from "@cxl-dcd/conformance/conformance";
 * const e = await loadExpectations("/nonexistent", "model", "seed");
 * if (e.size !== 0) throw new Error();
 * ```
 */
export async function loadExpectations(
  dir: string,
  target: string,
  profile: string,
): Promise<Map<string, string>> {
  const file = join(dir, expectationsFileName(target, profile));
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Map();
    throw e;
  }
  return parseExpectations(text, file);
}

/** The stock expectations directory: `fixtures/expectations` of this repository. */
export const DEFAULT_EXPECTATIONS_DIR: string =
  new URL("../fixtures/expectations", import.meta.url).pathname;
