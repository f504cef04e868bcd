/**
 * A differential run: seeded programs on two targets, topology after
 * topology, every answer compared; each new finding (a divergence class, or
 * a target lost) shrunk and written as a fixture; coverage counted; all
 * within a time budget.
 *
 * @module
 */

import { MachinePresets } from "../machines.ts";
import { DEFAULT_MACHINES_DIR } from "../machines.ts";
import { countAnswer, type Coverage } from "./coverage.ts";
import { type DiffPair, executeProgram, fixedSteps, outcomeKey, type Trace } from "./execute.ts";
import type { KnownCrash } from "./exclusions.ts";
import { answerLines, fixtureText } from "./fixture.ts";
import { nextStep } from "./generator.ts";
import { Prng, programSeed } from "./prng.ts";
import { stepText } from "./program.ts";
import { shrink } from "./shrink.ts";
import type { Topology } from "./topologies.ts";

/** Options of {@linkcode runDiff}. */
export interface DiffOptions {
  /** Programs to run. */
  programs: number;
  /** Run seed. */
  seed: number;
  /** Steps per program. */
  steps: number;
  /** Topologies, cycled through program by program. */
  topologies: readonly Topology[];
  /** Known-crash classes left out. */
  exclusions: readonly KnownCrash[];
  /** Time budget in seconds (programs stop starting, shrinking stops, when it is spent). */
  budgetSeconds?: number;
  /** Shrink findings (default true). */
  shrink?: boolean;
  /** Most shrink trials per finding (default 400). */
  maxShrinkTrials?: number;
  /** Machine presets (default: fixtures/machines). */
  presets?: MachinePresets;
  /** Progress lines (the CLI writes them to stderr). */
  onProgress?: (line: string) => void;
}

/** One finding: a divergence class or a lost target, as first met and shrunk. */
export interface Finding {
  /** `divergence` or `crash`. */
  kind: "divergence" | "crash";
  /** The class: equal keys are one finding. */
  key: string;
  /** Program index where it was first met. */
  program: number;
  /** That program's seed (`--seed` of the run, not of the program). */
  programSeed: number;
  /** Topology. */
  topology: string;
  /** Machine preset. */
  machine: string;
  /** Programs that met it. */
  occurrences: number;
  /** Steps of the program up to and including the finding. */
  originalSteps: number;
  /** The steps (as transcript lines) after shrinking. */
  steps: string[];
  /** Shrink trials run. */
  shrinkTrials: number;
  /** A's answer to the last step (transcript lines). */
  answerA: string;
  /** B's answer to the last step. */
  answerB: string;
  /** The signal, for a crash. */
  signal?: string | null;
  /** The lost target's stderr tail, for a crash. */
  stderrTail?: string;
  /** Which side was lost, for a crash. */
  side?: "a" | "b";
  /** The fixture text. */
  fixture: string;
}

/** The result of a run. */
export interface DiffReport {
  /** Target A's label. */
  a: string;
  /** Target B's label. */
  b: string;
  /** Run seed. */
  seed: number;
  /** Programs asked for. */
  programs: number;
  /** Programs run. */
  programsRun: number;
  /** Steps run on each side (shrink trials excluded). */
  stepsRun: number;
  /** Steps per program. */
  stepsPerProgram: number;
  /** Topology names. */
  topologies: string[];
  /** Known-crash classes left out, with what they are. */
  excluded: { name: string; description: string }[];
  /** Findings, in the order met. */
  findings: Finding[];
  /** Coverage per side. */
  coverage: { a: Coverage; b: Coverage };
  /** True when the budget ended the run early. */
  budgetSpent: boolean;
  /** Wall time in milliseconds. */
  durationMs: number;
}

function header(f: Omit<Finding, "fixture">, labelA: string, labelB: string, seed: number) {
  const what = f.kind === "crash"
    ? `${f.side === "a" ? labelA : labelB} was lost (${f.signal ?? "no signal"}) at the last step`
    : `${labelA} and ${labelB} answer the last step differently (${
      f.key.replace(/^divergence /, "")
    })`;
  return {
    title: `diff: ${f.key}`.slice(0, 200),
    description:
      `${what}. The expectations are A's (${labelA}) answers; B's (${labelB}) answer to ` +
      `the last step is the comment after it. Found by deno task diff --seed ${seed} (program ${f.program}, ` +
      `topology ${f.topology}), shrunk from ${f.originalSteps} to ${f.steps.length} steps.`,
    machine: f.machine,
    tags: ["diff", f.kind],
  };
}

