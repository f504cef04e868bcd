/**
 * Alternative selectors: the `[...]` after `<-` and `<=` in a transcript
 * (fixtures/FORMAT.md, "Per-release alternatives"). A selector says, as data,
 * which targets an alternative expectation is for: a QEMU release line or
 * range (`10.0`, `>=10.1`, `<11.1`), or a feature the target has or lacks
 * (`tag-based-release`, `!tags-in-events`). Atoms separated by commas are
 * alternatives (any may match); `&` joins atoms that must all match.
 *
 * Release atoms compare the *release line* of the profile the target runs
 * under (major.minor): a 10.1.50 development tree judged as `qemu-10.1`
 * matches `10.1` and `>=10.1`, not `>=10.2`.
 *
 * @module
 */

import type { ReleaseLine } from "../../model/profile.ts";

export type { ReleaseLine };

/** What a selector is evaluated against. */
export interface SelectorContext {
  /** The release line of the target's profile. */
  release: ReleaseLine;
  /** The target's feature names (conformance/features). */
  features: ReadonlySet<string>;
}

/** Comparison of a release atom. */
export type ReleaseOp = "=" | ">=" | ">" | "<=" | "<";

/** One atom of a selector. */
export type SelectorAtom =
  | { kind: "release"; op: ReleaseOp; line: ReleaseLine }
  | { kind: "feature"; name: string; negated: boolean };

/** A parsed selector: any of the conjunctions may match. */
export interface Selector {
  /** The selector as written, without brackets (for messages and record mode). */
  text: string;
  /** Alternatives (comma-separated), each a conjunction of atoms (`&`-joined). */
  anyOf: SelectorAtom[][];
}

const RELEASE_RE = /^(>=|<=|>|<|=)?([0-9]+)\.([0-9]+)$/;
const FEATURE_RE = /^(!?)([a-z][a-z0-9-]*)$/;

/** A malformed selector; the message says what was expected. */
export class SelectorError extends Error {
  /**
   * Creates the error.
   *
   * @param message what was wrong and what was expected
   */
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}

/**
 * Parses a selector (the text between the brackets).
 *
 * @param text e.g. `>=10.1`, `10.0, 10.1`, `tags-in-events & >=10.1`
 * @param knownFeatures feature names an atom may name (others are an error)
 *
 * @example
 * ```ts
 * import { parseSelector } from "@cxl-dcd/conformance/conformance";
 * const s = parseSelector(">=10.1, !tags-in-events", new Set(["tags-in-events"]));
 * if (s.anyOf.length !== 2) throw new Error("two alternatives");
 * ```
 *
 * @throws {SelectorError} for an empty selector, an unknown feature or a malformed atom.
 */
export function parseSelector(text: string, knownFeatures: ReadonlySet<string>): Selector {
  const anyOf: SelectorAtom[][] = [];
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") {
    throw new SelectorError(
      "empty selector '[]': expected a release (10.0, >=10.1, <11.1) or a feature (tag-based-release, !tags-in-events)",
    );
  }
  for (const part of parts) {
    const all: SelectorAtom[] = [];
    for (const raw of part.split("&").map((a) => a.trim())) {
      if (raw === "") {
        throw new SelectorError(
          `empty atom in selector '${text}': expected atoms separated by ',' (any) or '&' (all)`,
        );
      }
      const atom = raw.replace(/\s+/g, "");
      const r = RELEASE_RE.exec(atom);
      if (r !== null) {
        all.push({
          kind: "release",
          op: (r[1] ?? "=") as ReleaseOp,
          line: { major: Number(r[2]), minor: Number(r[3]) },
        });
        continue;
      }
      const f = FEATURE_RE.exec(atom);
      if (f !== null) {
        const name = f[2]!;
        if (!knownFeatures.has(name)) {
          throw new SelectorError(
            `unknown feature '${name}' in selector '${text}': expected a release such as 10.0 or >=10.1, or one of ${
              [...knownFeatures].sort().join(", ")
            }`,
          );
        }
        all.push({ kind: "feature", name, negated: f[1] === "!" });
        continue;
      }
      throw new SelectorError(
        `'${raw}' in selector '${text}': expected a release (10.0, >=10.1, <11.1) or a feature name (optionally with '!')`,
      );
    }
    anyOf.push(all);
  }
  return { text: parts.join(", "), anyOf };
}

/** Compares two release lines (negative, 0, positive). */
export function compareRelease(a: ReleaseLine, b: ReleaseLine): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

function atomMatches(atom: SelectorAtom, ctx: SelectorContext): boolean {
  if (atom.kind === "feature") return ctx.features.has(atom.name) !== atom.negated;
  const c = compareRelease(ctx.release, atom.line);
  switch (atom.op) {
    case "=":
      return c === 0;
    case ">=":
      return c >= 0;
    case ">":
      return c > 0;
    case "<=":
      return c <= 0;
    case "<":
      return c < 0;
  }
}

/**
 * Whether a selector matches a target.
 *
 * @example
 * ```ts
 * import { parseSelector, selectorMatches } from "@cxl-dcd/conformance/conformance";
 * const s = parseSelector(">=10.1", new Set());
 * const ctx = { release: { major: 11, minor: 1 }, features: new Set<string>() };
 * if (!selectorMatches(s, ctx)) throw new Error("11.1 is >= 10.1");
 * ```
 */
export function selectorMatches(selector: Selector, ctx: SelectorContext): boolean {
  return selector.anyOf.some((all) => all.every((a) => atomMatches(a, ctx)));
}

/** `major.minor` of a release line. */
export function formatRelease(line: ReleaseLine): string {
  return `${line.major}.${line.minor}`;
}
