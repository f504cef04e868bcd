/**
 * Launches a real QEMU for one machine description and makes it a
 * {@linkcode TargetInstance}: the runner's QMP channel (greeting read, not
 * negotiated), a private control QMP monitor, the qtest host side with one
 * mailbox driver per CXL type-3 device, crash detection and guaranteed
 * cleanup.
 *
 * Phases, each with its own timeout and error text: `start` (the process
 * creates its QMP socket and greets), `device bring-up` (by default the
 * host side programs PCI over qtest while the CPUs are stopped, a few ms;
 * see `bringup.ts`), `device discovery` (with firmware bring-up, SeaBIOS
 * assigns the BARs in about 0.05 s), then per-request timeouts of QMP and
 * qtest.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import { noFmPathMessage } from "../../model/switch_cci.ts";
import { QmpClient } from "../../qmp/client.ts";
import {
  type CloseOptions,
  type TargetExit,
  type TargetInstance,
  type TargetRunInfo,
  TargetStartupError,
  TargetTimeoutError,
  withRunInfo,
} from "../target_types.ts";
import {
  buildQemuArgs,
  declaredRootBuses,
  declaredType3Ids,
  qemuBinary,
  type QemuSockets,
  startsPaused,
} from "./args.ts";
import {
  type Bringup,
  bringUpDirect,
  directBringupArgs,
  firmwareNeed,
  haltFirmwareImage,
} from "./bringup.ts";
import { discoverType3, pciTopology, type Type3Device } from "./devices.ts";
import { type DeclaredFmRoute, declaredFmRoutes, openFmPath, type QtestFmPath } from "./fm_path.ts";
import { QtestMailbox } from "./mailbox.ts";
import type { PciFunction } from "./pci.ts";
import { makePrivateDir, QemuProcess, removePrivateDir, SpawnError } from "./process.ts";
import { QtestClient } from "./qtest.ts";

/** Options of {@linkcode launchQemu}. */
export interface LaunchOptions {
  /** QEMU binary (default: `$QEMU_BINARY`, else `qemu-system-x86_64` on PATH). */
  binary?: string;
  /** Time for the process to create its QMP socket and greet (default 10000 ms). */
  startTimeoutMs?: number;
  /** Time for the firmware to enable the type-3 devices (default 5000 ms). */
  deviceTimeoutMs?: number;
  /**
   * Who brings PCI up: `direct` (default) programs ECAM, bus numbers, BARs
   * and memory decoding over qtest with the CPUs stopped and a halt-loop
   * firmware (see `bringup.ts`), `firmware` lets SeaBIOS do it. A
   * description that starts paused or chooses its firmware keeps firmware
   * bring-up.
   */
  bringup?: Bringup;
  /** Per-command timeout of the QMP monitors and per-request timeout of qtest (default 10000 ms). */
  commandTimeoutMs?: number;
  /** Aborts the launch (the process is killed). */
  signal?: AbortSignal;
  /**
   * Leave the temporary directory (sockets, `stderr.log`, `command.sh`) in
   * place when start-up fails.
   */
  keepFailed?: boolean;
}

