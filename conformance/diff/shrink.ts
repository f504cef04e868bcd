/**
 * Shrinking a finding: the smallest list of steps (first dropping steps,
 * then list entries) that still ends the same way (the same divergence
 * signature, or the same side lost the same way), each trial on freshly
 * started targets.
 *
 * @module
 */

import { type DiffStep, entryList } from "./program.ts";
import { outcomeKey, type Trace } from "./execute.ts";

/** Runs a candidate list of steps on fresh targets. */
export type Replay = (steps: readonly DiffStep[]) => Promise<Trace>;

/** Limits of one shrink. */
export interface ShrinkOptions {
  /** Most trials (default 400). */
  maxTrials?: number;
  /** Stop trying after this time (`performance.now()` milliseconds). */
  deadline?: number;
}

/** A shrunk finding. */
export interface ShrinkResult {
  /** The trace of the smallest reproducing list (ends at the finding). */
  trace: Trace;
  /** Trials run. */
  trials: number;
}

/**
 * Shrinks `found` (a trace whose outcome is a divergence or a crash).
 *
 * @example
 * ```ts ignore
 * import { shrink } from "./shrink.ts";
 * const small = await shrink(trace, (steps) => executeProgram(pair, topo, args, fixedSteps(steps), []));
 * console.log(small.trace.steps.length);
 * ```
 */
export async function shrink(
  found: Trace,
  replay: Replay,
  options: ShrinkOptions = {},
): Promise<ShrinkResult> {
  const key = outcomeKey(found.outcome);
  if (key === undefined) throw new Error("shrink: the trace ends without a finding");
  const maxTrials = options.maxTrials ?? 400;
  let trials = 0;
  let best = found;
  const out = () =>
    trials >= maxTrials || (options.deadline !== undefined && performance.now() > options.deadline);
  const attempt = async (steps: DiffStep[]): Promise<boolean> => {
    if (steps.length === 0 || out()) return false;
    trials++;
    const t = await replay(steps);
    if (outcomeKey(t.outcome) !== key) return false;
    best = t;
    return true;
  };
  // Steps: chunks of halving size, to a fixed point.
  let changed = true;
  while (changed && !out()) {
    changed = false;
    for (
      let size = Math.max(1, Math.floor(best.steps.length / 2));
      size >= 1;
      size = Math.floor(size / 2)
    ) {
      let i = 0;
      while (i < best.steps.length && !out()) {
        const cur = best.steps;
        const cand = [...cur.slice(0, i), ...cur.slice(i + size)];
        if (await attempt(cand)) changed = true;
        else i += size;
      }
      if (size === 1) break;
    }
  }
  // Entries of each step's list, one at a time.
  for (let s = 0; s < best.steps.length && !out(); s++) {
    let j = 0;
    for (;;) {
      const list = entryList(best.steps[s]!);
      if (list === undefined || j >= list.length || out()) break;
      const cand = structuredClone(best.steps) as DiffStep[];
      entryList(cand[s]!)!.splice(j, 1);
      if (!(await attempt(cand))) j++;
    }
  }
  return { trace: best, trials };
}
