/**
 * Scheduling a suite: one target after the other, each with `jobs`
 * fixtures at once, results kept in fixture order whatever the completion
 * order; fail-fast, and a stop at once when a shared endpoint is gone.
 *
 * @module
 */

import type { FixtureFile } from "../loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import type { Target, TargetCapabilities } from "../target_types.ts";
import { applyExpectation } from "./expectation_apply.ts";
import { runFixture } from "./fixture_run.ts";
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

/**
 * Runs fixtures on several targets, one target after the other, each with
 * `jobs` fixtures at once; results are in fixture order whatever the
 * completion order. On a shared endpoint (a target with `checkAlive`), a
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
    let next = 0;
    let gone: string | undefined;
    const worker = async () => {
      while (next < fixtures.length) {
        const k = next++;
        const fx = fixtures[k]!;
        if (stop) {
          slots[k] = notRun(fx, label, "not run (fail-fast)");
          continue;
        }
        if (gone !== undefined) {
          slots[k] = notRun(fx, label, `not run: ${gone}`);
          continue;
        }
        let r = await runFixture(fx, st.target, label, runOptions);
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
    await Promise.all(Array.from({ length: jobs }, worker));
    const results = slots.filter((r): r is FixtureResult => r !== undefined);
    all.push(...results);
    const summary = summarise(label, results, now() - t0, caps);
    if (gone !== undefined) summary.stopped = gone;
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
