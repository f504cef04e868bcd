/**
 * Renders one failed fixture for humans: file:line, message, request,
 * expected, actual, diff and crash details.
 *
 * @module
 */

import type { FixtureResult } from "../runner.ts";

/**
 * The failure text of a result (empty when it has none).
 *
 * @example
 * ```ts
 * import { formatFailure } from "@cxl-dcd/conformance/conformance";
 * const text = formatFailure({ fixture: "a.qmp", title: "t", target: "m", profile: "seed", outcome: "failed", durationMs: 1, failure: { file: "a.qmp", line: 3, message: "boom" } });
 * if (!text.startsWith("a.qmp:3: boom")) throw new Error(text);
 * ```
 */
export function formatFailure(r: FixtureResult): string {
  const f = r.failure;
  if (f === undefined) return "";
  const out = [`${f.file}:${f.line}: ${f.message}`];
  const block = (label: string, text: string | undefined) => {
    if (text === undefined) return;
    const lines = text.split("\n");
    out.push(`  ${label}${lines[0]}`);
    for (const l of lines.slice(1)) out.push(`  ${" ".repeat(label.length)}${l}`);
  };
  block("request:  ", f.request);
  if (f.diff === undefined) {
    block("expected: ", f.expected);
    block("actual:   ", f.actual);
  } else {
    for (const l of f.diff.split("\n")) out.push(`  ${l}`);
  }
  if (f.crash !== undefined) {
    out.push(
      `  target died: ${f.crash.signal ?? `exit code ${f.crash.code}`}`,
    );
    if (f.crash.stderrTail.trim() !== "") block("stderr:   ", f.crash.stderrTail.trimEnd());
  }
  block("command:  ", f.commandLine);
  if (f.sharedAfter !== undefined && f.sharedAfter.length > 0) {
    const n = f.sharedAfter.length;
    out.push(
      `  machine:  reused: ${n} fixture(s) ran on it before, the last ${
        f.sharedAfter[n - 1]
      } (conform --isolate gives each fixture its own)`,
    );
  }
  if (f.tempDir !== undefined) {
    out.push(
      f.kept
        ? `  kept:     ${f.tempDir} (its sockets, stderr.log and command.sh are left in place)`
        : `  temp dir: ${f.tempDir} (removed; --keep leaves a failed fixture's files in place)`,
    );
  }
  return out.join("\n");
}
