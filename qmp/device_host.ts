/**
 * The simulated `accept` host of a served machine: one host per device,
 * whatever the number of QMP sessions or sockets, whose actions are
 * serialised per device and happen between commands in a defined order.
 *
 * The host runs synchronously through the model's `mailboxSync`
 * ({@linkcode acceptAllSync}): a run starts after the command that queued
 * the records replied and ends before the next command of any session is
 * processed (JavaScript runs one task at a time, and the run never yields).
 * So N concurrent clients see what one client sees: an add is accepted
 * before anybody's next command, and a release of a block right after its
 * add always finds it accepted.
 *
 * @module
 */

import type { Machine } from "../model/machine_types.ts";
import { acceptAllSync, type HostAction } from "./host_accept.ts";

/** How many host actions {@linkcode DeviceHosts.actions} keeps. */
export const MAX_KEPT_ACTIONS = 1000;

const PERIPHERAL = "/machine/peripheral/";

/** The device key of a device name: an id, or its `/machine/peripheral/ID` path. */
function deviceKey(device: string): string {
  return device.startsWith(PERIPHERAL) && !device.slice(PERIPHERAL.length).includes("/")
    ? device.slice(PERIPHERAL.length)
    : device;
}

/** The accept host of one device. */
export class DeviceHost {
  /** The device, as first named (id or QOM path). */
  readonly device: string;
  readonly #machine: Machine;
  readonly #log: (actions: readonly HostAction[]) => void;
  #running = false;

  /**
   * Creates the host of one device.
   *
   * @param machine the machine the device belongs to.
   * @param device the device id or QOM path.
   * @param log receives what each run did.
   */
  constructor(machine: Machine, device: string, log: (actions: readonly HostAction[]) => void) {
    this.#machine = machine;
    this.device = device;
    this.#log = log;
  }

  /**
   * Handles every record in the device's DC event log now (accepts offers in
   * full, performs releases, clears the records) and returns what it did. A
   * call made while a run is in progress (from inside the mailbox) does
   * nothing and returns `[]`.
   *
   * @throws {Error} when the machine has no such device.
   */
  settle(): HostAction[] {
    if (this.#running) return [];
    this.#running = true;
    try {
      const done = acceptAllSync((opcode, payload) =>
        this.#machine.mailboxSync(this.device, opcode, payload)
      );
      if (done.length > 0) this.#log(done);
      return done;
    } finally {
      this.#running = false;
    }
  }
}

const REGISTRY = new WeakMap<Machine, DeviceHosts>();

/**
 * The accept hosts of one machine, one per device.
 *
 * @example
 * ```ts ignore
 * import { DeviceHosts } from "@cxl-dcd/conformance/qmp";
 * machine.execute("cxl-add-dynamic-capacity", args);
 * DeviceHosts.of(machine).forDevice("cxl-vmem0").settle(); // accepted now
 * ```
 */
export class DeviceHosts {
  /** What the hosts did, most recent last (at most {@linkcode MAX_KEPT_ACTIONS}). */
  readonly actions: HostAction[] = [];
  readonly #machine: Machine;
  readonly #hosts = new Map<string, DeviceHost>();

  private constructor(machine: Machine) {
    this.#machine = machine;
  }

  /** The hosts of a machine: the same object for every caller. */
  static of(machine: Machine): DeviceHosts {
    let hosts = REGISTRY.get(machine);
    if (hosts === undefined) {
      hosts = new DeviceHosts(machine);
      REGISTRY.set(machine, hosts);
    }
    return hosts;
  }

  /** The host of a device (by id or `/machine/peripheral/ID` path). */
  forDevice(device: string): DeviceHost {
    const key = deviceKey(device);
    let host = this.#hosts.get(key);
    if (host === undefined) {
      host = new DeviceHost(this.#machine, device, (done) => this.#record(done));
      this.#hosts.set(key, host);
    }
    return host;
  }

  #record(done: readonly HostAction[]): void {
    this.actions.push(...done);
    if (this.actions.length > MAX_KEPT_ACTIONS) {
      this.actions.splice(0, this.actions.length - MAX_KEPT_ACTIONS);
    }
  }
}
