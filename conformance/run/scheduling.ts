/**
 * Scheduling a suite: one target after the other, each with `jobs`
 * fixtures at once, results kept in fixture order whatever the completion
 * order; fail-fast, and a stop at once when a shared endpoint is gone. Each
 * worker has its own machine pool (unless `isolate`), so fixtures that leave
 * their machine as they found it share machines on targets that renew them.
 *
 * @module
 */

import type { FixtureFile } from "../loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import type { Target, TargetCapabilities } from "../target_types.ts";
import { applyExpectation } from "./expectation_apply.ts";
import { runFixture, skipReason } from "./fixture_run.ts";
import { expectsStartupError, MachinePool, ownMachineReason } from "./machine_pool.ts";
import { SpareMachines } from "./spare_machines.ts";
import { summarise } from "./summary.ts";
import type {
  FixtureResult,
  RunFixtureOptions,
  SuiteOptions,
  SuiteResult,
  SuiteTarget,
  TargetSummary,
} from "./types.ts";

const now = (): number => performance.now();

async function probeMachine(presets: MachinePresets): Promise<string[]> {
  try {
    return await presets.preset("dcd-1x2g");
  } catch {
    return []; // no preset directory: capabilities of an empty machine
  }
}

function labelOf(target: Target, caps: TargetCapabilities): string {
  return `${target.name}[${caps.profile}]`;
}

/** A run label for a target: `NAME[PROFILE]`. */
export async function targetLabel(target: Target, presets: MachinePresets): Promise<string> {
  return labelOf(target, await target.capabilities(await probeMachine(presets)));
}

function notRun(fx: FixtureFile, label: string, reason: string): FixtureResult {
  return {
    fixture: fx.name,
    title: fx.transcript instanceof Error ? "" : fx.transcript.header.title,
    target: label,
    profile: "",
    outcome: "skipped",
    reason,
    durationMs: 0,
  };
}

/** In which order a pooled run takes the fixtures, and the machine each one starts of its own. */
interface MachinePlan {
  /** Fixture indices, those of one machine description together (first appearance order). */
  order: number[];
  /**
   * By fixture index: the arguments of the machine it starts for itself
   * (runs, expects no start-up error, cannot share); absent otherwise.
   */
  fresh: (readonly string[] | undefined)[];
}

/**
 * Groups the fixtures by machine description when `group` (so a worker's
 * kept machine serves the next fixture that may share it; a fail-fast run
 * keeps the fixtures' order, so what it did not run is what came after the
 * failure), and notes which fixtures start a machine of their own, so the
 * next one can be started ahead.
 */
async function machinePlan(
  fixtures: readonly FixtureFile[],
  presets: MachinePresets,
  caps: TargetCapabilities,
  group: boolean,
): Promise<MachinePlan> {
  const keys: string[] = [];
  const fresh: (readonly string[] | undefined)[] = new Array(fixtures.length);
  for (let k = 0; k < fixtures.length; k++) {
    const t = fixtures[k]!.transcript;
    keys.push("");
    if (t instanceof Error) continue;
    let args: string[];
    try {
      args = await presets.resolve(t.header.machine);
    } catch {
      continue; // reported by the fixture itself
    }
    keys[k] = JSON.stringify(args);
    if (
      skipReason(t, caps) === undefined && ownMachineReason(t) !== undefined &&
      !expectsStartupError(t)
    ) {
      fresh[k] = args;
    }
  }
  const first = new Map<string, number>();
  keys.forEach((key, k) => {
    if (!first.has(key)) first.set(key, k);
  });
  const order = fixtures.map((_, k) => k);
  if (group) order.sort((a, b) => first.get(keys[a]!)! - first.get(keys[b]!)! || a - b);
  return { order, fresh };
}

