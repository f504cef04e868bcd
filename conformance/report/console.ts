/**
 * The live console reporter: on a terminal, one progress line rewritten in
 * place (colour unless `NO_COLOR` is set); otherwise plain lines, one per
 * fixture. Failures are printed in full at the end in fixture order, then the
 * summary table.
 *
 * @module
 */

import type { FixtureResult, SuiteResult } from "../runner.ts";
import { formatFailureClasses } from "./classes.ts";
import { formatFailure } from "./failure.ts";
import { formatDuration, formatSummaryTable } from "./summary.ts";

/** Where and how the console reporter writes. */
export interface ConsoleOptions {
  /** Writes text (default: stdout). */
  write?: (text: string) => void;
  /** Progress line rewritten in place (default: stdout is a terminal). */
  tty?: boolean;
  /** Colour (default: tty and `NO_COLOR` unset). */
  color?: boolean;
  /** Number of fixture runs expected, for the progress line. */
  total?: number;
}

const LABEL: Record<FixtureResult["outcome"], string> = {
  passed: "PASS",
  failed: "FAIL",
  "expected-failure": "XFAIL",
  "unexpected-pass": "XPASS",
  skipped: "SKIP",
};
const COLOR: Record<FixtureResult["outcome"], string> = {
  passed: "32",
  failed: "31",
  "expected-failure": "33",
  "unexpected-pass": "31",
  skipped: "90",
};

function noColorEnv(): boolean {
  try {
    return (Deno.env.get("NO_COLOR") ?? "") !== "";
  } catch {
    return false;
  }
}

function stopped(suite: SuiteResult): string {
  const n = suite.summaries.filter((s) => s.stopped !== undefined).length;
  return n === 0 ? "" : `; ${n} target run(s) stopped early`;
}

/** A live console reporter. */
export class ConsoleReporter {
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #color: boolean;
  #total: number;
  #done = 0;
  #failed = 0;
  #progressShown = false;

  /**
   * Creates a reporter.
   *
   * @param options where to write and whether it is a terminal
   */
  constructor(options?: ConsoleOptions) {
    options ??= {};
    const enc = new TextEncoder();
    this.#write = options.write ?? ((t) => Deno.stdout.writeSync(enc.encode(t)));
    this.#tty = options.tty ?? Deno.stdout.isTerminal();
    this.#color = options.color ?? (this.#tty && !noColorEnv());
    this.#total = options.total ?? 0;
  }

  /** Sets the number of fixture runs expected. */
  set total(n: number) {
    this.#total = n;
  }

  #paint(code: string, text: string): string {
    return this.#color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Reports one finished fixture. */
  result(r: FixtureResult): void {
    this.#done++;
    const bad = r.outcome === "failed" || r.outcome === "unexpected-pass";
    if (bad) this.#failed++;
    const label = this.#paint(COLOR[r.outcome], LABEL[r.outcome].padEnd(5));
    const extra =
      r.outcome === "skipped" || r.outcome === "expected-failure" || r.outcome === "unexpected-pass"
        ? ` (${r.reason ?? ""})`
        : r.outcome === "failed"
        ? ` (${r.failure?.file}:${r.failure?.line}: ${r.failure?.message})`
        : "";
    const line = `${label} ${r.target} ${r.fixture} ${formatDuration(r.durationMs)}${extra}`;
    if (!this.#tty) {
      this.#write(line + "\n");
      return;
    }
    // Terminal: failures scroll, everything else updates the progress line.
    if (bad) this.#write(`\r\x1b[2K${line}\n`);
    const total = this.#total > 0 ? `/${this.#total}` : "";
    const status = `[${this.#done}${total}] ${this.#failed} failed  ${r.target} ${r.fixture}`;
    const cols = (() => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 100;
      }
    })();
    this.#write(`\r\x1b[2K${status.slice(0, Math.max(20, cols - 1))}`);
    this.#progressShown = true;
  }

  /** Prints every failure in fixture order, then the summary table. */
  end(suite: SuiteResult): void {
    if (this.#progressShown) this.#write("\r\x1b[2K");
    const bad = suite.results.filter((r) =>
      r.outcome === "failed" || r.outcome === "unexpected-pass"
    );
    if (bad.length > 0) {
      this.#write(`\n${this.#paint("1", "Failures")}\n\n`);
      for (const r of bad) {
        this.#write(`${this.#paint("31", LABEL[r.outcome])} ${r.target} ${r.fixture}\n`);
        const text = r.outcome === "failed"
          ? formatFailure(r)
          : `passed, but the expectations file lists it as failing: ${r.reason ?? ""}`;
        this.#write(text.split("\n").map((l) => `  ${l}`).join("\n") + "\n\n");
      }
    }
    this.#write("\n" + formatSummaryTable(suite) + "\n");
    const classes = formatFailureClasses(suite);
    if (classes !== "") this.#write(classes + "\n");
    for (const s of suite.summaries) {
      if (s.stopped !== undefined) {
        this.#write(this.#paint("31", `\nSTOPPED ${s.target}: ${s.stopped}`) + "\n");
      }
    }
    for (const s of suite.summaries) {
      if (s.profileNote !== undefined) {
        this.#write(this.#paint("33", `\nNOTE ${s.target}: ${s.profileNote}`) + "\n");
      }
    }
    this.#write(
      suite.ok
        ? this.#paint("32", "\nok\n")
        : this.#paint("31", `\nFAILED (${bad.length}${stopped(suite)})\n`),
    );
  }
}
