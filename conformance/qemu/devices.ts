/**
 * Finds the CXL type-3 devices of a running QEMU and their primary
 * mailboxes: root buses and device ids come from QMP `query-pci`, the
 * functions themselves from an ECAM bus walk over qtest.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { TargetTimeoutError } from "../target_types.ts";
import {
  configDword,
  ecamAddress,
  findPrimaryMailbox,
  formatPciAddress,
  isCxlType3,
  type PciAddress,
  type PciFunction,
  readConfigSpace,
  walkPci,
} from "./pci.ts";
import type { QtestClient } from "./qtest.ts";

/** The q35 host bridge's vendor/device dword, read to see whether ECAM is mapped. */
const ECAM_PROBE = ecamAddress({ bus: 0, device: 0, function: 0 }, 0);

/** What `query-pci` tells: root bus numbers and the device id of each function. */
export interface PciTopology {
  /** Root bus numbers (0 and each expander bridge's bus). */
  rootBuses: number[];
  /** `bb:dd.f` → qdev id (functions without an id are absent). */
  ids: Map<string, string>;
}

function isObject(v: QmpValue | undefined): v is QmpObject {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

/**
 * Reads root buses and qdev ids from a `query-pci` result.
 *
 * @example
 * ```ts
 * import { pciTopology } from "@cxl-dcd/conformance/conformance";
 * const t = pciTopology([{ bus: 23, devices: [{ bus: 24, slot: 0, function: 0, qdev_id: "m" }] }]);
 * if (t.ids.get("18:00.0") !== "m" || t.rootBuses[0] !== 23) throw new Error();
 * ```
 */
export function pciTopology(queryPci: QmpValue): PciTopology {
  const rootBuses: number[] = [];
  const ids = new Map<string, string>();
  const visit = (devices: QmpValue | undefined): void => {
    if (!Array.isArray(devices)) return;
    for (const d of devices) {
      if (!isObject(d)) continue;
      const { bus, slot } = d;
      const fn = d["function"];
      const id = d["qdev_id"];
      if (
        typeof bus === "number" && typeof slot === "number" && typeof fn === "number" &&
        typeof id === "string" && id !== ""
      ) {
        ids.set(formatPciAddress({ bus, device: slot, function: fn }), id);
      }
      const bridge = d["pci_bridge"];
      if (isObject(bridge)) visit(bridge["devices"]);
    }
  };
  if (Array.isArray(queryPci)) {
    for (const root of queryPci) {
      if (!isObject(root)) continue;
      if (typeof root["bus"] === "number") rootBuses.push(root["bus"]);
      visit(root["devices"]);
    }
  }
  return { rootBuses, ids };
}

/** A discovered type-3 function. */
export interface Type3Device {
  /** `-device` id (empty when the device has none). */
  id: string;
  /** PCI address. */
  address: PciAddress;
  /** MMIO address of the primary mailbox registers. */
  mailbox: bigint;
}

/** Options of {@linkcode discoverType3}. */
export interface DiscoverOptions {
  /** Type-3 devices the machine declares; discovery waits until that many are enabled. */
  expected: number;
  /**
   * Their `-device` ids (empty strings for devices without one): discovery
   * also waits until `query-pci` maps each non-empty id to a found function,
   * since bus numbers change while the firmware enumerates.
   */
  ids?: readonly string[];
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /**
   * Every function a firmware-free bring-up enumerated (`bringup.ts`): taken
   * instead of a bus walk, since nothing renumbers the buses afterwards.
   */
  functions?: readonly PciFunction[];
}

/**
 * Waits until the firmware has made the type-3 devices usable, then locates
 * each primary mailbox. On q35 the ECAM window, the bridges' bus numbers and
 * the BARs are all programmed by SeaBIOS (about 0.1 s after start), so this
 * polls: ECAM live, `expected` type-3 functions found by the bus walk, memory
 * decoding on for each (read with the rest of the function's config space,
 * which then gives its BARs and Register Locator). `topology` is called on
 * every attempt (bus numbers in `query-pci` change while the firmware
 * enumerates). With `functions` (a firmware-free bring-up) nothing polls:
 * `query-pci` for the ids runs while the functions are read.
 */
export async function discoverType3(
  qt: QtestClient,
  topology: () => Promise<PciTopology>,
  options: DiscoverOptions,
): Promise<Type3Device[]> {
  const deadline = Date.now() + options.timeoutMs;
  let state = "the ECAM window is not mapped yet";
  const wanted = (options.ids ?? []).filter((id) => id !== "");
  const known = options.functions;
  for (;;) {
    // Brought up directly: nothing renumbers, so the ids can be asked at once
    // (or the bring-up already did).
    const after = known === undefined
      ? undefined
      : known.every((f) => f.id !== undefined)
      ? Promise.resolve({
        rootBuses: [],
        ids: new Map(known.map((f) => [formatPciAddress(f), f.id ?? ""])),
      })
      : topology();
    after?.catch(() => {});
    const before = known === undefined
      ? await topology()
      : { rootBuses: [], ids: new Map<string, string>() };
    // A bring-up that returned functions has read them through ECAM.
    const hostBridge = known === undefined ? await qt.readl(ECAM_PROBE) : undefined;
    if (hostBridge === undefined || (hostBridge !== 0 && (hostBridge & 0xffff) !== 0xffff)) {
      // Without query-pci's root buses (no QMP), every bus number is a candidate root.
      const roots = before.rootBuses.length > 0
        ? before.rootBuses
        : Array.from({ length: 256 }, (_, i) => i);
      const functions = (known ?? await walkPci(qt, roots)).filter(isCxlType3);
      state = `${functions.length} of ${options.expected} type-3 devices found`;
      if (functions.length >= options.expected) {
        const configs = await Promise.all(
          functions.map((f) => f.config ?? readConfigSpace(qt, f)),
        );
        const enabled = configs.map((c) => (configDword(c, 0x04) & 0x2) !== 0);
        // Ids are read after the walk: the firmware may have renumbered the
        // buses since `before` was taken, and then the addresses disagree.
        const topo = await (after ?? topology());
        const idOf = (f: PciAddress) =>
          topo.ids.get(formatPciAddress({ bus: f.bus, device: f.device, function: f.function }));
        const mapped = new Set(functions.map(idOf));
        const unmapped = wanted.filter((id) => !mapped.has(id));
        if (unmapped.length > 0) {
          state += `, query-pci does not yet place ${unmapped.join(", ")} at a found function`;
        } else if (enabled.every((e) => e)) {
          return await Promise.all(functions.map(async (f, i) => {
            const address = { bus: f.bus, device: f.device, function: f.function };
            return {
              id: idOf(address) ?? "",
              address,
              mailbox: await findPrimaryMailbox(qt, address, configs[i]),
            };
          }));
        } else {
          state += ", memory decoding not enabled on all of them";
        }
      }
    }
    if (Date.now() >= deadline) {
      throw new TargetTimeoutError(
        `CXL type-3 devices not ready within ${options.timeoutMs} ms (phase: device ` +
          `discovery): ${state}; expected the firmware to enumerate them and assign their BARs`,
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
