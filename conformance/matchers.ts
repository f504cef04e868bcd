/**
 * Matching observed QMP messages (and decoded host outputs) against a
 * transcript's expected JSON, with the matcher forms of fixtures/FORMAT.md,
 * and a readable diff when they differ.
 *
 * @module
 */

import { unifiedLineDiff } from "./line_diff.ts";
import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { formatJsonForTranscript, stringifyJson } from "./transcript/json.ts";

/** A mismatch: where the first difference is and what was there. */
export interface Mismatch {
  /** JSON path of the first difference, e.g. `$.return.records[0].type`. */
  path: string;
  /** What was expected there (a value or a description of the matcher). */
  expected: string;
  /** What was there. */
  actual: string;
}

/** The result of a match: `undefined` when it matched. */
export type MatchResult = Mismatch | undefined;

/**
 * Values a fixture takes from the target rather than pinning them, by name:
 * `"$version.major"`, `"$version.minor"`, `"$version.micro"` and
 * `"$version.package"` match exactly what the target reports in
 * `query-version` (see {@linkcode targetValues}).
 */
export type TargetValues = Readonly<Record<string, QmpValue>>;

/** The names a `$NAME` target-value matcher may use. */
export const TARGET_VALUE_NAMES: readonly string[] = [
  "version.major",
  "version.minor",
  "version.micro",
  "version.package",
];

/**
 * The target values of a reported version.
 *
 * @example
 * ```ts
 * import { match, targetValues } from "@cxl-dcd/conformance/conformance";
 * const values = targetValues({ major: 11, minor: 1, micro: 3, package: "Debian 1:11.1.3+ds-2~bpo13+1" });
 * if (match({ micro: "$version.micro" }, { micro: 3 }, "$", values) !== undefined) throw new Error();
 * ```
 */
export function targetValues(
  version: { major: number; minor: number; micro: number; package: string },
): TargetValues {
  return {
    "version.major": version.major,
    "version.minor": version.minor,
    "version.micro": version.micro,
    "version.package": version.package,
  };
}

const NO_VALUES: TargetValues = {};

function isObject(v: QmpValue | undefined): v is QmpObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function show(v: QmpValue | undefined): string {
  if (v === undefined) return "(absent)";
  const s = stringifyJson(v);
  return s.length > 200 ? s.slice(0, 197) + "..." : s;
}

function kind(v: QmpValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "bigint") return "number";
  return typeof v;
}

function numEq(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  // bigint vs number: equal only for integral numbers of the same value.
  const n = typeof a === "number" ? a : b as number;
  const big = typeof a === "bigint" ? a : b as bigint;
  return Number.isInteger(n) && BigInt(n) === big;
}

function isNonNegInt(v: QmpValue | undefined): boolean {
  return (typeof v === "number" && Number.isInteger(v) && v >= 0) ||
    (typeof v === "bigint" && v >= 0n);
}

function memberPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
    ? `${path}.${key}`
    : `${path}[${JSON.stringify(key)}]`;
}

const regexCache = new Map<string, RegExp>();
function anchored(re: string): RegExp {
  let r = regexCache.get(re);
  if (r === undefined) {
    r = new RegExp(`^(?:${re})$`, "s");
    regexCache.set(re, r);
  }
  return r;
}

/**
 * Matches `actual` against `expected` (FORMAT.md matchers: `"$any"`,
 * `"$timestamp"`, `"$number"`, `"$string"`, `{"$regex": RE}`,
 * `"...": "..."`, `{"$unordered": [...]}`, `"$$"` for a literal `$`).
 *
 * @param expected the expectation, with matchers
 * @param actual the value the target answered
 * @param path where `expected` sits in the whole document (default `"$"`)
 * @param values the target's values `$name` matchers compare with (default: none)
 *
 * @returns `undefined` when it matches, else the first difference.
 *
 * @example
 * ```ts
 * import { match } from "@cxl-dcd/conformance/conformance";
 * const m = match({ return: { status: "$string", "...": "..." } }, { return: { status: "running", running: true } });
 * if (m !== undefined) throw new Error(m.path);
 * ```
 */
