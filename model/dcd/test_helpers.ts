/**
 * Helpers shared by the DC device tests: device construction, mailbox
 * payload encoding and decoding. Test-only; not exported from the package.
 *
 * @module
 */

import { ReturnCode } from "../host_interface.ts";
import { type Profile, SEED } from "../profile.ts";
import { parseUuid, uuidEquals } from "../uuid.ts";
import { DcDevice } from "./dc_device.ts";
import type { DcDeviceConfig, QmpExtent, TaggedBackend } from "./types.ts";

/** 1 MiB. */
export const MiB = 1024n * 1024n;
/** 1 GiB. */
export const GiB = 1024n * MiB;

/** A mutable clock for tests. */
export interface TestClock {
  now: bigint;
}

/** Options for {@linkcode makeDevice}. */
export interface MakeDeviceOptions {
  profile?: Profile;
  regionCount?: number;
  regionLength?: bigint;
  firstRegionBase?: bigint;
  lazy?: boolean;
  backends?: TaggedBackend[];
  clock?: TestClock;
  hpaBase?: bigint;
  staticVolatileBytes?: bigint;
  lsaBytes?: bigint;
}

/** Builds a device (default: seed, 1 region of 2 GiB, non-lazy). */
export function makeDevice(o: MakeDeviceOptions = {}): DcDevice {
  const clock = o.clock ?? { now: 0n };
  const backends = o.backends ?? [];
  const config: DcDeviceConfig = {
    id: "cxl-vmem0",
    profile: o.profile ?? SEED,
    clock: () => clock.now,
    lazy: o.lazy ?? false,
    hpaBase: o.hpaBase ?? 0x290000000n,
    geometry: {
      regionCount: o.regionCount ?? 1,
      regionLength: o.regionLength ?? 2n * GiB,
      firstRegionBase: o.firstRegionBase ?? 0n,
      blockSize: 2n * MiB,
    },
    backends: { findByTag: (tag) => backends.find((b) => uuidEquals(b.tag, tag)) },
  };
  if (o.staticVolatileBytes !== undefined) config.staticVolatileBytes = o.staticVolatileBytes;
  if (o.lsaBytes !== undefined) config.lsaBytes = o.lsaBytes;
  return new DcDevice(config);
}

/** A tagged backend record. */
export function taggedBackend(id: string, tagText: string, size: bigint): TaggedBackend {
  return { id, size, tagText, tag: parseUuid(tagText), binding: undefined, alias: undefined };
}

/** Extents from [offset, len] pairs. */
export function ext(...pairs: [bigint, bigint][]): QmpExtent[] {
  return pairs.map(([offset, len]) => ({ offset, len }));
}

/** Encodes a 0x4802/0x4803 payload from absolute [dpa, len] pairs. */
export function updatePayload(entries: [bigint, bigint][], n = entries.length): Uint8Array {
  const p = new Uint8Array(8 + 24 * entries.length);
  const v = new DataView(p.buffer);
  v.setUint32(0, n, true);
  entries.forEach(([dpa, len], i) => {
    v.setBigUint64(8 + 24 * i, dpa, true);
    v.setBigUint64(8 + 24 * i + 8, len, true);
  });
  return p;
}

/** Accepts (0x4802) these ranges; throws unless the device returns success. */
export function accept(dev: DcDevice, entries: [bigint, bigint][]): void {
  const r = dev.mailbox(0x4802, updatePayload(entries));
  if (r.rc !== ReturnCode.SUCCESS) throw new Error(`0x4802 returned ${r.rc}, expected 0`);
}

/** Releases (0x4803) these ranges; throws unless the device returns success. */
export function hostRelease(dev: DcDevice, entries: [bigint, bigint][]): void {
  const r = dev.mailbox(0x4803, updatePayload(entries));
  if (r.rc !== ReturnCode.SUCCESS) throw new Error(`0x4803 returned ${r.rc}, expected 0`);
}

