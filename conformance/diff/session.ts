/**
 * One running machine of a differential run: the target instance with
 * capabilities negotiated, running program steps and returning what came
 * back, or how the target was lost (a crash, a hang, a closed connection).
 *
 * @module
 */

import type { QmpObject } from "../../model/qmp_value.ts";
import { encodeHostRequest } from "../host/codec.ts";
import { waitForExit } from "../run/fixture_run.ts";
import { timeout } from "../run/step_execution.ts";
import {
  type Target,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  TargetTimeoutError,
} from "../target_types.ts";
import { stringifyJson } from "../transcript/json.ts";
import type { Answer, DiffStep, LostAnswer } from "./program.ts";

/** Per-step timeout (milliseconds). */
export const STEP_TIMEOUT_MS = 5000;

/** A started machine that runs program steps. */
export class DiffSession {
  readonly #instance: TargetInstance;
  #lost: LostAnswer | undefined;

  private constructor(instance: TargetInstance) {
    this.#instance = instance;
  }

  /**
   * Starts a machine and negotiates QMP capabilities.
   *
   * @example
   * ```ts ignore
   * import { DiffSession } from "./session.ts";
   * const s = await DiffSession.start(target, args);
   * const answer = await s.run({ kind: "host", device: "cxl-vmem0", command: "get-dc-config", input: {} });
   * await s.close();
   * ```
   */
  static async start(target: Target, machine: readonly string[]): Promise<DiffSession> {
    const instance = await target.start(machine);
    const s = new DiffSession(instance);
    try {
      await instance.qmp.sendRaw('{"execute":"qmp_capabilities"}\n');
      for (;;) {
        const m = await instance.qmp.receive(STEP_TIMEOUT_MS);
        if ("return" in m) break;
        if ("error" in m) throw new Error(`qmp_capabilities failed: ${stringifyJson(m)}`);
      }
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** Set once the target was lost: every later step answers the same. */
  get lost(): LostAnswer | undefined {
    return this.#lost;
  }

  /** Runs one step and returns the answer (a lost answer once the target died or hung). */
  async run(step: DiffStep): Promise<Answer> {
    if (this.#lost !== undefined) return this.#lost;
    // Encoding errors are the program's own fault: they throw, they are not a lost target.
    const req = step.kind === "host" ? encodeHostRequest(step.command, step.input) : undefined;
    try {
      if (step.kind === "qmp") {
        await this.#instance.qmp.sendRaw(
          stringifyJson({ execute: step.execute, arguments: step.arguments }) + "\n",
        );
        const messages: QmpObject[] = [];
        for (;;) {
          const m = await this.#instance.qmp.receive(STEP_TIMEOUT_MS);
          messages.push(m);
          if ("return" in m || "error" in m) return { kind: "qmp", messages };
        }
      }
      const reply = await timeout(
        this.#instance.host(step.device).mailbox(req!.opcode, req!.payload),
        STEP_TIMEOUT_MS,
        `mailbox ${step.command}`,
      );
      return { kind: "host", rc: reply.rc, payload: reply.payload };
    } catch (e) {
      this.#lost = await this.#lose(e as Error);
      return this.#lost;
    }
  }

  async #lose(e: Error): Promise<LostAnswer> {
    // A timeout is no death: only a lost connection waits (up to 1 s) for the exit status.
    const exit: TargetExit | undefined = e instanceof TargetTimeoutError
      ? this.#instance.exited()
      : await waitForExit(this.#instance, 1000);
    const how = exit?.signal ??
      (exit !== undefined && exit.unexpected
        ? `exit code ${exit.code}`
        : e instanceof TargetTimeoutError
        ? "timeout"
        : e instanceof TargetClosedError
        ? "closed"
        : "error");
    return {
      kind: "lost",
      how,
      signal: exit?.signal ?? null,
      message: e.message,
      stderrTail: exit?.stderrTail ?? "",
    };
  }

  /** Ends the machine. */
  async close(): Promise<void> {
    try {
      await timeout(this.#instance.close(), 10_000, "closing the target");
    } catch {
      // A target that cannot close is already lost; nothing else to do.
    }
  }
}
