/**
 * The FM-API Dynamic Capacity commands (CXL r3.2 7.6.7.6) of the model's
 * type-3 device, as QEMU 10.1 to 11.1 answer them on the device's FM-owned
 * LD CCI (the CCI a switch mailbox CCI's 0x5300 Tunnel Management Command
 * reaches; the device's own PCI mailbox does not implement them):
 *
 * | Opcode | Command | Input length |
 * |---|---|---|
 * | 0x5600 | Get DCD Info | exactly 0 |
 * | 0x5601 | Get Host DC Region Configuration | exactly 4 |
 * | 0x5602 | Set DC Region Configuration | exactly 16 |
 * | 0x5603 | Get DC Region Extent Lists | exactly 12 |
 * | 0x5604 | Initiate Dynamic Capacity Add | variable (count not checked against it) |
 * | 0x5605 | Initiate Dynamic Capacity Release | variable (count not checked against it) |
 *
 * They exist only where the profile has them (`dcd.fmApi`, 10.1 and later)
 * and the device has DC regions; otherwise, like every other opcode of that
 * CCI the model does not implement (Identify, logs, timestamps), they return
 * 0x03 Unsupported. A fixed-size command with another input length returns
 * 0x16. Input bytes beyond the given payload read as zero (QEMU reads the
 * rest of its payload buffer).
 *
 * @module
 */

import {
  MAILBOX_PAYLOAD_MAX,
  type MailboxReply,
  mailboxReply as reply,
  ReturnCode,
} from "../host_interface.ts";
import { CAPACITY_MULTIPLIER, PayloadReader, PayloadWriter } from "./bytes.ts";
import type { DcDevice } from "./dc_device.ts";
import type { FmExtent } from "./types.ts";

/** The FM-API DCD opcodes. */
export const FmOpcode = {
  GET_DCD_INFO: 0x5600,
  GET_HOST_DC_REGION_CONFIG: 0x5601,
  SET_DC_REGION_CONFIG: 0x5602,
  GET_DC_REGION_EXTENT_LISTS: 0x5603,
  INITIATE_DC_ADD: 0x5604,
  INITIATE_DC_RELEASE: 0x5605,
} as const;

/** Fixed input lengths of the FM-API DCD commands (0x5604/0x5605 are variable). */
export const FM_FIXED_INPUT_LENGTH: Readonly<Record<number, number>> = {
  [FmOpcode.GET_DCD_INFO]: 0,
  [FmOpcode.GET_HOST_DC_REGION_CONFIG]: 4,
  [FmOpcode.SET_DC_REGION_CONFIG]: 16,
  [FmOpcode.GET_DC_REGION_EXTENT_LISTS]: 12,
};

/** Header of 0x5604/0x5605 before the extents; one extent is 0x28 bytes. */
const INITIATE_HEADER = 0x20;
const EXTENT_SIZE = 0x28;
/** Header of the 0x5603 output before the extents. */
const EXTENT_LIST_HEADER = 0x18;
/** Selection policy "prescriptive" (QAPI CxlExtentSelectionPolicy value 2). */
const SELECTION_PRESCRIPTIVE = 2;
/** Removal policy "prescriptive" (QAPI CxlExtentRemovalPolicy value 1). */
const REMOVAL_PRESCRIPTIVE = 1;
const REMOVAL_POLICY_MASK = 0x0f;
const FORCED_REMOVAL = 0x10;
/** QEMU's number of DC region slots (DCD_MAX_NUM_REGION). */
const REGION_SLOTS = 8;

/**
 * Whether the FM-owned LD CCI of a device implements an opcode.
 *
 * @example
 * ```ts
 * import { implementsFmOpcode } from "@cxl-dcd/conformance/model";
 * if (!implementsFmOpcode(0x5604, 1, true) || implementsFmOpcode(0x5604, 0, true)) throw new Error();
 * if (implementsFmOpcode(0x5600, 1, false)) throw new Error("absent before 10.1");
 * ```
 */
export function implementsFmOpcode(opcode: number, regionCount: number, fmApi: boolean): boolean {
  return fmApi && regionCount > 0 && opcode >= FmOpcode.GET_DCD_INFO &&
    opcode <= FmOpcode.INITIATE_DC_RELEASE;
}

