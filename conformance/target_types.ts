/**
 * Contract between the conformance runner and its targets (the in-process
 * model, the model served over a socket, a real QEMU launched for a fixture
 * or shared by fixtures that leave it as they found it, an already-running
 * QMP endpoint).
 *
 * A target speaks raw QMP text, so malformed-input fixtures run identically
 * on every target, and offers the host's mailbox for each CXL device.
 *
 * @module
 */

export { type QmpChannel, TargetClosedError, TargetTimeoutError } from "../qmp/channel.ts";
import type { QmpChannel } from "../qmp/channel.ts";
import type { HostInterface } from "../model/host_interface.ts";
import type { ReleaseLine } from "../model/profile.ts";

/** The version a target reports (`query-version`). */
export interface ReportedVersion {
  /** Major version. */
  major: number;
  /** Minor version. */
  minor: number;
  /** Micro version (50 and up on a development tree). */
  micro: number;
  /** The package string (e.g. `Debian 1:11.1.3+ds-2~bpo13+1`, or `""`). */
  package: string;
}

/** How a target process ended. */
export interface TargetExit {
  /** Exit code, when it exited. */
  code: number | null;
  /** Signal name (e.g. `SIGSEGV`), when a signal ended it. */
  signal: string | null;
  /** True when the target ended on its own before close() (a crash or quit). */
  unexpected: boolean;
  /** Last lines of its stderr, when it has one. */
  stderrTail: string;
}

/** Where a target process runs: what reruns it by hand and where its files are. */
export interface TargetRunInfo {
  /** The exact command line, shell-quoted (paste it after `gdb --args`). */
  commandLine: string;
  /** The private temporary directory holding its sockets. */
  dir: string;
}

/** Options of {@linkcode Target.start}. */
export interface StartOptions {
  /** Leave the temporary directory in place when start-up fails. */
  keepFailed?: boolean;
}

/** Options of {@linkcode TargetInstance.close}. */
export interface CloseOptions {
  /** Leave the temporary directory (sockets, `stderr.log`, `command.sh`) in place. */
  keep?: boolean;
}

/**
 * The run information an error from {@linkcode Target.start} carries, when
 * a process was started.
 *
 * @example
 * ```ts
 * import { runInfoOf, withRunInfo } from "@cxl-dcd/conformance/conformance";
 * const e = withRunInfo(new Error("x"), { commandLine: "qemu -S", dir: "/tmp/d" });
 * if (runInfoOf(e)?.dir !== "/tmp/d" || runInfoOf(new Error()) !== undefined) throw new Error();
 * ```
 */
export function runInfoOf(e: unknown): TargetRunInfo | undefined {
  if (e === null || typeof e !== "object" || !("runInfo" in e)) return undefined;
  const info = (e as { runInfo: unknown }).runInfo;
  return typeof info === "object" && info !== null ? info as TargetRunInfo : undefined;
}

/** Attaches run information to an error (see {@linkcode runInfoOf}); returns the error. */
export function withRunInfo<E extends Error>(e: E, info: TargetRunInfo): E {
  if (runInfoOf(e) === undefined) {
    Object.defineProperty(e, "runInfo", { value: info, enumerable: false, configurable: true });
  }
  return e;
}

/** One running machine of a target. */
export interface TargetInstance {
  /** The QMP channel (greeting already read, capabilities not negotiated). */
  readonly qmp: QmpChannel;
  /** The host's mailbox view of a type-3 device, by `-device` id. */
  host(device: string): HostInterface;
  /** Whether the instance died (a crash); checked after each failed step. */
  exited(): TargetExit | undefined;
  /**
   * Waits at most `ms` for the instance to end and says how it did
   * (undefined when it is still running): after a connection error, tells a
   * death from a hang-up. Without it the runner polls {@linkcode exited}.
   */
  waitExit?(ms: number): Promise<TargetExit | undefined>;
  /** The process's command line and directory, for targets that run one. */
  readonly runInfo?: TargetRunInfo;
  /**
   * Readies the machine for another fixture, for targets whose machines are
   * costly to start: a new QMP connection replaces {@linkcode qmp} (its
   * greeting read, capabilities not negotiated), as a fresh start gives.
   * Resolves false when the machine cannot serve again (it ended, or does
   * not greet); the caller then closes it. Without it, every fixture starts
   * its own machine.
   */
  renew?(): Promise<boolean>;
  /** Ends the instance and releases every resource (process, sockets, dirs unless kept). */
  close(options?: CloseOptions): Promise<TargetExit>;
}