export function match(
  expected: QmpValue,
  actual: QmpValue | undefined,
  path?: string,
  values?: TargetValues,
): MatchResult {
  path ??= "$";
  values ??= NO_VALUES;
  if (typeof expected === "string" && expected.startsWith("$")) {
    if (expected.startsWith("$$")) return literal(expected.slice(1), actual, path, values);
    const name = expected.slice(1);
    if (TARGET_VALUE_NAMES.includes(name)) {
      const want = values[name];
      if (want === undefined) {
        return { path, expected: `the target's ${name} (not known here)`, actual: show(actual) };
      }
      const m = literal(want, actual, path, values);
      return m === undefined
        ? undefined
        : { ...m, expected: `${show(want)} (the target's ${name})` };
    }
    switch (expected) {
      case "$any":
        return actual === undefined
          ? { path, expected: "any value", actual: "(absent)" }
          : undefined;
      case "$number":
        return typeof actual === "number" || typeof actual === "bigint"
          ? undefined
          : { path, expected: "a number", actual: show(actual) };
      case "$string":
        return typeof actual === "string"
          ? undefined
          : { path, expected: "a string", actual: show(actual) };
      case "$timestamp": {
        const ok = isObject(actual) && Object.keys(actual).length === 2 &&
          isNonNegInt(actual.seconds) && isNonNegInt(actual.microseconds);
        return ok ? undefined : {
          path,
          expected: 'a timestamp {"seconds": N, "microseconds": N}',
          actual: show(actual),
        };
      }
      default:
        throw new SyntaxError(
          `unknown matcher ${
            JSON.stringify(expected)
          } at ${path}: expected $any, $timestamp, $number, $string, ${
            TARGET_VALUE_NAMES.map((n) => "$" + n).join(", ")
          }, or "$$..." for a literal string starting with '$'`,
        );
    }
  }
  if (isObject(expected)) {
    const keys = Object.keys(expected);
    if (keys.length === 1 && keys[0] === "$regex") {
      const re = expected.$regex;
      if (typeof re !== "string") {
        throw new SyntaxError(`{"$regex": ...} at ${path}: expected a string pattern`);
      }
      return typeof actual === "string" && anchored(re).test(actual)
        ? undefined
        : { path, expected: `a string matching /${re}/`, actual: show(actual) };
    }
    if (keys.length === 1 && keys[0] === "$unordered") {
      const items = expected.$unordered;
      if (!Array.isArray(items)) {
        throw new SyntaxError(`{"$unordered": ...} at ${path}: expected an array`);
      }
      if (!Array.isArray(actual)) {
        return { path, expected: `an array (any order) of ${items.length}`, actual: show(actual) };
      }
      return matchUnordered(items, actual, path, values);
    }
  }
  return literal(expected, actual, path, values);
}

function literal(
  expected: QmpValue,
  actual: QmpValue | undefined,
  path: string,
  values: TargetValues,
): MatchResult {
  if (actual === undefined) return { path, expected: show(expected), actual: "(absent)" };
  if (typeof expected === "number" || typeof expected === "bigint") {
    return (typeof actual === "number" || typeof actual === "bigint") && numEq(expected, actual)
      ? undefined
      : { path, expected: show(expected), actual: show(actual) };
  }
  if (expected === null || typeof expected !== "object") {
    return expected === actual
      ? undefined
      : { path, expected: show(expected), actual: show(actual) };
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return { path, expected: `an array of ${expected.length}`, actual: show(actual) };
    }
    const n = Math.min(expected.length, actual.length);
    for (let k = 0; k < n; k++) {
      const m = match(expected[k]!, actual[k]!, `${path}[${k}]`, values);
      if (m !== undefined) return m;
    }
    if (expected.length !== actual.length) {
      return {
        path: `${path}[${n}]`,
        expected: expected.length > n ? show(expected[n]!) : "(end of array)",
        actual: actual.length > n ? show(actual[n]!) : "(end of array)",
      };
    }
    return undefined;
  }
  if (!isObject(actual)) return { path, expected: `an ${kind(expected)}`, actual: show(actual) };
  const open = expected["..."] === "...";
  for (const k of Object.keys(expected)) {
    if (k === "..." && open) continue;
    const m = match(
      expected[k]!,
      Object.hasOwn(actual, k) ? actual[k]! : undefined,
      memberPath(path, k),
      values,
    );
    if (m !== undefined) return m;
  }
  if (!open) {
    for (const k of Object.keys(actual)) {
      if (!Object.hasOwn(expected, k)) {
        return { path: memberPath(path, k), expected: "(absent)", actual: show(actual[k]!) };
      }
    }
  }
  return undefined;
}

/**
 * Matches an array against expected elements in any order (a maximum
 * bipartite matching, so a loose matcher never steals an element a strict
 * one needs).
 *
 * @param expected the expected elements, in any order
 * @param actual the elements the target answered
 * @param path where the array sits in the whole document (default `"$"`)
 * @param values the target's values `$name` matchers compare with (default: none)
 *
 * @example
 * ```ts
 * import { matchUnordered } from "@cxl-dcd/conformance/conformance";
 * if (matchUnordered(["$any", 1], [1, 2]) !== undefined) throw new Error();
 * ```
 */
