/**
 * Machines started ahead of need: while a fixture runs its steps (mostly
 * waiting for its machine's answers), the machine the next fixture will need
 * is already starting, so a costly start (real QEMU: about 50 ms of CPU)
 * overlaps the wait instead of following it. At most one spare per target
 * run; a spare that is not taken by the end is closed.
 *
 * @module
 */

import type { StartOptions, Target, TargetInstance } from "../target_types.ts";
import { closeQuietly } from "./machine_pool.ts";

interface Spare {
  key: string;
  started: Promise<TargetInstance>;
}

/**
 * The spare machine of one target run, shared by its workers.
 *
 * @example
 * ```ts
 * import { modelTarget, SpareMachines } from "@cxl-dcd/conformance/conformance";
 * const target = modelTarget({ profile: "qemu-10.0" });
 * const spares = new SpareMachines(target);
 * spares.prepare(["-machine", "q35"]); // starts in the background
 * const instance = await (spares.take(["-machine", "q35"]) ?? target.start(["-machine", "q35"]));
 * await instance.close();
 * await spares.drain();
 * if (spares.taken !== 1 || spares.wasted !== 0) throw new Error("the spare was taken");
 * ```
 */
export class SpareMachines {
  readonly #target: Target;
  readonly #options: StartOptions;
  #spare: Spare | undefined;
  readonly #closing = new Set<Promise<void>>();
  #taken = 0;
  #wasted = 0;

  /** Spares of `target`, started with `options` (e.g. `keepFailed`). */
  constructor(target: Target, options?: StartOptions) {
    this.#target = target;
    this.#options = options ?? {};
  }

  /** Spares handed to a fixture so far. */
  get taken(): number {
    return this.#taken;
  }

  /** Spares that started but were closed unused (started for a machine no fixture took). */
  get wasted(): number {
    return this.#wasted;
  }

  /**
   * The spare started for exactly these arguments, if there is one (it may
   * still be starting; its start-up error, if any, is the taker's).
   */
  take(machine: readonly string[]): Promise<TargetInstance> | undefined {
    const spare = this.#spare;
    if (spare === undefined || spare.key !== JSON.stringify(machine)) return undefined;
    this.#spare = undefined;
    this.#taken++;
    return spare.started;
  }

  /**
   * Starts a spare for these arguments unless one is there for them; a
   * spare for other arguments is closed first (it would not be taken soon).
   */
  prepare(machine: readonly string[]): void {
    const key = JSON.stringify(machine);
    if (this.#spare?.key === key) return;
    this.#discard();
    const started = this.#target.start(machine, undefined, this.#options);
    started.catch(() => {}); // a failed start is reported to the fixture that takes it
    this.#spare = { key, started };
  }

  /** Closes the spare, if any, and waits for every spare being closed (at the end of the run). */
  async drain(): Promise<void> {
    this.#discard();
    await Promise.all(this.#closing);
  }

  #discard(): void {
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare === undefined) return;
    const closing = closeStarted(spare.started).then((started) => {
      if (started) this.#wasted++;
    });
    this.#closing.add(closing);
    closing.finally(() => this.#closing.delete(closing));
  }
}

/** Closes a spare once it has started; resolves whether it ever started. */
async function closeStarted(started: Promise<TargetInstance>): Promise<boolean> {
  let instance: TargetInstance;
  try {
    instance = await started;
  } catch {
    return false; // it never started: nothing to close
  }
  await closeQuietly(instance);
  return true;
}