/** What a target can do, learned from the target itself. */
export interface TargetCapabilities {
  /** QMP commands available. */
  commands: ReadonlySet<string>;
  /** Feature names (see conformance/features). */
  features: ReadonlySet<string>;
  /** Profile whose expectations apply (`qemu-10.0`, `qemu-11.1`, `seed`, ...). */
  profile: string;
  /**
   * The release line of that profile: what per-release alternatives
   * (`<-[>=10.1]`) are evaluated against.
   */
  release: ReleaseLine;
  /** The version the target reports; `$version.*` matchers take their values from it. */
  version: ReportedVersion;
  /**
   * Why this profile was chosen, in one line (e.g. "QEMU 10.1.50 is a
   * development tree after 10.1: judged as qemu-10.1"). Set whenever the
   * choice is not an exact release line match, so the report can say it loudly.
   */
  profileNote?: string;
  /** The program that answers, for targets that run one (a QEMU binary's path). */
  binary?: string;
  /** Whether host-side (mailbox) steps can run. */
  hostSide: boolean;
  /**
   * False when the target cannot start machines (an already-running QMP
   * endpoint): fixtures expecting a start-up error are skipped. Default true.
   */
  startsMachines?: boolean;
  /**
   * True when starting a machine is costly (a real QEMU process): unless
   * the suite is run isolated, fixtures that leave their machine as they
   * found it share machines whose instances renew, and the machine the next
   * fixture needs is started ahead. Default false.
   */
  costlyStarts?: boolean;
  /** When set, the target cannot run fixtures on this machine, and this says why (they are skipped). */
  skip?: string;
  /**
   * How long silence must last before the target has surely nothing more to
   * send (`<-none`, record mode). In-process targets answer synchronously: 0.
   * Default: the runner's window (200 ms).
   */
  quietMs?: number;
}

/** A conformance target. */
export interface Target {
  /** Display name, e.g. `model`, `model-socket`, `qemu`, `qmp:unix:/tmp/q.sock`. */
  readonly name: string;
  /** Capabilities for the given machine arguments (cached where costly). */
  capabilities(machine: readonly string[]): Promise<TargetCapabilities>;
  /**
   * Starts a machine from QEMU arguments. Rejects with
   * {@linkcode TargetStartupError} carrying QEMU's own message when the
   * machine description is invalid.
   */
  start(
    machine: readonly string[],
    signal?: AbortSignal,
    options?: StartOptions,
  ): Promise<TargetInstance>;
  /**
   * For a shared endpoint (a target that does not start machines): whether
   * it still answers. A suite stops at once on an endpoint that does not.
   * Resolves to undefined when it does, else to why not.
   */
  checkAlive?(): Promise<string | undefined>;
}

/** The machine did not start; `stderr` is what QEMU (or the model) printed. */
export class TargetStartupError extends Error {
  /** Start-up error text, as QEMU prints it. */
  readonly stderr: string;
  /** Process exit code, when a process was started. */
  readonly code: number | null;
  /** The signal that ended the process during start-up (it died; it did not refuse). */
  readonly signal: string | null;
  /** The command line and directory of the process, when one was started. */
  readonly runInfo?: TargetRunInfo;
  /**
   * Creates the error.
   *
   * @param stderr QEMU's start-up message
   * @param code exit code, when a process was started
   * @param more the signal that killed it and where it ran, when known
   */
  constructor(
    stderr: string,
    code: number | null,
    more?: { signal?: string | null; runInfo?: TargetRunInfo },
  ) {
    super(stderr);
    more ??= {};
    this.name = "TargetStartupError";
    this.stderr = stderr;
    this.code = code;
    this.signal = more.signal ?? null;
    if (more.runInfo !== undefined) this.runInfo = more.runInfo;
  }
}
