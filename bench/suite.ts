/**
 * Suite throughput: the fixture catalogue against the model in process, over
 * the model's socket (`model-socket`) and against real QEMU with 1 and 2
 * workers, once with firmware-free bring-up (the default) and once with
 * SeaBIOS, through the runner's programmatic API (`runSuite`). QEMU with 2
 * workers runs both ways: with machines shared by the fixtures that leave
 * them as they found them (the default) and with one machine per fixture
 * (`--isolate`).
 *
 * The runner's own overhead on QEMU is measured with a timing wrapper around
 * the target (jobs = 1 and isolated, so nothing overlaps): time inside `start` (spawn to
 * devices enabled, or the start-up error), `close`, `capabilities`, `receive`
 * calls that returned a message (QEMU's command time, reply parsing
 * included), `receive` calls that ended in a timeout (the `<-none` quiet
 * windows the runner waits out on purpose), `sendRaw` and host mailbox calls
 * (qtest). Runner overhead = wall time − all of those.
 *
 * @module
 */

import { DEFAULT_EXPECTATIONS_DIR, loadExpectations } from "../conformance/expectations.ts";
import { DEFAULT_FIXTURES_DIR, type FixtureFile, loadFixtures } from "../conformance/loader.ts";
import { runSuite, type SuiteTarget } from "../conformance/runner.ts";
import { modelTarget } from "../conformance/targets/model.ts";
import { modelSocketTarget } from "../conformance/targets/model_socket.ts";
import { qemuTarget } from "../conformance/targets/qemu.ts";
import type { Bringup } from "../conformance/qemu/bringup.ts";
import {
  type QmpChannel,
  type Target,
  type TargetInstance,
  TargetTimeoutError,
} from "../conformance/target_types.ts";
import type { HostInterface } from "../model/host_interface.ts";
import { QEMU_10_0, SEED } from "../model/profile.ts";

/** Where a timed target spent its time, milliseconds. */
export interface TargetTimes {
  /** Inside `start` (process spawn to ready, or to its start-up error). */
  startMs: number;
  /** Inside `close`. */
  closeMs: number;
  /** Inside `capabilities`. */
  capabilitiesMs: number;
  /** Inside `receive` calls that returned a message. */
  answeredMs: number;
  /** Inside `receive` calls that timed out (quiet windows). */
  quietMs: number;
  /** Inside `sendRaw`. */
  sendMs: number;
  /** Inside host mailbox calls. */
  hostMs: number;
  /** Machines started (successfully or not). */
  starts: number;
}

/** One suite row. */
export interface SuiteRow {
  /** Target label, e.g. `qemu[qemu-10.0] direct`. */
  target: string;
  /** QEMU rows: who brought PCI up (firmware-free `direct`, or SeaBIOS). */
  bringup?: Bringup;
  /** Fixtures run at once. */
  jobs: number;
  /** Fixtures given. */
  fixtures: number;
  /** Fixtures that ran (not skipped). */
  ran: number;
  /** Passed. */
  passed: number;
  /** Failed (not expected). */
  failed: number;
  /** Failed as expected. */
  expectedFailures: number;
  /** Skipped. */
  skipped: number;
  /** Wall time, milliseconds. */
  wallMs: number;
  /** Wall time per fixture run, milliseconds. */
  msPerFixture: number;
  /** QEMU rows: fixtures that may share a machine did (`shared`), or each had its own. */
  machines?: "shared" | "isolated";
  /** QEMU rows: machines started, and fixtures that ran on a reused one. */
  started?: { machines: number; reused: number };
  /** Where the time went (timed targets only). */
  breakdown?: TargetTimes & {
    /** Wall time not spent inside the target. */
    runnerMs: number;
    /** runnerMs / wall time. */
    runnerShareOfWall: number;
    /** runnerMs / (wall − runnerMs): overhead beyond QEMU's own time (goal < 0.10). */
    runnerBeyondTarget: number;
  };
}

/** Options of {@linkcode runSuiteBench}. */
export interface SuiteBenchOptions {
  /** QEMU binary. */
  qemuBinary: string;
  /** Whether QEMU is present (else its rows are left out). */
  qemuAvailable: boolean;
  /** Use at most this many fixtures, spread over the catalogue (default: all). */
  limit?: number;
  /** Progress lines. */
  progress?: (line: string) => void;
}

function emptyTimes(): TargetTimes {
  return {
    startMs: 0,
    closeMs: 0,
    capabilitiesMs: 0,
    answeredMs: 0,
    quietMs: 0,
    sendMs: 0,
    hostMs: 0,
    starts: 0,
  };
}

/**
 * Wraps a target so every call into it is timed into `times`.
 *
 * @example
 * ```ts
 * import { timedTarget } from "./suite.ts";
 * import { modelTarget } from "@cxl-dcd/conformance";
 * const { target, times } = timedTarget(modelTarget());
 * const i = await target.start(["-machine", "q35"]);
 * await i.close();
 * if (times.starts !== 1) throw new Error("one start expected");
 * ```
 */
