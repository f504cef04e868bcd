/**
 * Reporters: the live console, TAP 14, JUnit XML, JSON, the summary table
 * and the failure text they share.
 *
 * @module
 */

export { type ConsoleOptions, ConsoleReporter } from "./console.ts";
export { formatFailure } from "./failure.ts";
export { formatJsonReport } from "./json.ts";
export { escapeXml, formatJunit } from "./junit.ts";
export { formatDuration, formatSummaryTable } from "./summary.ts";
export { formatTap } from "./tap.ts";
