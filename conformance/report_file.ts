/**
 * The report a `conform` run leaves behind however it ends: a
 * {@linkcode RunRecorder} keeps what ran as it finishes, so that a run cut
 * short (a target whose capability probe fails, SIGINT, SIGTERM or SIGHUP)
 * still yields a report of the fixtures that finished, marked as
 * interrupted in the reporter's own terms (a JSON `interrupted` member, a
 * JUnit error test case, a TAP `Bail out!`, a console line).
 *
 * @module
 */

import { ConsoleReporter } from "./report/console.ts";
import { escapeXml, formatJunit } from "./report/junit.ts";
import { formatJsonReport } from "./report/json.ts";
import { formatTap } from "./report/tap.ts";
import {
  type FixtureResult,
  type SuiteResult,
  summarise,
  type TargetInfo,
  type TargetSummary,
} from "./runner.ts";

/** The report formats `conform --reporter` offers. */
export type ReporterName = "console" | "tap" | "junit" | "json";

/** The reporter names, in the order `--help` lists them. */
export const REPORTER_NAMES: readonly ReporterName[] = ["console", "tap", "junit", "json"];

/**
 * Formats a suite as one reporter does; with `interrupted`, says the run
 * was cut short and why, in that format's own way.
 *
 * @example
 * ```ts
 * import { formatReport } from "./report_file.ts";
 * const text = formatReport({ ok: false, results: [], summaries: [] }, "json", "interrupted by SIGTERM");
 * if (JSON.parse(text).interrupted !== "interrupted by SIGTERM") throw new Error(text);
 * ```
 */
export function formatReport(
  suite: SuiteResult,
  reporter: ReporterName,
  interrupted?: string,
): string {
  if (reporter === "console") {
    let text = "";
    const plain = new ConsoleReporter({ write: (t) => (text += t), tty: false, color: false });
    for (const r of suite.results) plain.result(r);
    plain.end(suite);
    return interrupted === undefined ? text : `${text}INTERRUPTED: ${interrupted}\n`;
  }
  if (reporter === "tap") {
    const text = formatTap(suite);
    return interrupted === undefined
      ? text
      : `${text}Bail out! ${interrupted.replace(/\n/g, " ")}\n`;
  }
  if (reporter === "junit") {
    const text = formatJunit(suite);
    if (interrupted === undefined) return text;
    const message = escapeXml(interrupted);
    const testsuite =
      `  <testsuite name="interrupted" tests="1" failures="0" errors="1" skipped="0">\n` +
      `    <testcase name="the run was interrupted" classname="cxl-dcd-conformance">\n` +
      `      <error message="${message}" type="interrupted">${message}</error>\n` +
      `    </testcase>\n  </testsuite>\n`;
    return text
      .replace(
        /(<testsuites\b[^>]*?)\berrors="(\d+)"/,
        (_, head, n) => `${head}errors="${Number(n) + 1}"`,
      )
      .replace(/<\/testsuites>\s*$/, `${testsuite}</testsuites>\n`);
  }
  const text = formatJsonReport(suite);
  if (interrupted === undefined) return text;
  const { ok, ...rest } = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify({ ok, interrupted, ...rest }, null, 2) + "\n";
}

/**
 * What a suite run has done so far: the targets announced (`onTarget`) and
 * the fixtures finished (`onResult`), for a report of a run cut short.
 *
 * @example
 * ```ts
 * import { RunRecorder } from "./report_file.ts";
 * const run = new RunRecorder();
 * const suite = run.suite();
 * if (suite.ok || suite.results.length !== 0) throw new Error("nothing ran: not ok");
 * ```
 */
export class RunRecorder {
  readonly #targets: { info: TargetInfo; startedMs: number }[] = [];
  readonly #results: FixtureResult[] = [];

  /** Records that a target's fixtures start (the suite's `onTarget`). */
  target(info: TargetInfo): void {
    this.#targets.push({ info, startedMs: performance.now() });
  }

  /** Records a finished fixture (the suite's `onResult`). */
  result(result: FixtureResult): void {
    this.#results.push(result);
  }

  /** How many fixture runs finished. */
  get finished(): number {
    return this.#results.length;
  }

  /**
   * The partial suite: per target announced, its finished fixtures in the
   * order they were given (`order`: fixture names) and a summary; never ok.
   */
  suite(order: readonly string[] = []): SuiteResult {
    const rank = new Map(order.map((name, i) => [name, i]));
    const results: FixtureResult[] = [];
    const summaries: TargetSummary[] = [];
    for (const { info, startedMs } of this.#targets) {
      const mine = this.#results
        .filter((r) => r.target === info.label)
        .sort((a, b) => (rank.get(a.fixture) ?? 0) - (rank.get(b.fixture) ?? 0));
      results.push(...mine);
      summaries.push(
        summarise(info.label, mine, performance.now() - startedMs, info.capabilities),
      );
    }
    return { results, summaries, ok: false };
  }
}
