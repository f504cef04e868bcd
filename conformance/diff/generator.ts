/**
 * The program generator: the next step of a program, drawn from a seeded
 * generator and aimed at the host's view (built from target A's answers).
 * QMP adds and releases with every policy, tags, regions, host ids and edge
 * values; host steps reading and clearing events, reading the DC
 * configuration and extent list (paged), answering offers (all, some, none,
 * never offered) and releasing (whole, partial, bogus), and setting the
 * timestamp. Steps of an excluded known-crash class are drawn again.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import type { DpaRange } from "../host/layouts.ts";
import { jsonInt } from "../host/bytes.ts";
import { excludedBy, type KnownCrash } from "./exclusions.ts";
import type { Prng } from "./prng.ts";
import type { DiffStep, HostStep, QmpStep } from "./program.ts";
import type { DeviceShape, RegionShape, Topology } from "./topologies.ts";
import { asUint64, type DeviceView, type HostView } from "./view.ts";

/** The one block size QEMU supports (2 MiB). */
export const BLOCK = 2n * 1024n * 1024n;

const MAX64 = (1n << 64n) - 1n;

function int(v: bigint): QmpValue {
  return jsonInt(v);
}

function uuid(rng: Prng): string {
  const h = Array.from({ length: 16 }, () => rng.int(256).toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function dcDevices(t: Topology): DeviceShape[] {
  return t.devices.filter((d) => d.regions.length > 0);
}

/** A device for the next step: a DC device, now and then one without DC. */
function pickDevice(rng: Prng, t: Topology): DeviceShape {
  const dc = dcDevices(t);
  const other = t.devices.filter((d) => d.regions.length === 0);
  return other.length > 0 && rng.chance(0.1) ? rng.pick(other) : rng.pick(dc);
}

function path(rng: Prng, id: string): string {
  const r = rng.int(100);
  if (r < 2) return "/machine/peripheral/no-such-device";
  if (r < 3) return "/machine/unattached";
  return r < 55 ? `/machine/peripheral/${id}` : id;
}

function hostId(rng: Prng): QmpValue {
  const r = rng.int(100);
  if (r < 65) return 0;
  if (r < 92) return rng.range(1, 5);
  if (r < 96) return 65535;
  return 65536;
}

function regionIndex(rng: Prng, d: DeviceShape): QmpValue {
  const r = rng.int(100);
  if (r < 92 || d.regions.length === 0) {
    return d.regions.length === 0 ? 0 : rng.int(d.regions.length);
  }
  return rng.pick([d.regions.length, 7, 8, 255, 256]);
}

function tag(rng: Prng): string | undefined {
  const r = rng.int(100);
  if (r < 70) return undefined;
  if (r < 88) return uuid(rng);
  return rng.pick(["t1", "", "not-a-uuid"]);
}

/** One extent `{offset, len}` in a region, edge-valued now and then. */
function extent(rng: Prng, region: RegionShape, previous: QmpObject | undefined): QmpObject {
  const blocks = region.length / BLOCK;
  const lenBlocks = BigInt(rng.chance(0.9) ? rng.range(1, 8) : rng.range(9, 64));
  const good = (): QmpObject => {
    const span = blocks - lenBlocks + 1n;
    const start = BigInt(rng.int(Number(span > 0n ? span : 1n)));
    return { offset: int(start * BLOCK), len: int(lenBlocks * BLOCK) };
  };
  if (rng.chance(0.72)) return good();
  const e = good();
  switch (rng.int(11)) {
    case 0:
      return { ...e, len: 0 };
    case 1:
      return { ...e, offset: int((asUint64(e["offset"]) ?? 0n) + 4096n) };
    case 2:
      return { ...e, len: int(BLOCK + 4096n) };
    case 3:
      return { offset: int(region.length - BLOCK), len: int(2n * BLOCK) };
    case 4:
      return { offset: int(region.length), len: int(BLOCK) };
    case 5:
      return { offset: int(rng.pick([1n << 63n, MAX64 - BLOCK + 1n, MAX64])), len: int(BLOCK) };
    case 6:
      return { ...e, len: int(rng.pick([1n << 63n, MAX64, region.length + BLOCK])) };
    case 7:
      return { offset: -Number(BLOCK), len: int(BLOCK) };
    case 8:
      return previous === undefined ? e : { ...previous };
    case 9:
      return previous === undefined ? e : {
        offset: previous["offset"] ?? 0,
        len: int((asUint64(previous["len"]) ?? 0n) + BLOCK),
      };
    default:
      return { offset: 0, len: int(BLOCK) };
  }
}

function extents(rng: Prng, region: RegionShape): QmpObject[] {
  const r = rng.int(100);
  const n = r < 3 ? 0 : r < 55 ? 1 : r < 93 ? rng.range(2, 3) : rng.range(4, 12);
  const out: QmpObject[] = [];
  for (let k = 0; k < n; k++) out.push(extent(rng, region, out[out.length - 1]));
  return out;
}

/** Extents are placed in this when the device has no region to aim at. */
const STAND_IN_REGION: RegionShape = { base: 0n, length: 1024n * BLOCK };

/** The start of a capacity add or release: its device, region and first arguments. */
interface CapacityRequest {
  /** The device aimed at. */
  device: DeviceShape;
  /** The `region` argument (now and then one the device does not have). */
  region: QmpValue;
  /** The region extents are placed in. */
  shape: RegionShape;
  /** The arguments so far: `path` and `host-id`. */
  args: QmpObject;
}

function capacityRequest(rng: Prng, t: Topology): CapacityRequest {
  const device = pickDevice(rng, t);
  const region = regionIndex(rng, device);
  const shape = device.regions[Number(region)] ?? device.regions[0] ?? STAND_IN_REGION;
  return { device, region, shape, args: { path: path(rng, device.id), "host-id": hostId(rng) } };
}

function addCapacity(rng: Prng, t: Topology): QmpStep {
  const { region, shape, args } = capacityRequest(rng, t);
  args["selection-policy"] = rng.chance(0.85)
    ? "prescriptive"
    : rng.pick(["free", "contiguous", "enable-shared-access"]);
  args["region"] = region;
  const tg = tag(rng);
  if (tg !== undefined) args["tag"] = tg;
  args["extents"] = extents(rng, shape);
  return { kind: "qmp", execute: "cxl-add-dynamic-capacity", arguments: args };
}

/** Extents to release, aimed at what the host holds or was offered. */
function releaseExtents(
  rng: Prng,
  d: DeviceShape,
  v: DeviceView,
  region: RegionShape,
): QmpObject[] {
  const inRegion = (r: DpaRange) => r.dpa >= region.base && r.dpa < region.base + region.length;
  const held = v.accepted.filter(inRegion);
  const offered = v.pending.flat().filter(inRegion);
  const rel = (r: DpaRange): QmpObject => ({ offset: int(r.dpa - region.base), len: int(r.len) });
  const k = rng.int(100);
  if (k < 45 && held.length > 0) {
    const h = rng.pick(held);
    if (rng.chance(0.6) || h.len <= BLOCK) return [rel(h)];
    return [rel({ dpa: h.dpa + (rng.chance(0.5) ? 0n : BLOCK), len: BLOCK })];
  }
  if (k < 55 && held.length > 1) return held.slice(0, 2).map(rel);
  if (k < 65 && offered.length > 0) return [rel(rng.pick(offered))];
  return extents(rng, d.regions.length > 0 ? region : STAND_IN_REGION);
}

function releaseCapacity(rng: Prng, t: Topology, view: HostView): QmpStep {
  const { device: d, region, shape, args } = capacityRequest(rng, t);
  args["removal-policy"] = rng.chance(0.88) ? "prescriptive" : "tag-based";
  if (rng.chance(0.12)) args["forced-removal"] = rng.chance(0.5);
  if (rng.chance(0.1)) args["sanitize-on-release"] = rng.chance(0.5);
  args["region"] = region;
  const tg = tag(rng);
  if (tg !== undefined) args["tag"] = tg;
  args["extents"] = releaseExtents(rng, d, view.device(d.id), shape);
  return { kind: "qmp", execute: "cxl-release-dynamic-capacity", arguments: args };
}

function entry(r: DpaRange): QmpObject {
  return { dpa: int(r.dpa), len: int(r.len) };
}

function anyRange(rng: Prng, d: DeviceShape): DpaRange {
  const region = d.regions.length > 0 ? rng.pick(d.regions) : { base: 0n, length: 128n * BLOCK };
  const blocks = Number(region.length / BLOCK);
  const n = BigInt(rng.range(1, 4));
  return { dpa: region.base + BigInt(rng.int(Math.max(1, blocks - 4))) * BLOCK, len: n * BLOCK };
}

/** Edge entries shared by 0x4802 and 0x4803. */
function edgeEntries(rng: Prng, base: DpaRange): QmpObject[] {
  switch (rng.int(5)) {
    case 0:
      return [entry(base), entry(base)];
    case 1:
      return [entry(base), entry({ dpa: base.dpa, len: base.len + BLOCK })];
    case 2:
      return [entry({ dpa: base.dpa + 4096n, len: base.len })];
    case 3:
      return [entry({ dpa: base.dpa, len: 0n })];
    default:
      return [entry({ dpa: MAX64 - BLOCK + 1n, len: 2n * BLOCK })];
  }
}

function addResponse(rng: Prng, d: DeviceShape, v: DeviceView): HostStep {
  const group = v.pending[0] ?? [];
  const k = rng.int(100);
  let list: QmpObject[];
  if (k < 42 && group.length > 0) list = group.map(entry);
  else if (k < 57 && group.length > 0) {
    const one = rng.pick(group);
    list = rng.chance(0.5) || one.len <= BLOCK
      ? [entry(one)]
      : [entry({ dpa: one.dpa + (rng.chance(0.5) ? 0n : BLOCK), len: BLOCK })];
  } else if (k < 67) list = [];
  else if (k < 82) list = [entry(anyRange(rng, d))];
  else list = edgeEntries(rng, group[0] ?? anyRange(rng, d));
  const input: QmpObject = { extents: list };
  if (rng.chance(0.03)) input["count"] = list.length + 1;
  return { kind: "host", device: d.id, command: "add-dc-response", input };
}

function releaseDc(rng: Prng, d: DeviceShape, v: DeviceView): HostStep {
  const k = rng.int(100);
  let list: QmpObject[];
  const held = v.accepted;
  if (k < 30 && held.length > 0) list = [entry(rng.pick(held))];
  else if (k < 50 && v.releaseRequests.length > 0) list = v.releaseRequests[0]!.map(entry);
  else if (k < 62 && held.length > 0) {
    const h = rng.pick(held);
    list = [entry({ dpa: h.dpa + (h.len > BLOCK && rng.chance(0.5) ? BLOCK : 0n), len: BLOCK })];
  } else if (k < 77) list = [entry(anyRange(rng, d))];
  else if (k < 82 && held.length > 1) list = held.slice(0, 2).map(entry);
  else if (k < 86) list = [];
  else list = edgeEntries(rng, held[0] ?? anyRange(rng, d));
  const input: QmpObject = { extents: list };
  if (rng.chance(0.03)) input["count"] = list.length + 1;
  return { kind: "host", device: d.id, command: "release-dc", input };
}

function hostStep(rng: Prng, t: Topology, view: HostView): HostStep {
  const d = pickDevice(rng, t);
  const v = view.device(d.id);
  const kind = rng.weighted({
    events: 20,
    clear: 12,
    config: 8,
    list: 12,
    accept: v.pending.length > 0 ? 40 : 8,
    release: v.releaseRequests.length > 0 ? 30 : v.accepted.length > 0 ? 14 : 6,
    timestamp: 4,
  });
  const host = (command: string, input: QmpObject): HostStep => ({
    kind: "host",
    device: d.id,
    command,
    input,
  });
  switch (kind) {
    case "events": {
      const log = rng.chance(0.85)
        ? "dynamic-capacity"
        : rng.pick<QmpValue>(["informational", "warning", "failure", "fatal", 5, 255]);
      return host("get-event-records", { log });
    }
    case "clear": {
      const known = v.handles.get(4) ?? [];
      const r = rng.int(100);
      let handles: number[];
      if (r < 40 && known.length > 0) handles = [...known];
      else if (r < 65 && known.length > 0) handles = [known[0]!];
      else if (r < 75 && known.length > 0) handles = [known[0]!, known[0]!];
      else handles = [rng.pick([0, 1, 2, 9, 0xffff, (known[known.length - 1] ?? 0) + 1])];
      const input: QmpObject = { log: "dynamic-capacity", handles };
      if (rng.chance(0.05)) input["flags"] = 1;
      if (rng.chance(0.04)) input["count"] = rng.pick([0, handles.length + 1]);
      return host("clear-event-records", input);
    }
    case "config": {
      if (rng.chance(0.5)) return host("get-dc-config", {});
      return host("get-dc-config", {
        "region-count": rng.pick([0, 1, 2, 8, 255]),
        "start-region": rng.pick([0, 0, 1, 2, 8]),
      });
    }
    case "list": {
      if (rng.chance(0.4)) return host("get-dc-extent-list", {});
      const total = v.extentTotal;
      return host("get-dc-extent-list", {
        count: rng.pick([0, 1, 1, 2, 3, 1000]),
        "start-index": rng.pick([0, 0, 1, 2, total, total + 1]),
      });
    }
    case "accept":
      return addResponse(rng, d, v);
    case "release":
      return releaseDc(rng, d, v);
    case "timestamp":
      return host("set-timestamp", {
        timestamp: int(rng.pick([0n, 1_700_000_000_000_000_000n, MAX64, rng.bigint64()])),
      });
  }
}

/**
 * The next step of a program on this topology, given the host's view;
 * steps of an excluded class are drawn again (and, failing that, replaced
 * by a Get DC Config, which never crashes).
 *
 * @example
 * ```ts
 * import { nextStep } from "./generator.ts";
 * import { Prng } from "./prng.ts";
 * import { TOPOLOGIES } from "./topologies.ts";
 * import { HostView } from "./view.ts";
 * const t = TOPOLOGIES["one-region"]!;
 * const s = nextStep(new Prng(1), t, new HostView(t), []);
 * if (s.kind !== "qmp" && s.kind !== "host") throw new Error();
 * ```
 */
export function nextStep(
  rng: Prng,
  topology: Topology,
  view: HostView,
  exclusions: readonly KnownCrash[],
): DiffStep {
  for (let tries = 0; tries < 20; tries++) {
    const r = rng.int(100);
    const holding = topology.devices.some((d) => view.device(d.id).accepted.length > 0);
    const step = r < 25
      ? addCapacity(rng, topology)
      : r < (holding ? 45 : 33)
      ? releaseCapacity(rng, topology, view)
      : hostStep(rng, topology, view);
    if (excludedBy(step, view, exclusions) === undefined) return step;
  }
  return { kind: "host", device: dcDevices(topology)[0]!.id, command: "get-dc-config", input: {} };
}