/**
 * Runs a differential comparison.
 *
 * @example
 * ```ts ignore
 * import { runDiff } from "./run.ts";
 * const report = await runDiff(pair, { programs: 20, seed: 1, steps: 12, topologies, exclusions });
 * if (report.findings.length > 0) Deno.exitCode = 1;
 * ```
 */
export async function runDiff(pair: DiffPair, options: DiffOptions): Promise<DiffReport> {
  const t0 = performance.now();
  const deadline = options.budgetSeconds === undefined
    ? undefined
    : t0 + options.budgetSeconds * 1000;
  const presets = options.presets ?? new MachinePresets(DEFAULT_MACHINES_DIR);
  const progress = options.onProgress ?? (() => {});
  const coverage = { a: new Map<string, number>(), b: new Map<string, number>() };
  const findings: Finding[] = [];
  let stepsRun = 0;
  let programsRun = 0;
  let budgetSpent = false;
  const machines = new Map<string, string[]>();
  for (const t of options.topologies) machines.set(t.name, await presets.preset(t.preset));
  for (let i = 0; i < options.programs; i++) {
    if (deadline !== undefined && performance.now() > deadline) {
      budgetSpent = true;
      progress(`budget of ${options.budgetSeconds} s spent after ${programsRun} programs`);
      break;
    }
    const topology = options.topologies[i % options.topologies.length]!;
    const machine = machines.get(topology.name)!;
    const pseed = programSeed(options.seed, i);
    const rng = new Prng(pseed);
    const trace = await executeProgram(
      pair,
      topology,
      machine,
      (index, view) =>
        index < options.steps ? nextStep(rng, topology, view, options.exclusions) : undefined,
      options.exclusions,
    );
    programsRun++;
    stepsRun += trace.steps.length;
    trace.steps.forEach((s, k) => {
      countAnswer(coverage.a, s, trace.answersA[k]!);
      countAnswer(coverage.b, s, trace.answersB[k]!);
    });
    const key = outcomeKey(trace.outcome);
    const tag = `[${i + 1}/${options.programs}] ${topology.name}, ${trace.steps.length} steps`;
    if (key === undefined) {
      progress(`${tag}: same`);
      continue;
    }
    const known = findings.find((f) => f.key === key);
    if (known !== undefined) {
      known.occurrences++;
      progress(`${tag}: ${key} (seen before)`);
      continue;
    }
    progress(`${tag}: NEW ${key}; shrinking`);
    let small: Trace = trace;
    let trials = 0;
    if (options.shrink !== false) {
      const r = await shrink(
        trace,
        (steps) => executeProgram(pair, topology, machine, fixedSteps(steps), options.exclusions),
        {
          maxTrials: options.maxShrinkTrials ?? 400,
          ...(deadline === undefined ? {} : { deadline }),
        },
      );
      small = r.trace;
      trials = r.trials;
    }
    const last = small.steps.length - 1;
    const o = small.outcome;
    const f: Omit<Finding, "fixture"> = {
      kind: o.kind === "crash" ? "crash" : "divergence",
      key,
      program: i,
      programSeed: pseed,
      topology: topology.name,
      machine: topology.preset,
      occurrences: 1,
      originalSteps: trace.steps.length,
      steps: small.steps.map(stepText),
      shrinkTrials: trials,
      answerA: answerLines(small.steps[last]!, small.answersA[last]!, small.masked[last]!).join(
        "\n",
      ),
      answerB: answerLines(small.steps[last]!, small.answersB[last]!, small.masked[last]!).join(
        "\n",
      ),
      ...(o.kind === "crash"
        ? { signal: o.lost.signal, stderrTail: o.lost.stderrTail, side: o.side }
        : {}),
    };
    findings.push({
      ...f,
      fixture: fixtureText(small, header(f, pair.a.label, pair.b.label, options.seed), "B"),
    });
    progress(`    shrunk to ${small.steps.length} step(s) in ${trials} trials`);
  }
  return {
    a: pair.a.label,
    b: pair.b.label,
    seed: options.seed,
    programs: options.programs,
    programsRun,
    stepsRun,
    stepsPerProgram: options.steps,
    topologies: options.topologies.map((t) => t.name),
    excluded: options.exclusions.map((k) => ({ name: k.name, description: k.description })),
    findings,
    coverage,
    budgetSpent,
    durationMs: performance.now() - t0,
  };
}
