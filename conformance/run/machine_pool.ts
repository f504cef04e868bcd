/**
 * Machine reuse within one worker. A fixture that leaves its machine as it
 * found it (QMP steps only, no `# endpoint:` mark, no start-up error; the
 * marks are kept complete by `endpoint_marks_test.ts`) may run on the
 * machine an earlier such fixture ran on, when the machine description is
 * the same and the instance can renew its QMP connection (a new greeting,
 * capabilities to negotiate, as from a fresh process). Every other fixture
 * starts its own machine. A machine goes back to the pool only after a
 * fixture passed on it; any failure, or a renewal that does not greet,
 * closes it. Real QEMU costs about 50 ms of CPU per start, so this is what
 * makes the catalogue fast on a QEMU target.
 *
 * What a renewed QEMU carries over beyond the device state the marks test
 * checks is what QEMU keeps across QMP clients: events emitted while no
 * client is connected are dropped, a new client's monitor starts with a
 * fresh parser and capabilities, but an event emitted after a fixture's last
 * step could reach the next fixture, and event rate limiting is per
 * machine. No sharing fixture causes either (none raises delayed or
 * rate-limited events); `qemu/machine_reuse_test.ts` records every sharing
 * fixture on its own machine and on a reused one, in both orders, on every
 * QEMU build, and fails on any difference.
 *
 * @module
 */

import type { StartOptions, Target, TargetInstance } from "../target_types.ts";
import type { Transcript } from "../transcript/types.ts";
import type { SpareMachines } from "./spare_machines.ts";
import { timeout } from "./step_execution.ts";
import type { FixtureMachines } from "./types.ts";

/**
 * Why a fixture needs a machine of its own, or undefined when it may share
 * one with other such fixtures.
 *
 * @example
 * ```ts
 * import { ownMachineReason, parseTranscript } from "@cxl-dcd/conformance/conformance";
 * const t = parseTranscript('# title: t\n-> {"execute": "query-name"}\n<- {"return": {}}\n', "t.qmp");
 * if (ownMachineReason(t) !== undefined) throw new Error("a QMP-only fixture shares");
 * ```
 */
export function ownMachineReason(t: Transcript): string | undefined {
  if (t.header.endpoint !== undefined) return `it is marked '# endpoint: ${t.header.endpoint}'`;
  if (expectsStartupError(t)) return "it expects a start-up error";
  if (t.steps.some((s) => s.kind === "host")) return "it plays the host (mailbox steps)";
  return undefined;
}

/** Whether the fixture expects its machine not to start (`!startup-error`). */
export function expectsStartupError(t: Transcript): boolean {
  return t.steps.some((s) => s.kind === "startup-error");
}

/** A machine handed to a fixture. */
export interface PooledMachine {
  /** The running machine. */
  instance: TargetInstance;
  /** Fixtures that ran on it before, oldest first (empty for a fresh start). */
  earlier: readonly string[];
}

interface Idle {
  key: string;
  instance: TargetInstance;
  ran: string[];
}

/**
 * The machines of one worker: at most one idle machine, kept for the next
 * fixture that may share it.
 *
 * @example
 * ```ts
 * import { MachinePool, modelTarget } from "@cxl-dcd/conformance/conformance";
 * const pool = new MachinePool(modelTarget({ profile: "qemu-10.0" }));
 * const m = await pool.acquire(["-machine", "q35"], true);
 * await pool.release(m.instance, "a.qmp", true); // the model's machines do not renew: closed
 * await pool.drain();
 * if (pool.starts !== 1 || pool.reuses !== 0) throw new Error("one machine, not reused");
 * ```
 */
export class MachinePool implements FixtureMachines {
  readonly #target: Target;
  readonly #spares: SpareMachines | undefined;
  readonly #upcoming: () => readonly string[] | undefined;
  #idle: Idle | undefined;
  readonly #ran = new Map<TargetInstance, { key: string; ran: string[] }>();
  #starts = 0;
  #reuses = 0;