/**
 * Runs one command on a device's FM-owned LD CCI.
 *
 * @example
 * ```ts
 * import { DcDevice } from "@cxl-dcd/conformance/model";
 * import { dispatchFmApi } from "@cxl-dcd/conformance/model";
 * import { QEMU_11_1 } from "@cxl-dcd/conformance/model";
 * const dev = new DcDevice({
 *   id: "d", profile: QEMU_11_1, clock: () => 0n, lazy: false, hpaBase: 0n,
 *   geometry: { regionCount: 1, regionLength: 1n << 30n, firstRegionBase: 0n, blockSize: 2n << 20n },
 *   backends: { findByTag: () => undefined },
 * });
 * const info = dispatchFmApi(dev, 0x5600, new Uint8Array(0));
 * if (info.rc !== 0 || info.payload.length !== 0x54 || info.payload[1] !== 1) throw new Error();
 * ```
 */
export function dispatchFmApi(device: DcDevice, opcode: number, payload: Uint8Array): MailboxReply {
  const g = device.config.geometry;
  if (!implementsFmOpcode(opcode, g.regionCount, device.profile.dcd.fmApi)) {
    return reply(ReturnCode.UNSUPPORTED);
  }
  const fixed = FM_FIXED_INPUT_LENGTH[opcode];
  if (fixed !== undefined && payload.length !== fixed) {
    return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
  }
  const input = new Uint8Array(Math.max(MAILBOX_PAYLOAD_MAX, payload.length));
  input.set(payload);
  const r = new PayloadReader(input);
  switch (opcode) {
    case FmOpcode.GET_DCD_INFO:
      return getDcdInfo(device);
    case FmOpcode.GET_HOST_DC_REGION_CONFIG:
      return getHostRegionConfig(device, r.u8(2), r.u8(3));
    case FmOpcode.SET_DC_REGION_CONFIG:
      return setRegionConfig(device, r.u8(0), r.u64(4), r.u8(0xc));
    case FmOpcode.GET_DC_REGION_EXTENT_LISTS:
      return getRegionExtentLists(device, r.u16(0), r.u32(4), r.u32(8));
    case FmOpcode.INITIATE_DC_ADD: {
      if (r.u8(2) !== SELECTION_PRESCRIPTIVE) return reply(ReturnCode.INVALID_INPUT);
      return reply(device.fmInitiateAdd(initiateExtents(input, r), r.u32(0x1c)));
    }
    default: {
      const flags = r.u8(2);
      if ((flags & REMOVAL_POLICY_MASK) !== REMOVAL_PRESCRIPTIVE) {
        return reply(ReturnCode.INVALID_INPUT);
      }
      return reply(
        device.fmInitiateRelease(initiateExtents(input, r), (flags & FORCED_REMOVAL) !== 0),
      );
    }
  }
}

/** The extents of 0x5604/0x5605: count at 0x1C, records at 0x20 (at most what the buffer holds). */
function initiateExtents(input: Uint8Array, r: PayloadReader): FmExtent[] {
  const count = r.u32(0x1c);
  const fits = Math.floor((input.length - INITIATE_HEADER) / EXTENT_SIZE);
  const out: FmExtent[] = [];
  for (let i = 0; i < Math.min(count, fits); i++) {
    const o = INITIATE_HEADER + i * EXTENT_SIZE;
    out.push({
      dpa: r.u64(o),
      len: r.u64(o + 8),
      tag: input.slice(o + 16, o + 32),
      sharedSeq: r.u16(o + 32),
    });
  }
  return out;
}

/** 0x5600: 0x54 bytes; one host, prescriptive add (bit 2) and removal (bit 1) policies. */
function getDcdInfo(device: DcDevice): MailboxReply {
  const g = device.config.geometry;
  const w = new PayloadWriter(0x54);
  w.u8(0, 1).u8(1, g.regionCount);
  w.u16(4, 1 << SELECTION_PRESCRIPTIVE).u16(8, 1 << REMOVAL_PRESCRIPTIVE).u8(0xa, 0);
  w.u64(0xc, (g.regionLength * BigInt(g.regionCount)) / CAPACITY_MULTIPLIER);
  for (let i = 0; i < g.regionCount; i++) w.u64(0x14 + 8 * i, g.blockSize);
  return reply(ReturnCode.SUCCESS, w.bytes);
}

