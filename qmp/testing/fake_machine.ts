/**
 * A small fake {@linkcode Machine} for testing the QMP wire layer without the
 * model: `query-status`, `stop`, `cont`, `quit`, `query-commands`,
 * `query-version` and an OOB-capable `migrate-pause`, with QEMU's replies and
 * events (STOP, RESUME, SHUTDOWN).
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import type { ExecuteOptions, Machine, MachineState, RunState } from "../../model/machine_types.ts";
import { DEFAULT_PROFILE, type Profile } from "../../model/profile.ts";
import type { QmpEvent, QmpObject, QmpResult } from "../../model/qmp_value.ts";
import { firstRemainingKey } from "../../model/qapi/key_order.ts";

const COMMANDS = [
  "query-status",
  "stop",
  "cont",
  "quit",
  "query-commands",
  "query-version",
  "migrate-pause",
];

/** A mailbox handler for one fake device. */
export type FakeMailbox = (opcode: number, payload: Uint8Array) => MailboxReply;

/** The fake machine; `mailboxes` maps device ids to mailbox handlers. */
export class FakeMachine implements Machine {
  /** Profile (the default one). */
  readonly profile: Profile = DEFAULT_PROFILE;
  /** Start-up notices (none). */
  readonly notices: readonly string[] = [];
  #status: RunState = "running";
  readonly #listeners = new Set<(e: QmpEvent) => void>();
  readonly #mailboxes: Map<string, FakeMailbox>;
  /** Every command executed, in order. */
  readonly executed: string[] = [];

  /**
   * Creates the fake.
   *
   * @param mailboxes fake devices by id.
   */
  constructor(mailboxes: Record<string, FakeMailbox> = {}) {
    this.#mailboxes = new Map(Object.entries(mailboxes));
  }

  /** Run state. */
  get status(): RunState {
    return this.#status;
  }

  /** QEMU 10.0.2's greeting. */
  greeting(): QmpObject {
    return {
      QMP: {
        version: {
          qemu: { micro: 2, minor: 0, major: 10 }, // wire order, as the model lists members
          package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
        },
        capabilities: ["oob"],
      },
    };
  }

  /** Emits an event to subscribers (for tests). */
  emit(event: string, data?: QmpObject): void {
    const now = Date.now();
    const e: QmpEvent = {
      event,
      timestamp: { seconds: Math.floor(now / 1000), microseconds: (now % 1000) * 1000 },
    };
    if (data !== undefined) e.data = data;
    for (const l of this.#listeners) l(e);
  }

  /** Executes the few commands the fake knows. */
  execute(command: string, args: QmpObject | undefined, _options?: ExecuteOptions): QmpResult {
    this.executed.push(command);
    const extra = firstRemainingKey(Object.keys(args ?? {}), new Set());
    if (extra !== undefined) {
      return { error: { class: "GenericError", desc: `Parameter '${extra}' is unexpected` } };
    }
    switch (command) {
      case "query-status":
        return { return: { running: this.#status === "running", status: this.#status } };
      case "stop":
        if (this.#status === "running") {
          this.#status = "paused";
          this.emit("STOP");
        }
        return { return: {} };
      case "cont":
        if (this.#status !== "running") {
          this.#status = "running";
          this.emit("RESUME");
        }
        return { return: {} };
      case "quit":
        this.#status = "shutdown";
        this.emit("SHUTDOWN", { guest: false, reason: "host-qmp-quit" });
        return { return: {} };
      case "query-version":
        return { return: (this.greeting().QMP as QmpObject).version! };
      case "query-commands":
        return { return: COMMANDS.map((name) => ({ name })) };
      case "migrate-pause":
        return {
          error: {
            class: "GenericError",
            desc:
              "migrate-pause is currently only supported during postcopy-active or postcopy-recover state",
          },
        };
      default:
        return {
          error: { class: "CommandNotFound", desc: `The command ${command} has not been found` },
        };
    }
  }

  /** Whether the fake knows the command. */
  hasCommand(command: string): boolean {
    return COMMANDS.includes(command);
  }

  /** Only `migrate-pause` runs out of band. */
  allowsOob(command: string): boolean {
    return command === "migrate-pause";
  }

  /** Subscribes to events. */
  subscribe(listener: (event: QmpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Device ids. */
  type3Ids(): string[] {
    return [...this.#mailboxes.keys()];
  }

  /** The async mailbox of a fake device. */
  host(device: string): HostInterface {
    return {
      mailbox: (opcode, payload) => Promise.resolve(this.mailboxSync(device, opcode, payload)),
    };
  }

  /** The sync mailbox of a fake device. */
  mailboxSync(device: string, opcode: number, payload: Uint8Array): MailboxReply {
    const m = this.#mailboxes.get(device);
    if (m === undefined) throw new RangeError(`no fake device '${device}'`);
    return m(opcode, payload);
  }

  /** A small snapshot. */
  state(): MachineState {
    return { profile: this.profile.name, status: this.#status, backends: [], devices: [] };
  }
}
