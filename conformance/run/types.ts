/**
 * The runner's result and option types: how a fixture ended on a target,
 * the failing step's details, per-target summaries and failure classes.
 *
 * @module
 */

import type { MachinePresets } from "../machines.ts";
import type {
  StartOptions,
  Target,
  TargetCapabilities,
  TargetExit,
  TargetInstance,
} from "../target_types.ts";

/** How a fixture ended on one target. */
export type Outcome =
  | "passed"
  | "failed"
  | "expected-failure"
  | "unexpected-pass"
  | "skipped";

/** Details of a failed step. */
export interface StepFailure {
  /** Fixture file name. */
  file: string;
  /** 1-based line of the failing step (or of the file's first line). */
  line: number;
  /** What went wrong, in one line. */
  message: string;
  /** The request the failing step answers (a QMP line or a host command). */
  request?: string;
  /**
   * The command of that request: a QMP `execute` name, a host command name
   * (`get-event-records`), `start-up` or `negotiation`; what failure classes
   * group crashes by.
   */
  command?: string;
  /** The kind of the failing step (`expect`, `host`, `startup-error`, ...). */
  stepKind?: string;
  /** The path of the first difference, when a value differed (`$.data.records[0].type`). */
  path?: string;
  /** What was expected (JSON or text). */
  expected?: string;
  /** What came back. */
  actual?: string;
  /** A readable diff (first difference path, unified view). */
  diff?: string;
  /** Set when the target died: how. */
  crash?: TargetExit;
  /** The exact command line of the target process, shell-quoted (runnable under gdb). */
  commandLine?: string;
  /** The target's private temporary directory (sockets, logs). */
  tempDir?: string;
  /** True when `tempDir` was left in place (`--keep`). */
  kept?: boolean;
  /**
   * The fixtures that ran on the same machine before this one, oldest first,
   * when it ran on a reused machine (`conform --isolate` gives every fixture
   * its own).
   */
  sharedAfter?: string[];
}

/** The result of one fixture on one target. */
export interface FixtureResult {
  /** Fixture name (relative to the fixtures root). */
  fixture: string;
  /** Fixture title ('' when it did not parse). */
  title: string;
  /** Target run label, e.g. `model[seed]`. */
  target: string;
  /** Profile whose expectations applied. */
  profile: string;
  /** The outcome. */
  outcome: Outcome;
  /** Why it was skipped, or the known-failure reason from the expectations file. */
  reason?: string;
  /** The failure (for `failed` and `expected-failure`). */
  failure?: StepFailure;
  /** Wall time in milliseconds. */
  durationMs: number;
}

/** Options for running one fixture. */
export interface RunFixtureOptions {
  /** Machine presets (default: the repository's fixtures/machines). */
  presets?: MachinePresets;
  /** Per-step timeout overriding the transcript's (milliseconds). */
  stepTimeoutMs?: number;
  /** Whole-fixture timeout in milliseconds (default 60000). */
  fixtureTimeoutMs?: number;
  /** Quiet period for `<-none` in milliseconds (default 200). */
  noneWindowMs?: number;
  /** Aborts the fixture. */
  signal?: AbortSignal;
  /** Leave a failed fixture's temporary directory (sockets, logs) in place. */
  keep?: boolean;
  /**
   * How long to wait, after a connection error, for the target's exit
   * status, to tell a death from a hang-up (default 2000 ms).
   */
  deathWaitMs?: number;
  /**
   * Where the fixture's machine comes from: a worker's pool, which lets a
   * fixture that leaves its machine as it found it run on a machine an
   * earlier one ran on (see `machine_pool.ts`). Default: a machine of its
   * own, started by the target and closed after.
   */
  pool?: FixtureMachines;
}

/**
 * Where fixtures get their machines when machines may be shared (a worker's
 * `MachinePool`).
 */
export interface FixtureMachines {
  /**
   * A machine for these arguments: a kept one when `shared` allows and one
   * fits, else a new one; `earlier` names the fixtures that ran on it before.
   */
  acquire(
    machine: readonly string[],
    shared: boolean,
    signal?: AbortSignal,
    options?: StartOptions,
  ): Promise<{ instance: TargetInstance; earlier: readonly string[] }>;
  /** Takes the machine back after `fixture`: kept when `reusable`, else closed (`keep`: files stay). */
  release(
    instance: TargetInstance,
    fixture: string,
    reusable: boolean,
    keep?: boolean,
  ): Promise<void>;
}

/** One target in a suite run. */
export interface SuiteTarget {
  /** The target. */
  target: Target;
  /** Label in reports (default: `NAME[PROFILE]`). */
  label?: string;
  /** Fixtures run at once (default 1). */
  jobs?: number;
  /** Known failures: fixture name → reason. */
  expectations?: ReadonlyMap<string, string>;
}

/** Options for a suite run. */
export interface SuiteOptions extends RunFixtureOptions {
  /** Stop scheduling fixtures after the first failure or unexpected pass. */
  failFast?: boolean;
  /** Called as each fixture finishes (completion order). */
  onResult?: (result: FixtureResult) => void;
  /** Called once per target, before its fixtures run. */
  onTarget?: (info: TargetInfo) => void;
  /**
   * Start a machine for every fixture (default false: on targets whose
   * machines renew, such as QEMU, fixtures that leave their machine as they
   * found it share one per worker and machine description).
   */
  isolate?: boolean;
}

/** Failures that share a cause on one target: the same crash, difference or error. */
export interface FailureClass {
  /** Outcome of its members: `failed` or `expected-failure`. */
  outcome: "failed" | "expected-failure";
  /** What the members share, in one line (e.g. `QEMU died: SIGSEGV after cxl-add-dynamic-capacity`). */
  description: string;
  /** Number of fixtures in the class. */
  count: number;
  /** Every member fixture, in fixture order. */
  fixtures: string[];
}

/** Counts of one target's outcomes. */
export interface TargetSummary {
  /** Target run label. */
  target: string;
  /** Profile. */
  profile: string;
  /** Outcome counts. */
  passed: number;
  /** Failed (not expected). */
  failed: number;
  /** Failed as the expectations file says. */
  expectedFailures: number;
  /** Listed as known failure but passed (an error). */
  unexpectedPasses: number;
  /** Skipped. */
  skipped: number;
  /** Skip reasons with counts. */
  skipReasons: Record<string, number>;
  /** Wall time of the target's run in milliseconds. */
  durationMs: number;
  /** The version the target reports, e.g. `11.1.3 (Debian 1:11.1.3+ds-2~bpo13+1)`. */
  version?: string;
  /** Why its profile was chosen, when not an exact release-line match (see TargetCapabilities). */
  profileNote?: string;
  /** The program that answered (a QEMU binary's path), for targets that run one. */
  binary?: string;
  /** Failures and expected failures grouped by cause, largest first. */
  failureClasses?: FailureClass[];
  /** Set when the run on this target stopped early, and why (e.g. the endpoint is gone). */
  stopped?: string;
  /** Machines the target started, and fixtures that ran on a reused one (targets whose machines renew). */
  machines?: { started: number; reused: number };
}

/** What a suite run says about a target before running it. */
export interface TargetInfo {
  /** Run label, `NAME[PROFILE]`. */
  label: string;
  /** The target's capabilities (for the dcd-1x2g machine). */
  capabilities: TargetCapabilities;
}

/** A suite's results. */
export interface SuiteResult {
  /** Results per target, each in fixture order. */
  results: FixtureResult[];
  /** One summary per target run, in the order given. */
  summaries: TargetSummary[];
  /** True when nothing failed and nothing passed unexpectedly. */
  ok: boolean;
}
