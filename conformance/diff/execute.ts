/**
 * Running one program on two targets in lock step: both machines start
 * fresh, each step goes to both at once, the answers are compared, and the
 * host's view takes target A's answer. A program ends at its last step, at
 * the first divergence, when a target is lost (a crash: a finding of its
 * own), or (replaying a fixed list) at a step of an excluded class.
 *
 * @module
 */

import type { Target } from "../target_types.ts";
import { compareAnswers, type Divergence } from "./compare.ts";
import { excludedBy, type KnownCrash } from "./exclusions.ts";
import type { Answer, DiffStep, LostAnswer } from "./program.ts";
import { DiffSession } from "./session.ts";
import type { Topology } from "./topologies.ts";
import { HostView } from "./view.ts";

/** One side of a comparison. */
export interface DiffSide {
  /** Label in reports, e.g. `model[qemu-10.0]` or `qemu 11.1.3`. */
  label: string;
  /** The target. */
  target: Target;
}

/** The two targets compared; A's answers are the expectation. */
export interface DiffPair {
  /** Target A. */
  a: DiffSide;
  /** Target B. */
  b: DiffSide;
}

/** How a program ended. */
export type ProgramOutcome =
  | { kind: "same" }
  | { kind: "divergence"; index: number; divergence: Divergence }
  | { kind: "crash"; index: number; side: "a" | "b"; lost: LostAnswer; at: string }
  | { kind: "excluded"; index: number; name: string };

/** What ran, what came back, how it ended. */
export interface Trace {
  /** The steps that ran. */
  steps: DiffStep[];
  /** A's answers, one per step. */
  answersA: Answer[];
  /** B's answers, one per step. */
  answersB: Answer[];
  /** Per step: whether record timestamps were masked (the host had set the timestamp). */
  masked: boolean[];
  /** How it ended. */
  outcome: ProgramOutcome;
}

/** Where the steps come from: given the step index and A's view, the next step (or the end). */
export type StepSource = (index: number, view: HostView) => DiffStep | undefined;

/** A fixed list of steps as a source. */
export function fixedSteps(steps: readonly DiffStep[]): StepSource {
  return (index) => steps[index];
}

/**
 * Runs one program on both targets of a pair.
 *
 * @param machine the topology's QEMU arguments
 * @param exclusions known-crash classes: a step of one ends the program (`excluded`)
 */
export async function executeProgram(
  pair: DiffPair,
  topology: Topology,
  machine: readonly string[],
  source: StepSource,
  exclusions: readonly KnownCrash[],
): Promise<Trace> {
  const [sa, sb] = await Promise.all([
    DiffSession.start(pair.a.target, machine),
    DiffSession.start(pair.b.target, machine),
  ]);
  const trace: Trace = {
    steps: [],
    answersA: [],
    answersB: [],
    masked: [],
    outcome: { kind: "same" },
  };
  const view = new HostView(topology);
  try {
    for (let index = 0;; index++) {
      const step = source(index, view);
      if (step === undefined) break;
      const excluded = excludedBy(step, view, exclusions);
      if (excluded !== undefined) {
        trace.outcome = { kind: "excluded", index, name: excluded.name };
        break;
      }
      const masked = step.kind === "host" && view.device(step.device).timestampSet;
      const [a, b] = await Promise.all([sa.run(step), sb.run(step)]);
      trace.steps.push(step);
      trace.answersA.push(a);
      trace.answersB.push(b);
      trace.masked.push(masked);
      if (a.kind === "lost" || b.kind === "lost") {
        const side = a.kind === "lost" ? "a" : "b";
        trace.outcome = {
          kind: "crash",
          index,
          side,
          lost: (side === "a" ? a : b) as LostAnswer,
          at: step.kind === "qmp" ? step.execute : step.command,
        };
        break;
      }
      const divergence = compareAnswers(step, a, b, masked);
      if (divergence !== undefined) {
        trace.outcome = { kind: "divergence", index, divergence };
        break;
      }
      view.observe(step, a);
    }
  } finally {
    await Promise.all([sa.close(), sb.close()]);
  }
  return trace;
}

/** The class of an outcome, for deduplication and shrinking: equal keys, same finding. */
export function outcomeKey(outcome: ProgramOutcome): string | undefined {
  if (outcome.kind === "divergence") return `divergence ${outcome.divergence.signature}`;
  if (outcome.kind === "crash") {
    return `crash ${outcome.side} ${outcome.lost.how} at ${outcome.at}`;
  }
  return undefined;
}