function timeoutAfter<T>(ms: number, message: string): { promise: Promise<T>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<T>((_, reject) => {
    timer = setTimeout(() => reject(new TargetTimeoutError(message)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** A running QEMU seen as a conformance target instance. */
export class QemuInstance implements TargetInstance {
  /** The process. */
  readonly process: QemuProcess;
  /** The target's own negotiated QMP monitor. */
  readonly control: QmpClient;
  /** The qtest connection. */
  readonly qtest: QtestClient;
  #qmp: QmpClient;
  readonly #qmpAddress: string;
  readonly #commandTimeoutMs: number;
  readonly #declared: string[];
  readonly #fmRoutes: Map<string, DeclaredFmRoute>;
  readonly #paused: boolean;
  readonly #deviceTimeoutMs: number;
  readonly #functions: readonly PciFunction[] | undefined;
  #devices: Promise<Type3Device[]> | undefined;
  readonly #hosts = new Map<string, HostInterface>();
  #closed: Promise<TargetExit> | undefined;

  /** Wraps a started process and its connections (see {@linkcode launchQemu}). */
  constructor(
    init: {
      process: QemuProcess;
      qmp: QmpClient;
      /** The runner's QMP socket, `unix:PATH` ({@linkcode renew} connects to it again). */
      qmpAddress: string;
      control: QmpClient;
      qtest: QtestClient;
      machine: readonly string[];
      deviceTimeoutMs: number;
      /** Per-command timeout of a renewed QMP connection (default 10000 ms). */
      commandTimeoutMs?: number;
      /** The functions a firmware-free bring-up enumerated (discovery needs no bus walk). */
      functions?: readonly PciFunction[];
    },
  ) {
    this.process = init.process;
    this.#qmp = init.qmp;
    this.#qmpAddress = init.qmpAddress;
    this.#commandTimeoutMs = init.commandTimeoutMs ?? 10000;
    this.control = init.control;
    this.qtest = init.qtest;
    this.#declared = declaredType3Ids(init.machine);
    this.#fmRoutes = declaredFmRoutes(init.machine);
    this.#paused = startsPaused(init.machine);
    this.#deviceTimeoutMs = init.deviceTimeoutMs;
    this.#functions = init.functions;
  }

  /** The runner's QMP channel (greeting read, capabilities not negotiated). */
  get qmp(): QmpClient {
    return this.#qmp;
  }

  /**
   * Readies the machine for another fixture: the runner's QMP connection is
   * closed and a new one opened, so the next fixture reads a greeting and
   * negotiates as on a fresh process (QEMU resets a monitor's parser and
   * capabilities when its client goes, and drops events nobody is connected
   * for). Resolves false when QEMU has ended or does not greet again within
   * 2 s; the caller then closes it.
   */
  async renew(): Promise<boolean> {
    if (this.#closed !== undefined || this.process.exited() !== undefined) return false;
    await this.#qmp.close().catch(() => {});
    try {
      this.#qmp = await QmpClient.connect(this.#qmpAddress, {
        connectTimeoutMs: 2000,
        greetingTimeoutMs: 2000,
        commandTimeoutMs: this.#commandTimeoutMs,
      });
      return this.process.exited() === undefined;
    } catch {
      return false;
    }
  }

  /** Whether the description declares type-3 devices and firmware will enable them. */
  get expectsDevices(): boolean {
    return this.#declared.length > 0 && !this.#paused;
  }

  /**
   * The CXL type-3 devices (discovered once: `query-pci` on the control
   * monitor, an ECAM walk, memory decoding enabled, mailbox located).
   */
  devices(): Promise<Type3Device[]> {
    this.#devices ??= discoverType3(
      this.qtest,
      async () => pciTopology(await this.control.execute("query-pci")),
      {
        expected: this.#declared.length,
        ids: this.#declared,
        timeoutMs: this.#deviceTimeoutMs,
        ...(this.#functions === undefined ? {} : { functions: this.#functions }),
      },
    ).catch((e) => {
      if (e instanceof TargetTimeoutError && this.#paused) {
        throw new TargetTimeoutError(
          `${e.message} (the machine was started with -S, so no firmware ran)`,
        );
      }
      if (e instanceof TargetTimeoutError && this.#functions !== undefined) {
        throw new TargetTimeoutError(
          `${e.message} (PCI was brought up over qtest without firmware; --bringup firmware ` +
            "lets SeaBIOS do it)",
        );
      }
      throw e;
    });
    return this.#devices;
  }

  /** The mailbox of the type-3 device with this `-device` id (or its QOM path). */
  host(device: string): HostInterface {
    const id = device.startsWith("/machine/peripheral/")
      ? device.slice("/machine/peripheral/".length)
      : device;
    let host = this.#hosts.get(id);
    if (host === undefined) {
      let driver: Promise<QtestMailbox> | undefined;
      const resolve = async (): Promise<QtestMailbox> => {
        const devices = await this.devices();
        const found = devices.find((d) => d.id === id);
        if (found === undefined) {
          throw new Error(
            `no CXL type-3 device with id '${id}'; expected one of: ${
              devices.map((d) => d.id || "(no id)").join(", ") || "none (no type-3 device found)"
            }`,
          );
        }
        return new QtestMailbox(this.qtest, found.mailbox);
      };
      let fmDriver: Promise<QtestFmPath> | undefined;
      const resolveFm = async (): Promise<QtestFmPath> => {
        const route = this.#fmRoutes.get(id);
        if (route === undefined) {
          throw new Error(noFmPathMessage(id));
        }
        await this.devices();
        return await openFmPath(
          this.qtest,
          await this.control.execute("query-pci"),
          route,
          this.#deviceTimeoutMs,
        );
      };
      host = {
        mailbox: async (opcode: number, payload: Uint8Array): Promise<MailboxReply> => {
          driver ??= resolve();
          driver.catch(() => driver = undefined);
          return await (await driver).mailbox(opcode, payload);
        },
        fm: async (opcode: number, payload: Uint8Array): Promise<MailboxReply> => {
          fmDriver ??= resolveFm();
          fmDriver.catch(() => fmDriver = undefined);
          return await (await fmDriver).fm(opcode, payload);
        },
        switchCci: async (opcode: number, payload: Uint8Array): Promise<MailboxReply> => {
          fmDriver ??= resolveFm();
          fmDriver.catch(() => fmDriver = undefined);
          return await (await fmDriver).switchCci(opcode, payload);
        },
      };
      this.#hosts.set(id, host);
    }
    return host;
  }

  /** How QEMU ended, once it has. */
  exited(): TargetExit | undefined {
    return this.process.exited();
  }

  /** Waits at most `ms` for QEMU to end (after a connection error: did it die?). */
  waitExit(ms: number): Promise<TargetExit | undefined> {
    return this.process.waitExit(ms);
  }

  /** The exact QEMU command line (shell-quoted) and its temporary directory. */
  get runInfo(): TargetRunInfo {
    return { commandLine: this.process.commandLine, dir: this.process.dir };
  }

  /** Ends QEMU and releases everything (idempotent); `keep` leaves its directory in place. */
  close(options?: CloseOptions): Promise<TargetExit> {
    options ??= {};
    this.#closed ??= (async () => {
      this.process.expectExit();
      await Promise.allSettled([this.#qmp.close(), this.control.close(), this.qtest.close()]);
      return await this.process.close(2000, options.keep ? { keep: true } : {});
    })();
    return this.#closed;
  }
}

/**
 * Starts QEMU for a machine description and waits until it is usable: QMP
 * greeting on both monitors, qtest connected, and (when the description
 * declares type-3 devices and does not start paused) the devices enabled by
 * the firmware. Rejects with {@linkcode TargetStartupError} carrying QEMU's
 * own message when it refuses the description, and with
 * {@linkcode TargetTimeoutError} naming the phase when it hangs. Nothing is
 * left behind on failure.
 *
 * @example
 * ```ts ignore
 * import { launchQemu } from "@cxl-dcd/conformance/conformance";
 * const q = await launchQemu(["-machine", "q35"]);
 * console.log(q.qmp.greeting);
 * await q.close();
 * ```
 */
export async function launchQemu(
  machine: readonly string[],
  options?: LaunchOptions,
): Promise<QemuInstance> {
  options ??= {};
  options.signal?.throwIfAborted();
  const binary = qemuBinary(options.binary);
  const startTimeoutMs = options.startTimeoutMs ?? 10000;
  const dir = await makePrivateDir();
  const sockets: QemuSockets = {
    qmp: `${dir}/qmp.sock`,
    control: `${dir}/control.sock`,
    qtest: `${dir}/qtest.sock`,
  };
  const direct = (options.bringup ?? "direct") === "direct" && firmwareNeed(machine) === undefined;
  const halt = `${dir}/halt.bin`;
  // What the directory may hold, removable by name without a descriptor.
  const files = [...Object.values(sockets), halt];
  let proc: QemuProcess;
  try {
    const args = buildQemuArgs(machine, sockets);
    if (direct) {
      await Deno.writeFile(halt, haltFirmwareImage());
      args.push(...directBringupArgs(halt));
    }
    proc = QemuProcess.spawn(binary, args, dir, files);
  } catch (e) {
    // No process owns the directory (the failure may be that no descriptor is left).
    removePrivateDir(dir, files);
    if (e instanceof SpawnError) throw new TargetStartupError(e.message, null);
    throw e;
  }
  const runInfo: TargetRunInfo = { commandLine: proc.commandLine, dir };
  const opened: { close(): Promise<void> }[] = [];
  const onAbort = () => proc.kill("SIGKILL");
  options.signal?.addEventListener("abort", onAbort);
  // Connection retries stop as soon as start-up has failed (QEMU died, a
  // phase timed out, the caller aborted): nothing keeps polling afterwards.
  const giveUp = new AbortController();
  try {
    const died = proc.status.then(async (exit) => {
      const stderr = (await proc.stderrComplete()).replace(/\n+$/, "");
      if (exit.signal !== null) {
        throw new TargetStartupError(
          `QEMU was killed by ${exit.signal} during start-up` + (stderr ? `:\n${stderr}` : ""),
          null,
          { signal: exit.unexpected ? exit.signal : null, runInfo },
        );
      }
      throw new TargetStartupError(
        stderr || `QEMU exited with status ${exit.code} during start-up and printed nothing`,
        exit.code,
        { runInfo },
      );
    });
    died.catch(() => {});
    died.catch((e) => giveUp.abort(e));
    const deadline = Date.now() + startTimeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    const phase = async <T>(what: string, work: Promise<T>): Promise<T> => {
      const message = `QEMU did not ${what} within ${startTimeoutMs} ms (phase: start)`;
      const timer = timeoutAfter<never>(left(), message);
      work.catch(() => {});
      try {
        return await Promise.race([work, died, timer.promise]);
      } catch (e) {
        giveUp.abort(e);
        // The client's own connect/greeting timeout says the same thing: name the phase.
        if (e instanceof TargetTimeoutError && e.message !== message) {
          throw new TargetTimeoutError(`${message}: ${e.message}`);
        }
        throw e;
      } finally {
        timer.cancel();
      }
    };
    const connectOptions = () => ({
      connectTimeoutMs: left(),
      greetingTimeoutMs: left(),
      commandTimeoutMs: options.commandTimeoutMs ?? 10000,
      signal: giveUp.signal,
    });
    // The second monitor greets and qtest connects while the control monitor
    // negotiates (QEMU answers that only once its main loop runs).
    const qmpConnecting = QmpClient.connect(`unix:${sockets.qmp}`, connectOptions());
    const qtestConnecting = QtestClient.connect(sockets.qtest, {
      timeoutMs: left(),
      replyTimeoutMs: options.commandTimeoutMs ?? 10000,
      signal: giveUp.signal,
    });
    for (const connecting of [qmpConnecting, qtestConnecting]) {
      connecting.catch(() => {});
      // On failure closed whenever it settles (a greeting may still be due).
      opened.push({
        close: () => {
          void connecting.then((c) => c.close(), () => {});
          return Promise.resolve();
        },
      });
    }
    const control = await phase(
      "create its QMP socket and greet",
      QmpClient.connect(`unix:${sockets.control}`, connectOptions()),
    );
    opened.push(control);
    const negotiated = control.negotiate();
    // Firmware-free bring-up starts on qtest while the control monitor negotiates
    // (QEMU answers both once its main loop runs); its QMP commands wait for that.
    const roots = declaredRootBuses(machine);
    const bringingUp = direct
      ? bringUpDirect(qtestConnecting, negotiated.then(() => control), {
        type3Ids: declaredType3Ids(machine),
        ...(roots === undefined ? {} : { rootBuses: roots }),
      })
      : undefined;
    bringingUp?.catch(() => {});
    await phase("answer qmp_capabilities", negotiated);
    const qmp = await phase("greet on its second QMP socket", qmpConnecting);
    const qtest = await phase("accept the qtest connection", qtestConnecting);
    let functions: readonly PciFunction[] | undefined;
    if (bringingUp !== undefined) {
      const ms = options.deviceTimeoutMs ?? 5000;
      const timer = timeoutAfter<never>(
        ms,
        `QEMU's PCI bring-up over qtest did not finish within ${ms} ms (phase: device bring-up)`,
      );
      try {
        functions = (await Promise.race([bringingUp, died, timer.promise])).functions;
      } finally {
        timer.cancel();
      }
    }
    const instance = new QemuInstance({
      process: proc,
      qmp,
      qmpAddress: `unix:${sockets.qmp}`,
      control,
      qtest,
      machine,
      deviceTimeoutMs: options.deviceTimeoutMs ?? 5000,
      ...(options.commandTimeoutMs === undefined
        ? {}
        : { commandTimeoutMs: options.commandTimeoutMs }),
      ...(functions === undefined ? {} : { functions }),
    });
    if (instance.expectsDevices) {
      const work = instance.devices();
      work.catch(() => {});
      await Promise.race([work, died]);
    }
    options.signal?.throwIfAborted();
    return instance;
  } catch (e) {
    giveUp.abort(e);
    proc.expectExit();
    await Promise.allSettled(opened.map((o) => o.close()));
    const exit = await proc.close(500, options.keepFailed ? { keep: true } : {});
    if (options.signal?.aborted && !(e instanceof TargetStartupError)) {
      throw options.signal.reason;
    }
    // QEMU died by a signal nobody here sent: that is what happened, whatever error saw it first.
    const stderr = proc.stderr().replace(/\n+$/, "");
    if (exit.signal !== null && exit.unexpected) {
      throw new TargetStartupError(
        `QEMU was killed by ${exit.signal} during start-up` + (stderr ? `:\n${stderr}` : ""),
        null,
        { signal: exit.signal, runInfo },
      );
    }
    if (e instanceof TargetTimeoutError || e instanceof TargetStartupError) {
      throw withRunInfo(e, runInfo);
    }
    // A connection failed because QEMU went away: report QEMU's own words.
    if (exit.unexpected || stderr !== "") {
      throw new TargetStartupError(
        stderr || `QEMU ended during start-up (${exit.signal ?? `status ${exit.code}`})`,
        exit.code,
        { runInfo },
      );
    }
    throw withRunInfo(e as Error, runInfo);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}
