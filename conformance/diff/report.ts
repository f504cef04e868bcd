/**
 * The report of a differential run: a terminal summary (findings, the
 * shrunk steps, known-crash classes left out, the coverage table) and the
 * JSON form.
 *
 * @module
 */

import { coverageTable } from "./coverage.ts";
import type { DiffReport } from "./run.ts";

/**
 * The terminal summary of a run.
 *
 * @example
 * ```ts
 * import { formatSummary } from "./report.ts";
 * const text = formatSummary({
 *   a: "A", b: "B", seed: 1, programs: 1, programsRun: 1, stepsRun: 3, stepsPerProgram: 3,
 *   topologies: ["one-region"], excluded: [], findings: [],
 *   coverage: { a: new Map(), b: new Map() }, budgetSpent: false, durationMs: 5,
 * });
 * if (!text.includes("no divergence")) throw new Error(text);
 * ```
 */
export function formatSummary(r: DiffReport): string {
  const out: string[] = [];
  out.push(
    `diff: A = ${r.a}, B = ${r.b}; seed ${r.seed}; ${r.programsRun}/${r.programs} programs of up ` +
      `to ${r.stepsPerProgram} steps (${r.stepsRun} steps) on ${r.topologies.join(", ")} in ` +
      `${(r.durationMs / 1000).toFixed(1)} s${r.budgetSpent ? " (budget spent)" : ""}`,
  );
  out.push(
    r.excluded.length === 0
      ? "known crash classes: none excluded"
      : `known crash classes left out (--include-known NAME runs them):\n${
        r.excluded.map((k) => `  ${k.name}: ${k.description}`).join("\n")
      }`,
  );
  out.push("");
  if (r.findings.length === 0) out.push("no divergence, no crash");
  for (const f of r.findings) {
    out.push(
      `${f.kind === "crash" ? "CRASH" : "DIVERGENCE"}: ${f.key} (program ${f.program}, ` +
        `${f.topology}; met in ${f.occurrences} program(s); ${f.originalSteps} -> ${f.steps.length} steps, ` +
        `${f.shrinkTrials} shrink trials)`,
    );
    for (const s of f.steps) out.push(`    ${s}`);
    out.push(`  A (${r.a}):`, ...f.answerA.split("\n").map((l) => `    ${l}`));
    out.push(`  B (${r.b}):`, ...f.answerB.split("\n").map((l) => `    ${l}`));
    if (f.kind === "crash" && f.stderrTail) {
      out.push("  stderr:", ...f.stderrTail.split("\n").map((l) => `    ${l}`));
    }
    out.push("");
  }
  out.push("coverage (answers each side gave, per command):");
  out.push(coverageTable(r.coverage.a, r.coverage.b, "A", "B"));
  return out.join("\n") + "\n";
}

/**
 * The JSON form of a run (coverage as objects; fixture texts included).
 *
 * @example
 * ```ts
 * import { formatJson } from "./report.ts";
 * const text = formatJson({
 *   a: "A", b: "B", seed: 1, programs: 0, programsRun: 0, stepsRun: 0, stepsPerProgram: 3,
 *   topologies: [], excluded: [], findings: [],
 *   coverage: { a: new Map([["x", 1]]), b: new Map() }, budgetSpent: false, durationMs: 5,
 * });
 * if (JSON.parse(text).coverage.a.x !== 1) throw new Error(text);
 * ```
 */
export function formatJson(r: DiffReport): string {
  return JSON.stringify(
    {
      ...r,
      coverage: { a: Object.fromEntries(r.coverage.a), b: Object.fromEntries(r.coverage.b) },
    },
    null,
    2,
  ) + "\n";
}
