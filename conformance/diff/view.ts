/**
 * The host's view of each device during a program, built only from target
 * A's answers: the offers QMP accepted and the host has not answered yet,
 * the extents the host accepted, the releases QMP asked for, the event
 * handles the host last read, and whether it set the timestamp. The
 * generator aims its next step at this view.
 *
 * @module
 */

import type { QmpValue } from "../../model/qmp_value.ts";
import { decodeDcExtentList, decodeEventRecords, type DpaRange } from "../host/layouts.ts";
import type { Answer, DiffStep } from "./program.ts";
import { qmpSucceeded } from "./program.ts";
import type { Topology } from "./topologies.ts";

/** What the host knows about one device. */
export interface DeviceView {
  /** Offer groups QMP accepted that no successful 0x4802 answered yet, oldest first. */
  pending: DpaRange[][];
  /** Extents the host holds (accepted, not released). */
  accepted: DpaRange[];
  /** Ranges QMP asked the host to release, oldest first. */
  releaseRequests: DpaRange[][];
  /** Handles of the records the last Get Event Records returned, per log id. */
  handles: Map<number, number[]>;
  /** Whether a Set Timestamp succeeded (record timestamps then follow the host clock). */
  timestampSet: boolean;
  /** Total extents the last Get DC Extent List reported. */
  extentTotal: number;
}

/** The view of a device of a freshly started machine: nothing offered, held or read. */
function emptyDeviceView(): DeviceView {
  return {
    pending: [],
    accepted: [],
    releaseRequests: [],
    handles: new Map(),
    timestampSet: false,
    extentTotal: 0,
  };
}

/** A 64-bit value of a QMP `uint64` argument as QEMU reads it (negative numbers wrap). */
export function asUint64(v: QmpValue | undefined): bigint | undefined {
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  if (typeof v === "number" && Number.isInteger(v)) return BigInt.asUintN(64, BigInt(v));
  return undefined;
}

function ranges(v: QmpValue | undefined, key: "dpa" | "offset", base: bigint): DpaRange[] {
  if (!Array.isArray(v)) return [];
  const out: DpaRange[] = [];
  for (const e of v) {
    if (e === null || typeof e !== "object" || Array.isArray(e)) continue;
    const at = asUint64(e[key]);
    const len = asUint64(e["len"]);
    if (at !== undefined && len !== undefined) out.push({ dpa: base + at, len });
  }
  return out;
}

function subtract(held: readonly DpaRange[], cut: DpaRange): DpaRange[] {
  const out: DpaRange[] = [];
  const cutEnd = cut.dpa + cut.len;
  for (const h of held) {
    const end = h.dpa + h.len;
    if (end <= cut.dpa || h.dpa >= cutEnd) {
      out.push(h);
      continue;
    }
    if (h.dpa < cut.dpa) out.push({ dpa: h.dpa, len: cut.dpa - h.dpa });
    if (end > cutEnd) out.push({ dpa: cutEnd, len: end - cutEnd });
  }
  return out;
}

/**
 * The host's view of every device of a topology, updated with each step and
 * target A's answer to it.
 *
 * @example
 * ```ts
 * import { HostView } from "./view.ts";
 * import { TOPOLOGIES } from "./topologies.ts";
 * const view = new HostView(TOPOLOGIES["one-region"]!);
 * view.observe(
 *   { kind: "qmp", execute: "cxl-add-dynamic-capacity", arguments: {
 *     path: "cxl-vmem0", "host-id": 0, "selection-policy": "prescriptive", region: 0,
 *     extents: [{ offset: 0, len: 2097152 }] } },
 *   { kind: "qmp", messages: [{ return: {} }] },
 * );
 * if (view.device("cxl-vmem0").pending.length !== 1) throw new Error();
 * ```
 */
export class HostView {
  readonly #topology: Topology;
  readonly #devices = new Map<string, DeviceView>();

  /** Creates an empty view (a freshly started machine). */
  constructor(topology: Topology) {
    this.#topology = topology;
    for (const d of topology.devices) this.#devices.set(d.id, emptyDeviceView());
  }

  /** The view of a device (an empty one for an id the topology does not have). */
  device(id: string): DeviceView {
    let d = this.#devices.get(id);
    if (d === undefined) {
      d = emptyDeviceView();
      this.#devices.set(id, d);
    }
    return d;
  }

  /** The device a QMP `path` names (`/machine/peripheral/ID` or `ID`), if the topology has it. */
  deviceOfPath(path: QmpValue | undefined): string | undefined {
    if (typeof path !== "string") return undefined;
    const id = path.startsWith("/machine/peripheral/")
      ? path.slice("/machine/peripheral/".length)
      : path;
    return this.#topology.devices.some((d) => d.id === id) ? id : undefined;
  }

  /** Takes a step and target A's answer to it into the view. */
  observe(step: DiffStep, answer: Answer): void {
    if (step.kind === "qmp") {
      if (!qmpSucceeded(answer)) return;
      const id = this.deviceOfPath(step.arguments["path"]);
      if (id === undefined) return;
      const shape = this.#topology.devices.find((d) => d.id === id);
      const region = shape?.regions[Number(step.arguments["region"])];
      if (region === undefined) return;
      const group = ranges(step.arguments["extents"], "offset", region.base);
      // An accepted request with no extents creates no group (QEMU inserts none).
      if (group.length === 0) return;
      if (step.execute === "cxl-add-dynamic-capacity") this.device(id).pending.push(group);
      if (step.execute === "cxl-release-dynamic-capacity") {
        this.device(id).releaseRequests.push(group);
      }
      return;
    }
    if (answer.kind !== "host" || answer.rc !== 0) return;
    const d = this.device(step.device);
    switch (step.command) {
      case "add-dc-response": {
        d.pending.shift();
        d.accepted.push(...ranges(step.input["extents"], "dpa", 0n));
        break;
      }
      case "release-dc": {
        for (const r of ranges(step.input["extents"], "dpa", 0n)) {
          d.accepted = subtract(d.accepted, r);
        }
        d.releaseRequests.shift();
        break;
      }
      case "get-dc-extent-list": {
        try {
          const list = decodeDcExtentList(answer.payload);
          d.extentTotal = list.total;
          if ((step.input["start-index"] ?? 0) === 0 && list.returned === list.total) {
            d.accepted = list.extents.map((e) => ({ dpa: e.dpa, len: e.len }));
          }
        } catch {
          // An answer that does not decode teaches the host nothing.
        }
        break;
      }
      case "get-event-records": {
        try {
          const page = decodeEventRecords(answer.payload);
          d.handles.set(logId(step.input["log"]), page.records.map((r) => r.handle));
        } catch {
          // As above.
        }
        break;
      }
      case "clear-event-records": {
        const log = logId(step.input["log"]);
        const cleared = new Set(
          Array.isArray(step.input["handles"]) ? step.input["handles"].map(Number) : [],
        );
        const all = (Number(step.input["flags"] ?? 0) & 1) !== 0;
        d.handles.set(log, all ? [] : (d.handles.get(log) ?? []).filter((h) => !cleared.has(h)));
        break;
      }
      case "set-timestamp":
        d.timestampSet = true;
        break;
    }
  }
}

const LOG_IDS: Readonly<Record<string, number>> = {
  "informational": 0,
  "warning": 1,
  "failure": 2,
  "fatal": 3,
  "dynamic-capacity": 4,
};

/** The log id a host step's `log` field names. */
export function logId(v: QmpValue | undefined): number {
  return typeof v === "string" ? LOG_IDS[v] ?? -1 : Number(v);
}