  /**
   * A pool starting machines of `target`. With `spares`, a new machine is
   * taken from them when one was started ahead for the same arguments, and
   * after each machine handed out, a spare is started for the arguments
   * `upcoming` names (the next fixture that will need a machine of its own).
   */
  constructor(
    target: Target,
    spares?: SpareMachines,
    upcoming?: () => readonly string[] | undefined,
  ) {
    this.#target = target;
    this.#spares = spares;
    this.#upcoming = upcoming ?? (() => undefined);
  }

  /** Machines started so far. */
  get starts(): number {
    return this.#starts;
  }

  /** Fixtures that ran on a machine an earlier fixture ran on. */
  get reuses(): number {
    return this.#reuses;
  }

  /**
   * A machine for `machine`: the idle one when `shared` and it was started
   * with the same arguments and renews, else a new one (an idle machine of
   * other arguments is closed first when `shared`, since the new one takes
   * its place afterwards).
   */
  async acquire(
    machine: readonly string[],
    shared: boolean,
    signal?: AbortSignal,
    options?: StartOptions,
  ): Promise<PooledMachine> {
    const key = JSON.stringify(machine);
    const idle = this.#idle;
    if (shared && idle !== undefined) {
      this.#idle = undefined;
      if (
        idle.key === key && idle.instance.renew !== undefined &&
        await abortable(idle.instance.renew(), signal, () => closeQuietly(idle.instance))
      ) {
        this.#reuses++;
        this.#ran.set(idle.instance, { key, ran: idle.ran });
        this.#prepareNext();
        return { instance: idle.instance, earlier: [...idle.ran] };
      }
      await closeQuietly(idle.instance);
    }
    const spare = this.#spares?.take(machine);
    const instance = spare === undefined
      ? await this.#target.start(machine, signal, options)
      : await abortable(spare, signal, (late) => closeQuietly(late));
    this.#starts++;
    this.#ran.set(instance, { key, ran: [] });
    this.#prepareNext();
    return { instance, earlier: [] };
  }

  #prepareNext(): void {
    if (this.#spares === undefined) return;
    const next = this.#upcoming();
    if (next !== undefined) this.#spares.prepare(next);
  }

  /**
   * Takes a machine back after `fixture` ran on it: kept for the next
   * sharing fixture when `reusable` (the fixture shares and passed) and the
   * instance supports renewal, else closed (`keep` leaves its files in place).
   */
  async release(
    instance: TargetInstance,
    fixture: string,
    reusable: boolean,
    keep?: boolean,
  ): Promise<void> {
    keep ??= false;
    const entry = this.#ran.get(instance);
    this.#ran.delete(instance);
    if (
      reusable && !keep && entry !== undefined && instance.renew !== undefined &&
      instance.exited() === undefined
    ) {
      const previous = this.#idle;
      this.#idle = { key: entry.key, instance, ran: [...entry.ran, fixture] };
      if (previous !== undefined) await closeQuietly(previous.instance);
      return;
    }
    await closeQuietly(instance, keep);
  }

  /** Closes the idle machine, if any (at the end of a target's run). */
  async drain(): Promise<void> {
    const idle = this.#idle;
    this.#idle = undefined;
    if (idle !== undefined) await closeQuietly(idle.instance);
  }
}

/**
 * Waits for `work` unless the fixture is aborted first: then the abort's
 * reason is thrown at once, and `late` gets what `work` resolves to once it
 * does (to close the machine nobody will use).
 */
async function abortable<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  late: (value: T) => Promise<void>,
): Promise<T> {
  if (signal === undefined) return await work;
  if (signal.aborted) {
    work.then(late, () => {});
    throw signal.reason;
  }
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } catch (e) {
    if (signal.aborted) work.then(late, () => {});
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Closes a machine, waiting at most 10 s (`keep` leaves its files in
 * place); a machine that cannot close was already reported by the fixture
 * that failed on it, so nothing is thrown.
 */
export async function closeQuietly(instance: TargetInstance, keep = false): Promise<void> {
  try {
    await timeout(instance.close(keep ? { keep } : {}), 10_000, "closing the target");
  } catch {
    // already reported by the fixture that failed on it
  }
}