/** 0x5601: host id not checked (answered as 0); start >= regions is 0x02. */
function getHostRegionConfig(device: DcDevice, count: number, start: number): MailboxReply {
  const g = device.config.geometry;
  if (start >= g.regionCount) return reply(ReturnCode.INVALID_INPUT);
  const n = Math.min(g.regionCount - start, count);
  const w = new PayloadWriter(4 + n * 0x28 + 16);
  w.u16(0, 0).u8(2, g.regionCount).u8(3, n);
  for (let i = 0; i < n; i++) {
    const o = 4 + i * 0x28;
    w.u64(o, device.regionBase(start + i));
    w.u64(o + 8, g.regionLength / CAPACITY_MULTIPLIER);
    w.u64(o + 0x10, g.regionLength);
    w.u64(o + 0x18, g.blockSize);
    // DSMAS flags (volatile, not sharable, no HW coherency...) and sanitize-on-release: 0.
    w.u8(o + 0x20, 0).u8(o + 0x24, 0);
  }
  const o = 4 + n * 0x28;
  const max = device.profile.dcd.maxExtents;
  w.u32(o, max).u32(o + 4, max - device.totalExtentCount).u32(o + 8, 0).u32(o + 12, 0);
  return reply(ReturnCode.SUCCESS, w.bytes);
}

/**
 * 0x5602, in QEMU's order: a sanitize-on-release bit other than the
 * region's (0) is 0x03; a region id past the 8 slots 0x03; a region with
 * accepted extents 0x03; a block size that is not a power of two or not
 * supported (only 2 MiB is) 0x02; the same block size 0x00 with no event.
 * QEMU reads the region slot before checking the id, and divides by a zero
 * block size for an unused slot (a region id at or past the device's region
 * count): the model answers 0x03 for those, as for ids past the slots.
 */
function setRegionConfig(
  device: DcDevice,
  region: number,
  blockSize: bigint,
  flags: number,
): MailboxReply {
  const g = device.config.geometry;
  if ((flags & 1) !== 0) return reply(ReturnCode.UNSUPPORTED);
  if (region >= REGION_SLOTS || region >= g.regionCount) return reply(ReturnCode.UNSUPPORTED);
  if (device.regionHasAccepted(region)) return reply(ReturnCode.UNSUPPORTED);
  const powerOfTwo = blockSize !== 0n && (blockSize & (blockSize - 1n)) === 0n;
  if (!powerOfTwo || (blockSize & g.blockSize) === 0n) return reply(ReturnCode.INVALID_INPUT);
  // The only supported block size is the current one: nothing changes and no event is logged.
  return reply(ReturnCode.SUCCESS);
}

/**
 * 0x5603: host id other than 0 is 0x02; a start past the accepted extents
 * 0x02; then `min(count, accepted - start)` records (at most what fits in
 * 2048 bytes), pending extents not counted.
 */
function getRegionExtentLists(
  device: DcDevice,
  hostId: number,
  count: number,
  start: number,
): MailboxReply {
  if (hostId !== 0) return reply(ReturnCode.INVALID_INPUT);
  const accepted = device.store.acceptedCount;
  if (start > accepted) return reply(ReturnCode.INVALID_INPUT);
  const n = Math.min(
    Math.min(count, accepted - start) & 0xffff,
    Math.floor((MAILBOX_PAYLOAD_MAX - EXTENT_LIST_HEADER) / EXTENT_SIZE),
  );
  const w = new PayloadWriter(EXTENT_LIST_HEADER + n * EXTENT_SIZE);
  w.u16(0, hostId).u32(4, start).u32(8, n).u32(0xc, accepted).u32(0x10, 0);
  let i = 0;
  if (n > 0) {
    for (const e of device.store.acceptedFromIndex(start)) {
      const o = EXTENT_LIST_HEADER + i * EXTENT_SIZE;
      w.u64(o, e.dpa).u64(o + 8, e.len).copy(o + 16, e.tag).u16(o + 32, e.sharedSeq);
      if (++i === n) break;
    }
  }
  return reply(ReturnCode.SUCCESS, w.bytes);
}
