/**
 * The per-target summary table (passed, failed, expected failure, unexpected
 * pass, skipped) and the skip reasons, as plain text.
 *
 * @module
 */

import type { SuiteResult } from "../runner.ts";

/**
 * Renders the summary table of a suite, one row per target run, followed by
 * the skip reasons with counts.
 *
 * @example
 * ```ts
 * import { formatSummaryTable } from "@cxl-dcd/conformance/conformance";
 * const text = formatSummaryTable({ ok: true, results: [], summaries: [{ target: "model[seed]", profile: "seed", passed: 3, failed: 0, expectedFailures: 0, unexpectedPasses: 0, skipped: 0, skipReasons: {}, durationMs: 5 }] });
 * if (!text.includes("model[seed]")) throw new Error(text);
 * ```
 */
export function formatSummaryTable(suite: SuiteResult): string {
  const head = ["target", "passed", "failed", "xfail", "xpass", "skipped", "time"];
  const rows = suite.summaries.map((s) => [
    s.target,
    String(s.passed),
    String(s.failed),
    String(s.expectedFailures),
    String(s.unexpectedPasses),
    String(s.skipped),
    formatDuration(s.durationMs),
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join("  ").trimEnd();
  const out = [fmt(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(fmt)];
  for (const s of suite.summaries) {
    const reasons = Object.entries(s.skipReasons).sort((a, b) =>
      b[1] - a[1] || (a[0] < b[0] ? -1 : 1)
    );
    if (reasons.length > 0) {
      out.push("", `skipped on ${s.target}:`);
      for (const [why, n] of reasons) out.push(`  ${String(n).padStart(4)}  ${why}`);
    }
    if (s.machines !== undefined) {
      out.push(
        "",
        `machines on ${s.target}: ${s.machines.started} started; ${s.machines.reused} fixture(s) ` +
          "ran on a machine that earlier fixtures left as they found it (--isolate starts one " +
          "per fixture)",
      );
    }
  }
  return out.join("\n");
}

/** Milliseconds as `850ms` or `12.3s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
