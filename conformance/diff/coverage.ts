/**
 * Coverage of a run: which QMP replies (each distinct error message) and
 * which mailbox return codes (per command) each side reached, counted.
 *
 * @module
 */

import { returnCodeName } from "../host/return_codes.ts";
import type { Answer, DiffStep } from "./program.ts";
import { replyOf } from "./program.ts";

/** Counts per answer class (`cxl-add-dynamic-capacity: error 'extent range...'`, `add-dc-response: INVALID_PA`). */
export type Coverage = Map<string, number>;

/** The coverage class of one answer to one step. */
export function coverageKey(step: DiffStep, answer: Answer): string {
  if (answer.kind === "lost") {
    return `${step.kind === "qmp" ? step.execute : step.command}: lost (${answer.how})`;
  }
  if (step.kind === "host" && answer.kind === "host") {
    return `${step.command}: ${returnCodeName(answer.rc)}`;
  }
  if (answer.kind === "qmp" && step.kind === "qmp") {
    const r = replyOf(answer);
    if (r === undefined || "return" in r) return `${step.execute}: return`;
    const e = r["error"];
    const desc = e !== null && typeof e === "object" && !Array.isArray(e) ? e["desc"] : e;
    return `${step.execute}: error '${String(desc)}'`;
  }
  return "mismatched answer";
}

/** Counts one answer. */
export function countAnswer(coverage: Coverage, step: DiffStep, answer: Answer): void {
  const k = coverageKey(step, answer);
  coverage.set(k, (coverage.get(k) ?? 0) + 1);
}

/**
 * The coverage table: one row per class either side reached, with both counts.
 *
 * @example
 * ```ts
 * import { coverageTable } from "./coverage.ts";
 * const t = coverageTable(new Map([["x: SUCCESS", 2]]), new Map(), "A", "B");
 * if (!t.includes("x: SUCCESS") || !t.includes("only A")) throw new Error(t);
 * ```
 */
export function coverageTable(a: Coverage, b: Coverage, labelA: string, labelB: string): string {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const wa = Math.max(labelA.length, 6), wb = Math.max(labelB.length, 6);
  const rows = [`${labelA.padStart(wa)}  ${labelB.padStart(wb)}  answer`];
  for (const k of keys) {
    const x = a.get(k) ?? 0, y = b.get(k) ?? 0;
    const note = x === 0 ? "  (only B)" : y === 0 ? "  (only A)" : "";
    rows.push(`${String(x).padStart(wa)}  ${String(y).padStart(wb)}  ${k}${note}`);
  }
  return rows.join("\n");
}