export function timedTarget(inner: Target): { target: Target; times: TargetTimes } {
  const times = emptyTimes();
  const timed = async <T>(key: keyof TargetTimes, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      times[key] += performance.now() - t0;
    }
  };
  const wrapInstance = (inst: TargetInstance): TargetInstance => {
    const qmp: QmpChannel = {
      greeting: inst.qmp.greeting,
      sendRaw: (text) => timed("sendMs", () => inst.qmp.sendRaw(text)),
      async receive(timeoutMs) {
        const t0 = performance.now();
        try {
          const m = await inst.qmp.receive(timeoutMs);
          times.answeredMs += performance.now() - t0;
          return m;
        } catch (e) {
          if (e instanceof TargetTimeoutError) times.quietMs += performance.now() - t0;
          else times.answeredMs += performance.now() - t0;
          throw e;
        }
      },
    };
    return {
      qmp,
      host(device: string): HostInterface {
        const h = inst.host(device);
        const out: HostInterface = {
          mailbox: (op, payload) => timed("hostMs", () => h.mailbox(op, payload)),
        };
        if (h.fm !== undefined) out.fm = (op, p) => timed("hostMs", () => h.fm!(op, p));
        if (h.switchCci !== undefined) {
          out.switchCci = (op, p) => timed("hostMs", () => h.switchCci!(op, p));
        }
        return out;
      },
      exited: () => inst.exited(),
      close: () => timed("closeMs", () => inst.close()),
    };
  };
  const target: Target = {
    name: inner.name,
    capabilities: (machine) => timed("capabilitiesMs", () => inner.capabilities(machine)),
    async start(machine, signal) {
      times.starts++;
      return wrapInstance(await timed("startMs", () => inner.start(machine, signal)));
    },
  };
  return { target, times };
}

/** Picks `limit` fixtures spread evenly over the sorted catalogue. */
export function spread<T>(items: readonly T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return [...items];
  const out: T[] = [];
  for (let i = 0; i < limit; i++) out.push(items[Math.floor((i * items.length) / limit)]!);
  return out;
}

async function runOne(
  fixtures: readonly FixtureFile[],
  target: Target,
  label: string,
  profile: string,
  jobs: number,
  times?: TargetTimes,
  isolate = false,
): Promise<SuiteRow> {
  const expectations = await loadExpectations(DEFAULT_EXPECTATIONS_DIR, target.name, profile);
  const st: SuiteTarget = { target, label, jobs, expectations };
  const t0 = performance.now();
  const suite = await runSuite(fixtures, [st], isolate ? { isolate } : {});
  const wallMs = performance.now() - t0;
  const s = suite.summaries[0]!;
  const ran = s.passed + s.failed + s.expectedFailures + s.unexpectedPasses;
  const row: SuiteRow = {
    target: label,
    jobs,
    fixtures: fixtures.length,
    ran,
    passed: s.passed,
    failed: s.failed + s.unexpectedPasses,
    expectedFailures: s.expectedFailures,
    skipped: s.skipped,
    wallMs,
    msPerFixture: ran === 0 ? 0 : wallMs / ran,
  };
  if (s.machines !== undefined) {
    row.started = { machines: s.machines.started, reused: s.machines.reused };
  }
  if (times !== undefined) {
    const inside = times.startMs + times.closeMs + times.capabilitiesMs + times.answeredMs +
      times.quietMs + times.sendMs + times.hostMs;
    const runnerMs = Math.max(0, wallMs - inside);
    row.breakdown = {
      ...times,
      runnerMs,
      runnerShareOfWall: runnerMs / wallMs,
      runnerBeyondTarget: runnerMs / Math.max(1e-9, wallMs - runnerMs),
    };
  }
  return row;
}

/**
 * Runs the catalogue on each target, one after the other.
 *
 * @example
 * ```ts ignore
 * import { runSuiteBench } from "./suite.ts";
 * const rows = await runSuiteBench({ qemuBinary: "qemu-system-x86_64", qemuAvailable: false });
 * console.log(rows[0]!.wallMs);
 * ```
 */
export async function runSuiteBench(o: SuiteBenchOptions): Promise<SuiteRow[]> {
  const all = await loadFixtures([DEFAULT_FIXTURES_DIR], DEFAULT_FIXTURES_DIR);
  const fixtures = spread(all, o.limit);
  const rows: SuiteRow[] = [];
  const add = (r: SuiteRow) => {
    rows.push(r);
    o.progress?.(
      `suite: ${r.target} jobs ${r.jobs}${
        r.machines === undefined ? "" : `, machines ${r.machines}`
      }: ${r.ran} fixtures in ${r.wallMs.toFixed(0)} ms` +
        ` (${r.passed} passed, ${r.failed} failed, ${r.expectedFailures} expected failures, ${r.skipped} skipped)`,
    );
  };
  add(await runOne(fixtures, modelTarget({ profile: SEED }), "model[seed]", "seed", 1));
  add(
    await runOne(
      fixtures,
      modelTarget({ profile: QEMU_10_0 }),
      "model[qemu-10.0]",
      "qemu-10.0",
      1,
    ),
  );
  add(
    await runOne(
      fixtures,
      modelSocketTarget({ profile: QEMU_10_0 }),
      "model-socket[qemu-10.0]",
      "qemu-10.0",
      1,
    ),
  );
  if (o.qemuAvailable) {
    // Firmware-free bring-up (the default) and SeaBIOS, side by side.
    for (const bringup of ["direct", "firmware"] as const) {
      const q = qemuTarget({ binary: o.qemuBinary, bringup });
      const profile = (await q.capabilities([])).profile;
      const label = `qemu[${profile}] ${bringup}`;
      const { target, times } = timedTarget(q);
      const isolated = { bringup, machines: "isolated" } as const;
      add({ ...(await runOne(fixtures, target, label, profile, 1, times, true)), ...isolated });
      add({ ...(await runOne(fixtures, q, label, profile, 2, undefined, true)), ...isolated });
      add({ ...(await runOne(fixtures, q, label, profile, 2)), bringup, machines: "shared" });
    }
  }
  return rows;
}
