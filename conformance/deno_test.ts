/**
 * Fixtures as ordinary Deno tests: {@linkcode defineFixtureTests} registers
 * one test per fixture (or, with `jobs` > 1, one test per target whose steps
 * are the fixtures, run in parallel). A fixture that does not apply to the
 * target (profile, features) is registered as ignored; a fixture the
 * expectations list as failing passes when it fails and fails when it passes.
 *
 * ```ts ignore
 * // my_fixtures_test.ts
 * import { defineFixtureTests } from "@cxl-dcd/conformance/conformance";
 * import { modelTarget } from "./conformance/targets/model.ts";
 * await defineFixtureTests({ target: modelTarget(), fixtures: ["fixtures/"] });
 * ```
 *
 * @module
 */

import { loadExpectations } from "./expectations.ts";
import { DEFAULT_FIXTURES_DIR, filterFixtures, type FixtureFile, loadFixtures } from "./loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "./machines.ts";
import { formatFailure } from "./report/failure.ts";
import {
  applyExpectation,
  type FixtureResult,
  runFixture,
  type RunFixtureOptions,
  runSuite,
  skipReason,
  targetLabel,
} from "./runner.ts";
import type { Target } from "./target_types.ts";

/** Options of {@linkcode defineFixtureTests}. */
export interface FixtureTestOptions {
  /** The target to run on. */
  target: Target;
  /** Fixture files, directories or globs (default: this repository's fixtures/). */
  fixtures?: readonly string[];
  /** Fixture names are relative to this directory (default: this repository's fixtures/). */
  root?: string;
  /** Test name prefix (default: `NAME[PROFILE]`). */
  name?: string;
  /** Known failures, or a directory of `TARGET-PROFILE.json` files. */
  expectations?: ReadonlyMap<string, string> | string;
  /** Machine preset directory (default: this repository's fixtures/machines). */
  machines?: string;
  /** Only fixtures matching this filter (glob or substring, as `--filter`). */
  filter?: string;
  /** Run this many fixtures at once, as steps of one test per target (default 1: one test per fixture). */
  jobs?: number;
  /** Per-step timeout override. */
  stepTimeoutMs?: number;
  /** Whole-fixture timeout. */
  fixtureTimeoutMs?: number;
  /** Deno's sanitizers (default true). */
  sanitize?: boolean;
}

function check(r: FixtureResult): void {
  if (r.outcome === "failed") {
    throw new Error(`${r.target} ${r.fixture}\n${formatFailure(r)}`);
  }
  if (r.outcome === "unexpected-pass") {
    throw new Error(
      `${r.target} ${r.fixture} passed, but the expectations list it as failing (${r.reason}); remove the entry`,
    );
  }
}

/**
 * Registers the fixtures as Deno tests. Call it at the top level of a test
 * module with `await`.
 *
 * @example
 * ```ts ignore
 * import { defineFixtureTests } from "./deno_test.ts";
 * import { modelTarget } from "./targets/model.ts";
 * await defineFixtureTests({ target: modelTarget() });
 * ```
 */
export async function defineFixtureTests(options: FixtureTestOptions): Promise<void> {
  const presets = new MachinePresets(options.machines ?? DEFAULT_MACHINES_DIR);
  const root = options.root ?? DEFAULT_FIXTURES_DIR;
  let fixtures: FixtureFile[] = await loadFixtures(
    options.fixtures ?? [DEFAULT_FIXTURES_DIR],
    root,
  );
  if (options.filter !== undefined) fixtures = filterFixtures(fixtures, options.filter);
  const target = options.target;
  const label = options.name ?? await targetLabel(target, presets);
  const profile = /\[(.*)\]$/.exec(label)?.[1] ?? "";
  const expectations = typeof options.expectations === "string"
    ? await loadExpectations(options.expectations, target.name, profile)
    : options.expectations ?? new Map<string, string>();
  const runOptions: RunFixtureOptions = { presets };
  if (options.stepTimeoutMs !== undefined) runOptions.stepTimeoutMs = options.stepTimeoutMs;
  if (options.fixtureTimeoutMs !== undefined) {
    runOptions.fixtureTimeoutMs = options.fixtureTimeoutMs;
  }
  const sanitize = options.sanitize ?? true;
  const sanitizers = { sanitizeOps: sanitize, sanitizeResources: sanitize, sanitizeExit: sanitize };

  // Decide skips at registration time so that Deno reports them as ignored.
  const plan: { fixture: FixtureFile; skip: string | undefined }[] = [];
  for (const fixture of fixtures) {
    let skip: string | undefined;
    if (!(fixture.transcript instanceof Error)) {
      try {
        const args = await presets.resolve(fixture.transcript.header.machine);
        skip = skipReason(fixture.transcript, await target.capabilities(args));
      } catch {
        skip = undefined; // the run reports the problem
      }
    }
    plan.push({ fixture, skip });
  }
  const testName = (f: FixtureFile) => {
    const title = f.transcript instanceof Error ? "" : `: ${f.transcript.header.title}`;
    return `${label} ${f.name}${title}`;
  };

  if ((options.jobs ?? 1) <= 1) {
    for (const { fixture, skip } of plan) {
      Deno.test({
        name: testName(fixture),
        ignore: skip !== undefined,
        ...sanitizers,
        async fn() {
          const r = applyExpectation(
            await runFixture(fixture, target, label, runOptions),
            expectations,
          );
          check(r);
        },
      });
    }
    return;
  }
  Deno.test({
    name: `${label} fixtures`,
    ...sanitizers,
    async fn(t) {
      const runnable = plan.filter((p) => p.skip === undefined).map((p) => p.fixture);
      const suite = await runSuite(
        runnable,
        [{ target, label, jobs: options.jobs!, expectations }],
        runOptions,
      );
      const byName = new Map(suite.results.map((r) => [r.fixture, r]));
      for (const { fixture, skip } of plan) {
        await t.step({
          name: testName(fixture),
          ignore: skip !== undefined,
          ...sanitizers,
          fn() {
            const r = byName.get(fixture.name);
            if (r === undefined) throw new Error(`${fixture.name} did not run`);
            check(r);
          },
        });
      }
    },
  });
}
