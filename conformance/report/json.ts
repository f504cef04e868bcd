/**
 * JSON output: the whole suite result (results in fixture order per target,
 * summaries), stable for machines to read.
 *
 * @module
 */

import type { SuiteResult } from "../runner.ts";

/**
 * Formats a suite as pretty-printed JSON (durations rounded to 0.1 ms).
 *
 * @example
 * ```ts
 * import { formatJsonReport } from "@cxl-dcd/conformance/conformance";
 * const v = JSON.parse(formatJsonReport({ ok: true, results: [], summaries: [] }));
 * if (v.ok !== true) throw new Error();
 * ```
 */
export function formatJsonReport(suite: SuiteResult): string {
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return JSON.stringify(
    {
      ok: suite.ok,
      summaries: suite.summaries.map((s) => ({ ...s, durationMs: round(s.durationMs) })),
      results: suite.results.map((r) => ({ ...r, durationMs: round(r.durationMs) })),
    },
    null,
    2,
  ) + "\n";
}