/**
 * Runs fixtures on several targets, one target after the other, each with
 * `jobs` fixtures at once; results are in fixture order whatever the
 * completion order. Unless `options.isolate`, each worker keeps a machine
 * that a fixture left as it found it for the next such fixture of the same
 * machine description, on targets whose machines renew (QEMU); the summary
 * counts the machines started and the fixtures that reused one. On a shared
 * endpoint (a target with `checkAlive`), a
 * failure is followed by a check that it still answers; when it does not,
 * the rest of its fixtures are not run and its summary says why.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "@cxl-dcd/conformance/conformance";
 * const suite = await runSuite(fixtures, [{ target }]);
 * if (!suite.ok) Deno.exitCode = 1;
 * ```
 */
export async function runSuite(
  fixtures: readonly FixtureFile[],
  targets: readonly SuiteTarget[],
  options?: SuiteOptions,
): Promise<SuiteResult> {
  options ??= {};
  const presets = options.presets ?? new MachinePresets(DEFAULT_MACHINES_DIR);
  const runOptions: RunFixtureOptions = { ...options, presets };
  const all: FixtureResult[] = [];
  const summaries: TargetSummary[] = [];
  let stop = false;
  for (const st of targets) {
    const t0 = now();
    const caps = await st.target.capabilities(await probeMachine(presets));
    const label = st.label ?? labelOf(st.target, caps);
    options.onTarget?.({ label, capabilities: caps });
    const slots: (FixtureResult | undefined)[] = new Array(fixtures.length);
    const pooled = caps.costlyStarts === true && options.isolate !== true;
    const plan = pooled
      ? await machinePlan(fixtures, presets, caps, options.failFast !== true)
      : { order: fixtures.map((_, k) => k), fresh: [] };
    let next = 0;
    let gone: string | undefined;
    const spares = pooled
      ? new SpareMachines(st.target, options.keep ? { keepFailed: true } : {})
      : undefined;
    // The machine of the next fixture not yet taken that will start one of its own.
    const upcoming = () => {
      for (let i = next; i < plan.order.length; i++) {
        const args = plan.fresh[plan.order[i]!];
        if (args !== undefined) return args;
      }
      return undefined;
    };
    const pools: MachinePool[] = [];
    const worker = async () => {
      const pool = pooled ? new MachinePool(st.target, spares, upcoming) : undefined;
      if (pool !== undefined) pools.push(pool);
      const fixtureOptions = pool === undefined ? runOptions : { ...runOptions, pool };
      try {
        await work(fixtureOptions);
      } finally {
        await pool?.drain();
      }
    };
    const work = async (fixtureOptions: RunFixtureOptions) => {
      while (next < plan.order.length) {
        const k = plan.order[next++]!;
        const fx = fixtures[k]!;
        if (stop) {
          slots[k] = notRun(fx, label, "not run (fail-fast)");
          continue;
        }
        if (gone !== undefined) {
          slots[k] = notRun(fx, label, `not run: ${gone}`);
          continue;
        }
        let r = await runFixture(fx, st.target, label, fixtureOptions);
        if (r.outcome === "failed" && st.target.checkAlive !== undefined && gone === undefined) {
          const dead = await st.target.checkAlive();
          if (dead !== undefined && gone === undefined) gone = dead;
        }
        r = applyExpectation(r, st.expectations);
        slots[k] = r;
        if (options.failFast && (r.outcome === "failed" || r.outcome === "unexpected-pass")) {
          stop = true;
        }
        options.onResult?.(r);
      }
    };
    const jobs = Math.max(1, Math.min(st.jobs ?? 1, fixtures.length));
    try {
      await Promise.all(Array.from({ length: jobs }, worker));
    } finally {
      await spares?.drain();
    }
    const results = slots.filter((r): r is FixtureResult => r !== undefined);
    all.push(...results);
    const summary = summarise(label, results, now() - t0, caps);
    if (gone !== undefined) summary.stopped = gone;
    const reused = pools.reduce((n, p) => n + p.reuses, 0);
    if (pooled) {
      summary.machines = {
        started: pools.reduce((n, p) => n + p.starts, 0) + (spares?.wasted ?? 0),
        reused,
      };
    }
    summaries.push(summary);
  }
  return {
    results: all,
    summaries,
    ok: summaries.every((s) =>
      s.failed === 0 && s.unexpectedPasses === 0 && s.stopped === undefined
    ),
  };
}
