/**
 * Expectations applied to results: a fixture the expectations file lists
 * as failing becomes an expected failure when it fails (by the expected
 * signal, when the reason names one) and an unexpected pass when it passes.
 *
 * @module
 */

import type { FixtureResult } from "./types.ts";

/**
 * Applies an expectations entry to a result: a listed failure becomes an
 * expected failure, a listed pass an unexpected pass. A reason that starts
 * with a signal name and a colon (`SIGSEGV: ...`) expects the target to die
 * by that signal: any other failure (the target never started, never
 * greeted, died otherwise or answered wrongly) stays a failure, and says why.
 *
 * @example
 * ```ts
 * import { applyExpectation, type FixtureResult } from "@cxl-dcd/conformance/conformance";
 * const failed: FixtureResult = {
 *   fixture: "a.qmp", title: "a", target: "qemu[qemu-10.0]", profile: "qemu-10.0",
 *   outcome: "failed", durationMs: 1, failure: { file: "a.qmp", line: 1, message: "boom" },
 * };
 * const crash = new Map([["a.qmp", "SIGSEGV: QEMU crashes here"]]);
 * if (applyExpectation(failed, crash).outcome !== "failed") throw new Error("no crash happened");
 * ```
 */
export function applyExpectation(
  r: FixtureResult,
  expectations: ReadonlyMap<string, string> | undefined,
): FixtureResult {
  const reason = expectations?.get(r.fixture);
  if (reason === undefined) return r;
  if (r.outcome === "failed") {
    const signal = /^(SIG[A-Z0-9]+):/.exec(reason)?.[1];
    const crash = r.failure?.crash;
    if (signal !== undefined && crash?.signal !== signal && r.failure !== undefined) {
      const how = crash === undefined
        ? "it did not die"
        : `it ended by ${crash.signal ?? `exit code ${crash.code}`}`;
      return {
        ...r,
        failure: {
          ...r.failure,
          message:
            `${r.failure.message} [the expectations file expects death by ${signal} here (${reason}), and ${how}]`,
        },
      };
    }
    return { ...r, outcome: "expected-failure", reason };
  }
  if (r.outcome === "passed") return { ...r, outcome: "unexpected-pass", reason };
  return r;
}

export type { FixtureResult } from "./types.ts";