export function matchUnordered(
  expected: readonly QmpValue[],
  actual: readonly QmpValue[],
  path?: string,
  values?: TargetValues,
): MatchResult {
  path ??= "$";
  values ??= NO_VALUES;
  if (expected.length !== actual.length) {
    return {
      path,
      expected: `${expected.length} element(s) in any order`,
      actual: `${actual.length} element(s): ${show(actual as QmpValue[])}`,
    };
  }
  const n = expected.length;
  const ok: boolean[][] = expected.map((e) =>
    actual.map((a) => match(e, a, "$", values) === undefined)
  );
  const owner = new Array<number>(n).fill(-1); // actual index -> expected index
  const tryAssign = (e: number, seen: boolean[]): boolean => {
    for (let a = 0; a < n; a++) {
      if (!ok[e]![a] || seen[a]) continue;
      seen[a] = true;
      if (owner[a] === -1 || tryAssign(owner[a]!, seen)) {
        owner[a] = e;
        return true;
      }
    }
    return false;
  };
  for (let e = 0; e < n; e++) {
    if (!tryAssign(e, new Array<boolean>(n).fill(false))) {
      // Report against the closest candidate: the first unowned actual element.
      const free = owner.findIndex((o) => o === -1);
      const detail = match(expected[e]!, actual[free === -1 ? 0 : free]!, `${path}[?]`, values);
      return {
        path: detail?.path ?? `${path}[?]`,
        expected: `an element matching ${show(expected[e]!)}` +
          (detail ? ` (closest differs: expected ${detail.expected})` : ""),
        actual: show(actual as QmpValue[]),
      };
    }
  }
  return undefined;
}

/**
 * The expected value with every part that the actual value satisfies
 * replaced by that part of the actual value (member order of the expected
 * value kept): what is left differs for real.
 *
 * @example
 * ```ts
 * import { settleMatched } from "./matchers.ts";
 * const s = settleMatched({ t: "$timestamp", n: 1 }, { t: { seconds: 1, microseconds: 2 }, n: 2 });
 * if (JSON.stringify(s) !== '{"t":{"seconds":1,"microseconds":2},"n":1}') throw new Error(JSON.stringify(s));
 * ```
 */
export function settleMatched(
  expected: QmpValue,
  actual: QmpValue | undefined,
  values: TargetValues = NO_VALUES,
): QmpValue {
  if (actual === undefined) return expected;
  if (match(expected, actual, "$", values) === undefined) return actual;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return expected.map((e, k) => k < actual.length ? settleMatched(e, actual[k]!, values) : e);
  }
  if (
    isObject(expected) && isObject(actual) &&
    !Object.keys(expected).some((k) => k.startsWith("$"))
  ) {
    const out: Record<string, QmpValue> = {};
    for (const [k, e] of Object.entries(expected)) {
      out[k] = k === "..." || !Object.hasOwn(actual, k) ? e : settleMatched(e, actual[k]!, values);
    }
    return out;
  }
  return expected;
}

/**
 * Renders a mismatch readably: the path of the first difference, expected
 * vs actual there, and a unified-style view of both documents around it.
 *
 * @param m the mismatch {@linkcode match} returned
 * @param expected the whole expectation
 * @param actual the whole answer
 * @param values the target's values the match used (default: none)
 *
 * @example
 * ```ts
 * import { formatMismatch, match } from "@cxl-dcd/conformance/conformance";
 * const m = match({ a: 1 }, { a: 2 })!;
 * if (!formatMismatch(m, { a: 1 }, { a: 2 }).includes("$.a")) throw new Error();
 * ```
 */
export function formatMismatch(
  m: Mismatch,
  expected: QmpValue,
  actual: QmpValue,
  values?: TargetValues,
): string {
  values ??= NO_VALUES;
  const out = [
    `first difference at ${m.path}:`,
    `  expected: ${m.expected}`,
    `  actual:   ${m.actual}`,
  ];
  // Parts the actual value satisfies (a "$timestamp", a "$regex") are shown as the actual
  // value, so that the diff's lines are the real differences only.
  const diff = unifiedDiff(
    formatJsonForTranscript(settleMatched(expected, actual, values), 100).split("\n"),
    formatJsonForTranscript(actual, 100).split("\n"),
  );
  if (diff.length > 0) out.push(...diff);
  return out.join("\n");
}

/**
 * A unified-style line diff that resynchronises (Myers' shortest edit
 * script, see `line_diff.ts`): changed lines as `-`/`+` with three lines of
 * context, `@@` between hunks, runs longer than `cap` cut.
 *
 * @param expected the expected lines
 * @param actual the actual lines
 * @param cap the longest run of changed lines shown (default 40)
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "@cxl-dcd/conformance/conformance";
 * const d = unifiedDiff(["a", "b"], ["a", "c"]);
 * if (!d.includes("- b") || !d.includes("+ c")) throw new Error(d.join("\n"));
 * ```
 */
export function unifiedDiff(
  expected: readonly string[],
  actual: readonly string[],
  cap?: number,
): string[] {
  cap ??= 40;
  return unifiedLineDiff(expected, actual, cap);
}
