/**
 * The contract of a model machine: what the QMP wire layer, the conformance
 * runner and the benchmarks use. The model implements it with no I/O.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "./host_interface.ts";
import type { Profile } from "./profile.ts";
import type { ProfileRef } from "./profile_ref.ts";
import type { QmpEvent, QmpObject, QmpResult } from "./qmp_value.ts";

/** Options for building a machine. */
export interface MachineOptions {
  /**
   * Behaviour profile: a {@linkcode Profile} record or its name (`"qemu-10.0"`,
   * `"qemu-11.1+seed"`, ...); default `seed`.
   */
  profile?: ProfileRef;
  /** Wall clock in nanoseconds since the Unix epoch (default: `Date.now()` based). */
  clock?: () => bigint;
  /**
   * QMP monitors the embedding program serves beyond the command line's
   * `-qmp` options (default 0). Where a release lists monitors as QOM objects
   * (11.1), they appear as `/objects/compat_monitorN`. The conformance targets
   * pass 2: the QEMU target gives QEMU two monitors (the fixture's and a
   * private control monitor), and the model targets mirror that.
   */
  extraMonitors?: number;
}

/** How a command is run. */
export interface ExecuteOptions {
  /** The command came through `exec-oob`. */
  oob?: boolean;
}

/** Run state as `query-status` reports it. */
export type RunState = "prelaunch" | "running" | "paused" | "shutdown";

/** A plain-data snapshot of a machine (the visibility upstream QEMU lacks). */
export interface MachineState {
  /** Profile name. */
  profile: string;
  /** Run state. */
  status: RunState;
  /** Memory backends under `/objects`, by id. */
  backends: QmpObject[];
  /** CXL type-3 devices with their DC state. */
  devices: QmpObject[];
}

/**
 * A model of one QEMU process's CXL subset. Commands are executed after the
 * QMP session layer has parsed the input and negotiated capabilities.
 */
export interface Machine {
  /** The behaviour profile. */
  readonly profile: Profile;
  /** Current run state. */
  readonly status: RunState;
  /** Messages QEMU prints once at start-up for arguments the model ignores. */
  readonly notices: readonly string[];
  /** The QMP greeting object, `{"QMP": {"version": ..., "capabilities": ["oob"]}}`. */
  greeting(): QmpObject;
  /**
   * Executes one command with its `arguments` (undefined when absent).
   * Argument validation, unstable-feature policy and every error are QEMU's.
   * `qmp_capabilities` is the session's business, not the machine's.
   */
  execute(command: string, args: QmpObject | undefined, options?: ExecuteOptions): QmpResult;
  /** Whether the command exists (for CommandNotFound decisions). */
  hasCommand(command: string): boolean;
  /** Whether the command may run out-of-band (`allow-oob` in the schema). */
  allowsOob(command: string): boolean;
  /** Subscribes to events; returns the unsubscribe function. */
  subscribe(listener: (event: QmpEvent) => void): () => void;
  /** Ids of the CXL type-3 devices, in creation order. */
  type3Ids(): string[];
  /** The host's mailbox view of a type-3 device (by id or QOM path). */
  host(device: string): HostInterface;
  /** Synchronous mailbox, for benchmarks and in-process helpers. */
  mailboxSync(device: string, opcode: number, payload: Uint8Array): MailboxReply;
  /**
   * Synchronous FM-API command on a type-3 device, tunnelled through the
   * switch mailbox CCI above it (see {@linkcode HostInterface.fm}). Throws
   * a RangeError when the device has no FM path.
   */
  fmSync?(device: string, opcode: number, payload: Uint8Array): MailboxReply;
  /** Synchronous command on a `cxl-switch-mailbox-cci` by id (0x5300 tunnel). */
  switchCciMailboxSync?(cci: string, opcode: number, payload: Uint8Array): MailboxReply;
  /**
   * Id of the `cxl-switch-mailbox-cci` above a type-3 device (the one whose
   * tunnel reaches it). Throws a RangeError when the device has no FM path.
   */
  switchCciOf?(device: string): string;
  /** A plain-data snapshot. */
  state(): MachineState;
}

/**
 * A start-up failure: the machine description is invalid, and QEMU would have
 * printed `stderr` and exited with status 1.
 */
export class StartupError extends Error {
  /** Exactly the text QEMU prints on stderr, lines joined with `\n`. */
  readonly stderr: string;
  /**
   * Wraps QEMU's start-up error text.
   *
   * @param stderr QEMU's start-up error text.
   */
  constructor(stderr: string) {
    super(stderr);
    this.name = "StartupError";
    this.stderr = stderr;
  }
}
