/**
 * The failure-class section of a report: per target, one line per class of
 * failures (or expected failures) that share a cause, with its count and up
 * to three example fixtures.
 *
 * @module
 */

import type { FailureClass, SuiteResult } from "../runner.ts";

/** Example fixtures shown per class. */
const EXAMPLES = 3;

/**
 * One class as one line: count, outcome, description and examples.
 *
 * @example
 * ```ts
 * import { formatFailureClass } from "./classes.ts";
 * const line = formatFailureClass({
 *   outcome: "failed", description: "died (killed by SIGSEGV) after cxl-add-dynamic-capacity",
 *   count: 4, fixtures: ["a.qmp", "b.qmp", "c.qmp", "d.qmp"],
 * });
 * if (!line.includes("4  FAIL ") || !line.includes("(a.qmp, b.qmp, c.qmp, ...)")) throw new Error(line);
 * ```
 */
export function formatFailureClass(c: FailureClass): string {
  const shown = c.fixtures.slice(0, EXAMPLES).join(", ") +
    (c.fixtures.length > EXAMPLES ? ", ..." : "");
  const outcome = c.outcome === "failed" ? "FAIL " : "XFAIL";
  return `${String(c.count).padStart(4)}  ${outcome} ${c.description}  (${shown})`;
}

/**
 * The failure-class section of a suite ('' when nothing failed): a heading
 * per target with failures, then one line per class, largest first.
 *
 * @example
 * ```ts
 * import { formatFailureClasses } from "./classes.ts";
 * if (formatFailureClasses({ ok: true, results: [], summaries: [] }) !== "") throw new Error();
 * ```
 */
export function formatFailureClasses(suite: SuiteResult): string {
  const out: string[] = [];
  for (const s of suite.summaries) {
    const classes = s.failureClasses ?? [];
    if (classes.length === 0) continue;
    const fixtures = classes.reduce((n, c) => n + c.count, 0);
    out.push(
      "",
      `failure classes on ${s.target}: ${classes.length} class(es) over ${fixtures} fixture(s)`,
    );
    for (const c of classes) out.push(formatFailureClass(c));
  }
  return out.join("\n");
}