/** Decoded 0x4801 output. */
export interface ExtentList {
  returned: number;
  total: number;
  generation: number;
  extents: { dpa: bigint; len: bigint; tag: Uint8Array; seq: number }[];
}

/** Runs 0x4801 and decodes it. */
export function extentList(dev: DcDevice, count = 50, start = 0): ExtentList {
  const p = new Uint8Array(8);
  const v = new DataView(p.buffer);
  v.setUint32(0, count, true);
  v.setUint32(4, start, true);
  const r = dev.mailbox(0x4801, p);
  if (r.rc !== 0) throw new Error(`0x4801 returned ${r.rc}, expected 0`);
  const o = new DataView(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
  const returned = o.getUint32(0, true);
  const extents = [];
  for (let i = 0; i < returned; i++) {
    const b = 16 + 40 * i;
    extents.push({
      dpa: o.getBigUint64(b, true),
      len: o.getBigUint64(b + 8, true),
      tag: r.payload.slice(b + 16, b + 32),
      seq: o.getUint16(b + 32, true),
    });
  }
  return { returned, total: o.getUint32(4, true), generation: o.getUint32(8, true), extents };
}

/** Accepted extents as [dpa, len] pairs in list order. */
export function acceptedPairs(dev: DcDevice): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let start = 0;
  for (;;) {
    const l = extentList(dev, 50, start);
    for (const e of l.extents) out.push([e.dpa, e.len]);
    start += l.returned;
    if (l.returned === 0 || start >= l.total) return out;
  }
}

/** Decoded DC event record fields. */
export interface DcRecord {
  handle: number;
  timestamp: bigint;
  type: number;
  validity: number;
  hostId: number;
  regionId: number;
  flags: number;
  dpa: bigint;
  len: bigint;
  tag: Uint8Array;
  extentsAvailable: number;
}

/** Decoded 0x0100 output. */
export interface EventsOut {
  flags: number;
  overflowCount: number;
  firstOverflow: bigint;
  lastOverflow: bigint;
  count: number;
  records: DcRecord[];
  raw: Uint8Array;
}

/** Runs 0x0100 for a log and decodes it. */
export function getEvents(dev: DcDevice, log = 4): EventsOut {
  const r = dev.mailbox(0x0100, new Uint8Array([log]));
  if (r.rc !== 0) throw new Error(`0x0100 returned ${r.rc}, expected 0`);
  const p = r.payload;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const count = v.getUint16(0x14, true);
  const records: DcRecord[] = [];
  for (let i = 0; i < count; i++) {
    const b = 0x20 + 0x80 * i;
    records.push({
      handle: v.getUint16(b + 0x14, true),
      timestamp: v.getBigUint64(b + 0x18, true),
      type: v.getUint8(b + 0x30),
      validity: v.getUint8(b + 0x31),
      hostId: v.getUint16(b + 0x32, true),
      regionId: v.getUint8(b + 0x34),
      flags: v.getUint8(b + 0x35),
      dpa: v.getBigUint64(b + 0x38, true),
      len: v.getBigUint64(b + 0x40, true),
      tag: p.slice(b + 0x48, b + 0x58),
      extentsAvailable: v.getUint32(b + 0x78, true),
    });
  }
  return {
    flags: v.getUint8(0),
    overflowCount: v.getUint16(2, true),
    firstOverflow: v.getBigUint64(4, true),
    lastOverflow: v.getBigUint64(0x0c, true),
    count,
    records,
    raw: p,
  };
}

/** Clears event records by handle (0x0101); returns the return code. */
export function clearEvents(dev: DcDevice, handles: number[], log = 4): number {
  const p = new Uint8Array(6 + 2 * handles.length);
  const v = new DataView(p.buffer);
  p[0] = log;
  p[2] = handles.length;
  handles.forEach((h, i) => v.setUint16(6 + 2 * i, h, true));
  return dev.mailbox(0x0101, p).rc;
}

/** Hex of bytes, for byte-for-byte comparisons. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
