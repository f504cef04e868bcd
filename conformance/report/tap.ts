/**
 * TAP version 14 output (readable by TAP 13 consumers): one test point per
 * fixture and target, skips as `# SKIP`, expected failures as `# TODO`, and
 * failure details as a YAML diagnostic block.
 *
 * @module
 */

import type { FixtureResult, SuiteResult } from "../runner.ts";

function escapeDesc(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("#", "\\#").replaceAll("\n", " ");
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

function point(n: number, r: FixtureResult): string[] {
  const desc = escapeDesc(`${r.target} ${r.fixture}`);
  switch (r.outcome) {
    case "passed":
      return [`ok ${n} - ${desc}`];
    case "skipped":
      return [`ok ${n} - ${desc} # SKIP ${escapeDesc(r.reason ?? "")}`];
    case "expected-failure":
      return [`not ok ${n} - ${desc} # TODO ${escapeDesc(r.reason ?? "known failure")}`];
    case "unexpected-pass":
      return [
        `not ok ${n} - ${desc}`,
        "  ---",
        `  message: ${
          yamlString(`passed, but the expectations file lists it as failing: ${r.reason ?? ""}`)
        }`,
        "  ...",
      ];
    case "failed": {
      const f = r.failure;
      const out = [`not ok ${n} - ${desc}`, "  ---"];
      if (f !== undefined) {
        out.push(
          `  message: ${yamlString(f.message)}`,
          `  at: ${yamlString(`${f.file}:${f.line}`)}`,
        );
        if (f.request !== undefined) out.push(`  request: ${yamlString(f.request)}`);
        if (f.expected !== undefined) out.push(`  expected: ${yamlString(f.expected)}`);
        if (f.actual !== undefined) out.push(`  actual: ${yamlString(f.actual)}`);
        if (f.diff !== undefined) out.push(`  diff: ${yamlString(f.diff)}`);
        if (f.crash !== undefined) {
          out.push(`  crash: ${yamlString(f.crash.signal ?? `exit code ${f.crash.code}`)}`);
          out.push(`  stderr: ${yamlString(f.crash.stderrTail)}`);
        }
        if (f.commandLine !== undefined) out.push(`  command: ${yamlString(f.commandLine)}`);
        if (f.tempDir !== undefined) {
          out.push(`  ${f.kept ? "kept" : "tempDir"}: ${yamlString(f.tempDir)}`);
        }
      }
      out.push("  ...");
      return out;
    }
  }
}

/**
 * Formats a suite as TAP 14.
 *
 * @example
 * ```ts
 * import { formatTap } from "@cxl-dcd/conformance/conformance";
 * const tap = formatTap({ ok: true, summaries: [], results: [{ fixture: "a.qmp", title: "a", target: "model[seed]", profile: "seed", outcome: "passed", durationMs: 1 }] });
 * if (!tap.includes("ok 1 - model[seed] a.qmp")) throw new Error(tap);
 * ```
 */
export function formatTap(suite: SuiteResult): string {
  const out = ["TAP version 14", `1..${suite.results.length}`];
  suite.results.forEach((r, k) => out.push(...point(k + 1, r)));
  for (const s of suite.summaries) {
    out.push(
      `# ${s.target}: ${s.passed} passed, ${s.failed} failed, ${s.expectedFailures} expected failure(s), ${s.unexpectedPasses} unexpected pass(es), ${s.skipped} skipped`,
    );
  }
  return out.join("\n") + "\n";
}
