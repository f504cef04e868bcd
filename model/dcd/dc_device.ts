/**
 * The Dynamic Capacity state of one CXL type-3 device, as QEMU 10.0.2 keeps
 * it, plus the seed profile's tagged-memory behaviour (seed-profile.md points
 * 3-9), switched by {@linkcode Profile} data:
 *
 * - QMP side: {@linkcode DcDevice.add}, {@linkcode DcDevice.release} and
 *   {@linkcode DcDevice.releaseStatus} run every check from "region id is too
 *   large" on, in QEMU's order and with QEMU's strings (the machine has done
 *   QAPI validation, the pre-path checks, path resolution and the DC-support
 *   check);
 * - host side: {@linkcode DcDevice.mailbox} is the whole device mailbox the
 *   model implements (see `mailbox.ts` for the opcode table and length rules);
 * - {@linkcode DcDevice.snapshot}: the state as plain data.
 *
 * @module
 */

import { type MailboxReply, mailboxReply as reply, ReturnCode } from "../host_interface.ts";
import type { Profile } from "../profile.ts";
import type { QmpObject, QmpValue } from "../qmp_value.ts";
import { formatUuid, isNilUuid, NIL_UUID, tryParseUuid } from "../uuid.ts";
import { IntervalSet } from "../interval_set.ts";
import { CAPACITY_MULTIPLIER, PayloadReader, PayloadWriter } from "./bytes.ts";
import { type DcExtent, ExtentStore, type PendingGroup } from "./dc_extents.ts";
import { DcEventType, EventLogId, EventLogs } from "./event_log.ts";
import { dispatchFmApi } from "./fm_api.ts";
import { dispatchMailbox } from "./mailbox.ts";
import type {
  DcAddRequest,
  DcDeviceConfig,
  DcReleaseRequest,
  DcReleaseStatusRequest,
  FmExtent,
  QmpExtent,
  TaggedBackend,
} from "./types.ts";

/** Bytes per 0x4801 extent record and per 0x4800 region record. */
const EXTENT_RECORD_SIZE = 0x28;
const REGION_RECORD_SIZE = 0x28;
/** Bytes per 0x4802/0x4803 updated-extent entry. */
const UPDATE_ENTRY_SIZE = 0x18;
const UPDATE_HEADER_SIZE = 8;
/** Most extent records one 0x4801 output holds: (2048 - 16) / 40. */
export const MAX_EXTENTS_PER_LIST: number = Math.floor((2048 - 16) / EXTENT_RECORD_SIZE);

/** Release status values of `cxl-release-dynamic-capacity-status` (seed). */
export type ReleaseStatus = "pending" | "active" | "release-pending" | "not-found";

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

function num(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

const NOT_UUID_HINT = "expected a UUID such as 6be13bce-ae34-4a77-b6c3-16df975fcf1a";

/** One step of a release to undo: an extent it removed, or a fragment it added. */
interface ReleaseUndo {
  added: boolean;
  e: DcExtent;
}

/** One updated-extent entry of 0x4802/0x4803. */
interface UpdateEntry {
  dpa: bigint;
  len: bigint;
}

/** A QMP extent made absolute by the checks, with its end (`dpa + len`). */
interface CheckedRange extends UpdateEntry {
  end: bigint;
  /** For a release: the accepted extents backing the range, in DPA order. */
  accepted: DcExtent[] | undefined;
}

/**
 * A CXL type-3 device's Dynamic Capacity state and mailbox.
 *
 * @example
 * ```ts
 * import { DcDevice } from "@cxl-dcd/conformance/model";
 * import { QEMU_10_0 } from "@cxl-dcd/conformance/model";
 * const dev = new DcDevice({
 *   id: "cxl-vmem0", profile: QEMU_10_0, clock: () => 0n, lazy: false, hpaBase: 0n,
 *   geometry: { regionCount: 1, regionLength: 2n << 30n, firstRegionBase: 0n, blockSize: 2n << 20n },
 *   backends: { findByTag: () => undefined },
 * });
 * const err = dev.add({ hostId: 0, region: 0, tag: undefined, extents: [{ offset: 0n, len: 128n << 20n }] });
 * if (err !== undefined) throw new Error(err);
 * // The host accepts the offer: 0x4802 with one entry [0, 128 MiB).
 * const p = new Uint8Array(32);
 * const v = new DataView(p.buffer);
 * v.setUint32(0, 1, true);
 * v.setBigUint64(16, 128n << 20n, true);
 * if (dev.mailbox(0x4802, p).rc !== 0) throw new Error("accept failed");
 * ```
 */
export class DcDevice {
  /** Construction parameters. */
  readonly config: DcDeviceConfig;
  /** The device's event logs. */
  readonly events: EventLogs;
  readonly #store = new ExtentStore();
  #timestampSet = false;
  #timestampHost = 0n;
  #timestampLastSet = 0n;

  /** Bytes of all DC regions together. */
  readonly #dcLength: bigint;
  /** `blockSize - 1` when the block size is a power of two (masks alignment), else undefined. */
  readonly #blockMask: bigint | undefined;
  /** Base DPA of each region, by index. */
  readonly #regionBases: readonly bigint[];

  /**
   * Builds a device with empty DC state and empty event logs.
   *
   * @param config geometry, profile, clock and backend lookup.
   */
  constructor(config: DcDeviceConfig) {
    this.config = config;
    this.events = new EventLogs(config.profile.dcd.eventLogCapacity);
    const g = config.geometry;
    this.#dcLength = g.regionLength * BigInt(g.regionCount);
    const mask = g.blockSize - 1n;
    this.#blockMask = g.blockSize > 0n && (g.blockSize & mask) === 0n ? mask : undefined;
    this.#regionBases = Array.from(
      { length: g.regionCount },
      (_, i) => g.firstRegionBase + BigInt(i) * g.regionLength,
    );
  }

  /** Whether both (non-negative) values are multiples of the block size. */
  #blockAligned(a: bigint, b: bigint): boolean {
    const g = this.config.geometry;
    if (this.#blockMask !== undefined) return ((a | b) & this.#blockMask) === 0n;
    return a % g.blockSize === 0n && b % g.blockSize === 0n;
  }

  /** The behaviour profile. */
  get profile(): Profile {
    return this.config.profile;
  }

  /** Extent store (read-only use by the mailbox and tests). */
  get store(): ExtentStore {
    return this.#store;
  }

  /** QEMU's `total_extent_count`: accepted (10.0) or accepted + pending (10.1 and later). */
  get totalExtentCount(): number {
    return this.#store.acceptedCount +
      (this.profile.dcd.totalCountIncludesPending ? this.#store.pendingCount : 0);
  }

  /** The device timestamp: 0 until Set Timestamp, then host time + elapsed clock. */
  timestamp(): bigint {
    if (!this.#timestampSet) return 0n;
    return BigInt.asUintN(64, this.#timestampHost + (this.config.clock() - this.#timestampLastSet));
  }

  /** Sets the device timestamp (0x0301). */
  setTimestamp(hostNanoseconds: bigint): void {
    this.#timestampSet = true;
    this.#timestampHost = hostNanoseconds;
    this.#timestampLastSet = this.config.clock();
  }

  /** Base DPA of a region. */
  regionBase(region: number): bigint {
    const known = this.#regionBases[region];
    if (known !== undefined) return known;
    const g = this.config.geometry;
    return g.firstRegionBase + BigInt(region) * g.regionLength;
  }

  // ---------------------------------------------------------------- QMP side

  /**
   * Per-extent checks shared by add and release, in QEMU's order. Returns
   * the absolute ranges, or a GenericError description.
   */
  #checkExtents(
    region: number,
    extents: readonly QmpExtent[],
    kind: "add" | "release",
  ): string | CheckedRange[] {
    const g = this.config.geometry;
    if (region >= g.regionCount) return "region id is too large";
    const base = this.regionBase(region);
    // A single extent cannot overlap an earlier one: no set needed.
    const seen = extents.length > 1 ? new IntervalSet() : undefined;
    const out = new Array<CheckedRange>(extents.length);
    for (let i = 0; i < extents.length; i++) {
      const x = extents[i]!;
      if (x.len === 0n) return "extent with 0 length is not allowed";
      if (!this.#blockAligned(x.offset, x.len)) {
        return "dpa or len is not aligned to region block size";
      }
      const xEnd = x.offset + x.len;
      if (xEnd > g.regionLength) return "extent range is beyond the region end";
      if (seen !== undefined) {
        if (seen.overlaps(x.offset, xEnd)) return "duplicate or overlapped extents are detected";
        seen.insert(x.offset, xEnd);
      }
      const dpa = base + x.offset;
      const end = base + xEnd;
      let accepted: DcExtent[] | undefined;
      if (kind === "release") {
        if (this.#store.overlapsPending(dpa, end)) {
          return "cannot release extent with pending DPA range";
        }
        accepted = this.#store.acceptedCovering(dpa, end);
        if (accepted === undefined) return "cannot release extent with non-existing DPA range";
      } else {
        if (this.#store.overlapsAccepted(dpa, end)) {
          return "cannot add DPA already accessible to the same LD";
        }
        if (this.#store.overlapsPending(dpa, end)) {
          return "cannot add DPA again while still pending";
        }
      }
      out[i] = { dpa, len: x.len, end, accepted };
    }
    return out;
  }

  /** A given tag's bytes when the profile carries tags, or an error text. */
  #givenTag(tag: string | undefined): Uint8Array | string {
    if (tag === undefined || !this.profile.tagged.tagsInEvents) return NIL_UUID;
    const bytes = tryParseUuid(tag);
    if (bytes === undefined) return `tag '${tag}' is not a UUID: ${NOT_UUID_HINT}`;
    return bytes;
  }

  /**
   * Logs one DC event record per range, More-chained. `verbatim` (the FM
   * API's records) carries each range's tag and shared sequence as given,
   * whatever the profile does with QMP tags. `tag`, when given, stands for
   * every range's tag. A record the full log drops only counts an overflow
   * (its fields are not built).
   */
  #logDcEvents(
    type: number,
    hostId: number,
    ranges: readonly { dpa: bigint; len: bigint; tag?: Uint8Array; sharedSeq?: number }[],
    verbatim = false,
    tag?: Uint8Array,
  ): void {
    const d = this.profile.dcd;
    const log = this.events.log(EventLogId.DYNAMIC_CAPACITY);
    const time = this.timestamp();
    const available = d.eventReportsExtentsAvailable ? d.maxExtents - this.totalExtentCount : 0;
    const keepTag = verbatim || this.profile.tagged.tagsInEvents;
    for (let i = 0; i < ranges.length; i++) {
      if (log.overflowIfFull(time)) continue;
      const r = ranges[i]!;
      log.insertDcEvent({
        type,
        validityFlags: d.eventValidityFlags,
        hostId: d.eventHostIdFromQmp ? hostId : 0,
        regionId: 0,
        flags: i < ranges.length - 1 ? 0x01 : 0x00,
        dpa: r.dpa,
        len: r.len,
        tag: keepTag ? tag ?? r.tag ?? NIL_UUID : NIL_UUID,
        sharedSeq: verbatim ? r.sharedSeq ?? 0 : 0,
        extentsAvailable: available,
        tagsAvailable: 0,
      }, time);
    }
  }

  /**
   * `cxl-add-dynamic-capacity` from the region check on. Returns the
   * GenericError description, or undefined on success (one pending group
   * queued, one Add Capacity event per extent, More-chained).
   *
   * Seed, device without backing memdev (`lazy`): after the upstream checks,
   * exactly one extent; a UUID tag; a tagged backend with that tag; backend
   * size equal to the extent length; backend not bound already. On success
   * the backend's `binding` is set (pending).
   */
  add(req: DcAddRequest): string | undefined {
    const checked = this.#checkExtents(req.region, req.extents, "add");
    if (typeof checked === "string") return checked;
    let tag: Uint8Array = NIL_UUID;
    let backend: TaggedBackend | undefined;
    if (this.config.lazy && this.profile.tagged.lazyDevices) {
      if (checked.length !== 1) return "Only single extent add is supported currently";
      const only = checked[0]!;
      if (req.tag === undefined) {
        return `a device without a backing memdev needs 'tag' to add capacity: ${NOT_UUID_HINT}`;
      }
      const bytes = tryParseUuid(req.tag);
      if (bytes === undefined) return `tag '${req.tag}' is not a UUID: ${NOT_UUID_HINT}`;
      backend = this.config.backends.findByTag(bytes);
      if (backend === undefined) return "dynamic capacity must have a backing device";
      if (backend.size !== only.len) {
        return `Host memory backend size ${hex(backend.size)} does not match extent length ${
          hex(only.len)
        }`;
      }
      if (backend.binding !== undefined) {
        const b = backend.binding;
        return `memory backend '${backend.id}' is already bound to the ${b.state} extent at DPA ${
          hex(b.dpa)
        } (length ${hex(b.len)}) of device '${b.device}'`;
      }
      tag = bytes;
    } else {
      const given = this.#givenTag(req.tag);
      if (typeof given === "string") return given;
      tag = given;
    }
    if (checked.length === 0) return undefined;
    const extents: DcExtent[] = checked.map((r) => ({
      dpa: r.dpa,
      len: r.len,
      region: req.region,
      tag,
      sharedSeq: 0,
      state: "pending",
      backend,
      releaseRequested: false,
      orderHandle: -1n,
    }));
    this.#store.queueGroup(extents);
    if (backend !== undefined) {
      const only = extents[0]!;
      backend.binding = { device: this.config.id, dpa: only.dpa, len: only.len, state: "pending" };
    }
    this.#logDcEvents(DcEventType.ADD_CAPACITY, req.hostId, extents);
    return undefined;
  }

  /**
   * `cxl-release-dynamic-capacity` from the region check on (the machine has
   * checked forced removal and, when the profile lacks tag-based release, the
   * removal policy). Logs Release Capacity events; changes no extent state.
   *
   * Seed: a given tag must be a UUID and is carried in the events; a
   * prescriptive release covering only part of a tagged extent is refused;
   * every accepted extent the release touches is marked release-requested.
   * Tag-based release selects every accepted extent of the region carrying
   * the tag (`extents` is ignored).
   */
  release(req: DcReleaseRequest): string | undefined {
    if (req.forcedRemoval) return "Forced removal not supported yet";
    if (req.removalPolicy === "tag-based") {
      if (!this.profile.tagged.tagBasedRelease) return "Removal policy not supported";
      return this.#releaseByTag(req);
    }
    const checked = this.#checkExtents(req.region, req.extents, "release");
    if (typeof checked === "string") return checked;
    const tag = this.#givenTag(req.tag);
    if (typeof tag === "string") return tag;
    const touched: DcExtent[] = [];
    for (const r of checked) {
      for (const e of r.accepted ?? []) {
        if (
          this.profile.tagged.noHolePunching && !isNilUuid(e.tag) &&
          (e.dpa < r.dpa || e.dpa + e.len > r.end)
        ) {
          return `cannot release part of the tagged extent at DPA ${hex(e.dpa)} (length ${
            hex(e.len)
          }, tag ${formatUuid(e.tag)}): release the whole extent`;
        }
        touched.push(e);
      }
    }
    if (checked.length === 0) return undefined;
    this.#logDcEvents(DcEventType.RELEASE_CAPACITY, req.hostId, checked, false, tag);
    if (this.profile.tagged.releaseStatus) { for (const e of touched) e.releaseRequested = true; }
    return undefined;
  }

  #releaseByTag(req: DcReleaseRequest): string | undefined {
    if (req.region >= this.config.geometry.regionCount) return "region id is too large";
    if (req.tag === undefined) {
      return `tag-based removal needs 'tag': ${NOT_UUID_HINT}`;
    }
    const tag = tryParseUuid(req.tag);
    if (tag === undefined) return `tag '${req.tag}' is not a UUID: ${NOT_UUID_HINT}`;
    const inRegion = this.#store.withTag(tag).filter((e) => e.region === req.region);
    const accepted = inRegion.filter((e) => e.state === "accepted")
      .sort((a, b) => (a.dpa < b.dpa ? -1 : 1));
    if (accepted.length === 0) {
      if (inRegion.length > 0) return "cannot release extent with pending DPA range";
      return `no extent with tag ${formatUuid(tag)} in region ${req.region}`;
    }
    this.#logDcEvents(DcEventType.RELEASE_CAPACITY, req.hostId, accepted);
    for (const e of accepted) e.releaseRequested = true;
    return undefined;
  }

  /**
   * `cxl-release-dynamic-capacity-status` (seed) from the region check on.
   * Over the region's extents carrying the tag: `release-pending` if any
   * accepted one has a release requested, else `active` if any is accepted,
   * else `pending` if any is offered, else `not-found`.
   */
  releaseStatus(req: DcReleaseStatusRequest): { status: ReleaseStatus } | string {
    if (req.region >= this.config.geometry.regionCount) return "region id is too large";
    const tag = tryParseUuid(req.tag);
    if (tag === undefined) return `tag '${req.tag}' is not a UUID: ${NOT_UUID_HINT}`;
    const inRegion = this.#store.withTag(tag).filter((e) => e.region === req.region);
    const accepted = inRegion.filter((e) => e.state === "accepted");
    if (accepted.some((e) => e.releaseRequested)) return { status: "release-pending" };
    if (accepted.length > 0) return { status: "active" };
    if (inRegion.length > 0) return { status: "pending" };
    return { status: "not-found" };
  }

  // --------------------------------------------------------------- host side

  /**
   * Runs one mailbox command (see `mailbox.ts` for the opcode table, the
   * input-length rules and the choices where QEMU 10.0.2 crashes).
   */
  mailbox(opcode: number, payload: Uint8Array): MailboxReply {
    return dispatchMailbox(this, opcode, payload);
  }

  /**
   * Runs one command on the device's FM-owned LD CCI: the FM-API DCD
   * opcodes 0x5600-0x5605 (see `fm_api.ts`), reached through a switch
   * mailbox CCI's tunnel.
   */
  fmApi(opcode: number, payload: Uint8Array): MailboxReply {
    return dispatchFmApi(this, opcode, payload);
  }

  /** 0x4000 Identify Memory Device: 0x45 bytes; capacities exclude DC. */
  identify(): MailboxReply {
    const c = this.config;
    const vol = c.staticVolatileBytes ?? 0n;
    const per = c.staticPersistentBytes ?? 0n;
    const w = new PayloadWriter(0x45);
    w.copy(0, new TextEncoder().encode("BWFW VERSION 00"));
    w.u64(0x10, (vol + per) / CAPACITY_MULTIPLIER);
    w.u64(0x18, vol / CAPACITY_MULTIPLIER);
    w.u64(0x20, per / CAPACITY_MULTIPLIER);
    w.u32(0x38, Number(c.lsaBytes ?? 0n));
    // Poison list maximum media error records: 256, a 24-bit field at 0x3C.
    w.u8(0x3c, 0x00).u8(0x3d, 0x01).u8(0x3e, 0x00);
    w.u16(0x43, this.profile.dcd.eventLogCapacity);
    return reply(ReturnCode.SUCCESS, w.bytes);
  }

  /** 0x4100 Get Partition Info: active volatile/persistent in 256 MiB units, next 0. */
  partitionInfo(): MailboxReply {
    const vol = this.config.staticVolatileBytes ?? 0n;
    const per = this.config.staticPersistentBytes ?? 0n;
    if (vol % CAPACITY_MULTIPLIER !== 0n || per % CAPACITY_MULTIPLIER !== 0n) {
      return reply(ReturnCode.INTERNAL_ERROR);
    }
    const w = new PayloadWriter(0x20);
    w.u64(0x00, vol / CAPACITY_MULTIPLIER).u64(0x08, per / CAPACITY_MULTIPLIER);
    return reply(ReturnCode.SUCCESS, w.bytes);
  }

  /** 0x4800 Get Dynamic Capacity Configuration (input: count, start region). */
  getDcConfig(payload: Uint8Array): MailboxReply {
    const g = this.config.geometry;
    const count = payload[0] ?? 0;
    const start = payload[1] ?? 0;
    if (start >= g.regionCount) return reply(ReturnCode.INVALID_INPUT);
    const n = Math.min(count, g.regionCount - start);
    // DSMAD handles number the CDAT DSMAS entries: static volatile, static
    // persistent, then one per DC region (observed: handle 1 for region 0
    // behind a volatile-memdev).
    const firstHandle = ((this.config.staticVolatileBytes ?? 0n) > 0n ? 1 : 0) +
      ((this.config.staticPersistentBytes ?? 0n) > 0n ? 1 : 0);
    const w = new PayloadWriter(8 + n * REGION_RECORD_SIZE + 16);
    w.u8(0, g.regionCount).u8(1, n);
    for (let i = 0; i < n; i++) {
      const o = 8 + i * REGION_RECORD_SIZE;
      const r = start + i;
      w.u64(o, this.regionBase(r));
      w.u64(o + 0x08, g.regionLength / CAPACITY_MULTIPLIER);
      w.u64(o + 0x10, g.regionLength);
      w.u64(o + 0x18, g.blockSize);
      w.u32(o + 0x20, firstHandle + r);
      w.u8(o + 0x24, 0);
    }
    const o = 8 + n * REGION_RECORD_SIZE;
    const d = this.profile.dcd;
    w.u32(o, d.maxExtents).u32(o + 4, d.maxExtents - this.totalExtentCount);
    w.u32(o + 8, 0).u32(o + 12, 0);
    return reply(ReturnCode.SUCCESS, w.bytes);
  }

  /**
   * 0x4801 Get Dynamic Capacity Extent List (input: count u32, start index
   * u32). The start is checked against the accepted extents; the number of
   * records returned is `min(count, total_extent_count - start)` (a 16-bit
   * count, capped at 50 per call), and `total` is the accepted count. Where
   * `total_extent_count` includes pending extents (10.1 and later), that can
   * be more records than there are accepted extents after `start`: QEMU then
   * returns the extra records zeroed (its output buffer is cleared before each
   * command), e.g. `returned 1, total 0` and one all-zero record while an
   * offer is pending and nothing is accepted.
   */
  getExtentList(payload: Uint8Array): MailboxReply {
    const r = new PayloadReader(payload);
    const count = r.u32(0);
    const start = r.u32(4);
    const accepted = this.#store.acceptedCount;
    if (start > accepted) return reply(ReturnCode.INVALID_INPUT);
    const n = Math.min(
      Math.min(count, this.totalExtentCount - start) & 0xffff,
      MAX_EXTENTS_PER_LIST,
    );
    const w = new PayloadWriter(16 + n * EXTENT_RECORD_SIZE);
    w.u32(0, n).u32(4, accepted).u32(8, 0);
    let i = 0;
    if (n > 0) {
      for (const e of this.#store.acceptedFromIndex(start)) {
        const o = 16 + i * EXTENT_RECORD_SIZE;
        w.u64(o, e.dpa).u64(o + 8, e.len).copy(o + 16, e.tag).u16(o + 32, e.sharedSeq);
        if (++i === n) break;
      }
    }
    return reply(ReturnCode.SUCCESS, w.bytes);
  }

  /** Reads the 0x4802/0x4803 entries; the caller has checked the length. */
  #entries(payload: Uint8Array, n: number): UpdateEntry[] {
    const r = new PayloadReader(payload);
    const out = new Array<UpdateEntry>(n);
    for (let i = 0; i < n; i++) {
      const o = UPDATE_HEADER_SIZE + i * UPDATE_ENTRY_SIZE;
      out[i] = { dpa: r.u64(o), len: r.u64(o + 8) };
    }
    return out;
  }

  /**
   * QEMU's malformed-list check: each entry inside one DC region (else 0x0F
   * Invalid Physical Address), block aligned and not overlapping an earlier
   * entry (else 0x1E Invalid Extent List).
   */
  #malformed(entries: readonly UpdateEntry[]): number {
    const g = this.config.geometry;
    const total = this.#dcLength;
    const seen = entries.length > 1 ? new IntervalSet() : undefined;
    for (const { dpa, len } of entries) {
      // Offsets from region 0's base; the entry's region ends at the next multiple of its length.
      const rel = dpa - g.firstRegionBase;
      if (rel < 0n || rel >= total) return ReturnCode.INVALID_PA;
      const regionEnd = g.regionCount === 1 ? total : rel - rel % g.regionLength + g.regionLength;
      if (rel + len > regionEnd) return ReturnCode.INVALID_PA;
      if (!this.#blockAligned(rel, len)) return ReturnCode.INVALID_EXTENT_LIST;
      if (seen !== undefined) {
        if (seen.overlaps(dpa, dpa + len)) return ReturnCode.INVALID_EXTENT_LIST;
        seen.insert(dpa, dpa + len);
      }
    }
    return ReturnCode.SUCCESS;
  }

  /** Clears the bindings of a dropped group's extents the host did not accept. */
  #unbindDropped(group: PendingGroup): void {
    for (const e of group.extents) {
      const b = e.backend;
      if (b !== undefined && e.state === "pending" && b.binding?.state === "pending") {
        b.binding = undefined;
        b.alias = undefined;
      }
    }
  }

  /**
   * 0x4802 Add Dynamic Capacity Response.
   *
   * With n == 0 the front pending group is rejected. QEMU 10.0.2 dereferences
   * a NULL group (SIGSEGV) when n == 0 and nothing is pending; the model
   * returns 0x02 Invalid Input instead. Rationale: the command (CXL r3.1
   * 8.2.9.9.9.3) is the host's answer to an outstanding Add Capacity event;
   * with no add outstanding there is nothing to answer, so the input is
   * invalid. (The spec text itself was not available to check this choice
   * word for word; a response with n > 0 and nothing pending is 0x0F, as in
   * QEMU.)
   */
  addResponse(payload: Uint8Array): MailboxReply {
    if (payload.length < UPDATE_HEADER_SIZE) return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
    const n = new PayloadReader(payload).u32(0);
    if (n === 0) {
      const g = this.#store.dropFrontGroup();
      if (g === undefined) return reply(ReturnCode.INVALID_INPUT);
      this.#unbindDropped(g);
      return reply(ReturnCode.SUCCESS);
    }
    if (payload.length < UPDATE_HEADER_SIZE + UPDATE_ENTRY_SIZE * n) {
      return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
    }
    if (n + this.totalExtentCount > this.profile.dcd.maxExtents) {
      return reply(ReturnCode.RESOURCES_EXHAUSTED);
    }
    const entries = this.#entries(payload, n);
    const bad = this.#malformed(entries);
    if (bad !== ReturnCode.SUCCESS) return reply(bad);
    const front = this.#store.frontGroup();
    const sources = new Array<DcExtent>(n);
    for (let i = 0; i < n; i++) {
      const { dpa, len } = entries[i]!;
      const src = front === undefined ? undefined : ExtentStore.containing(front, dpa, len);
      if (src === undefined) return reply(ReturnCode.INVALID_PA);
      if (this.#store.overlapsAccepted(dpa, dpa + len)) return reply(ReturnCode.INVALID_PA);
      // Seed: a backend-mapped (lazy, tagged) extent is accepted whole or not at all.
      if (src.backend !== undefined && (src.dpa !== dpa || src.len !== len)) {
        return reply(ReturnCode.INVALID_PA);
      }
      sources[i] = src;
    }
    const keepTags = this.profile.tagged.tagsInEvents;
    for (let i = 0; i < n; i++) {
      const { dpa, len } = entries[i]!;
      const src = sources[i]!;
      this.#store.addAccepted(this.#acceptedFrom(src, dpa, len, keepTags));
      if (src.backend !== undefined) {
        src.state = "accepted";
        src.backend.binding = { device: this.config.id, dpa, len, state: "accepted" };
        src.backend.alias = { hpa: this.config.hpaBase + dpa, offset: 0n, size: len };
      }
    }
    const g = this.#store.dropFrontGroup();
    if (g !== undefined) this.#unbindDropped(g);
    return reply(ReturnCode.SUCCESS);
  }

  /**
   * The accepted extent for `[dpa, dpa+len)` of the offered extent `src`
   * (its region and backend; its tag when `keepTags`, else nil; shared
   * sequence 0). An untagged offer without a backend accepted whole is
   * that record itself (its group is dropped right after), so accepting
   * builds no second one.
   */
  #acceptedFrom(src: DcExtent, dpa: bigint, len: bigint, keepTags: boolean): DcExtent {
    const whole = src.dpa === dpa && src.len === len;
    if (
      whole && src.backend === undefined && src.sharedSeq === 0 && !src.releaseRequested &&
      isNilUuid(src.tag)
    ) {
      return src;
    }
    return {
      // The offered extent's own values when equal: the payload's copies then die young.
      dpa: whole ? src.dpa : dpa,
      len: whole ? src.len : len,
      region: src.region,
      tag: keepTags ? src.tag : NIL_UUID,
      sharedSeq: 0,
      state: "accepted",
      backend: src.backend,
      releaseRequested: false,
      orderHandle: -1n,
    };
  }

  /**
   * 0x4803 Release Dynamic Capacity: every block of each range must be
   * backed (else 0x0F); sub-ranges split extents, the surviving fragments go
   * to the tail of the list (tag zeroed, as QEMU inserts them); splitting
   * must not push the count past the limit (else 0x1D). Seed: splitting a
   * tagged extent returns 0x02 Invalid Input. All or nothing: a failed dry
   * run leaves the state unchanged.
   */
  releaseResponse(payload: Uint8Array): MailboxReply {
    if (payload.length < UPDATE_HEADER_SIZE) return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
    const n = new PayloadReader(payload).u32(0);
    if (n === 0) return reply(ReturnCode.INVALID_INPUT);
    if (payload.length < UPDATE_HEADER_SIZE + UPDATE_ENTRY_SIZE * n) {
      return reply(ReturnCode.INVALID_PAYLOAD_LENGTH);
    }
    const entries = this.#entries(payload, n);
    const bad = this.#malformed(entries);
    if (bad !== ReturnCode.SUCCESS) return reply(bad);
    return reply(this.#releaseRanges(entries, true));
  }

  /**
   * Releases the ranges from the accepted extents (QEMU's release dry run,
   * then the commit when `commit` is set): every block of each range must be
   * backed (else 0x0F), splitting must not push the count past the limit
   * (else 0x1D), and in seed a tagged extent is not split (0x02). Without
   * `commit`, or on failure, the state is left as it was.
   */
  #releaseRanges(entries: readonly UpdateEntry[], commit: boolean): number {
    const undo: ReleaseUndo[] = [];
    const startCount = this.totalExtentCount;
    const max = this.profile.dcd.maxExtents;
    const noSplitTagged = this.profile.tagged.noHolePunching;
    let delta = 0;
    for (const { dpa, len } of entries) {
      const end = dpa + len;
      const covering = this.#store.acceptedCovering(dpa, end);
      if (covering === undefined) return this.#rollback(undo, ReturnCode.INVALID_PA);
      for (const e of covering) {
        const eEnd = e.dpa + e.len;
        const left = e.dpa < dpa;
        const right = eEnd > end;
        if (noSplitTagged && !isNilUuid(e.tag) && (left || right)) {
          return this.#rollback(undo, ReturnCode.INVALID_INPUT);
        }
        this.#store.removeAccepted(e);
        undo.push({ added: false, e });
        delta--;
        if (left) {
          undo.push({ added: true, e: this.#addFragment(e, e.dpa, dpa - e.dpa) });
          delta++;
        }
        if (right) {
          undo.push({ added: true, e: this.#addFragment(e, end, eEnd - end) });
          delta++;
        }
        if (delta + startCount > max) return this.#rollback(undo, ReturnCode.RESOURCES_EXHAUSTED);
      }
    }
    if (!commit) return this.#rollback(undo, ReturnCode.SUCCESS);
    for (const u of undo) {
      const b = u.e.backend;
      if (!u.added && b !== undefined) {
        b.binding = undefined;
        b.alias = undefined;
      }
    }
    return ReturnCode.SUCCESS;
  }

  /** Accepts the surviving fragment `[dpa, dpa+len)` of a split extent (tag zeroed). */
  #addFragment(of: DcExtent, dpa: bigint, len: bigint): DcExtent {
    const f: DcExtent = {
      dpa,
      len,
      region: of.region,
      tag: NIL_UUID,
      sharedSeq: 0,
      state: "accepted",
      backend: undefined,
      releaseRequested: of.releaseRequested,
      orderHandle: -1n,
    };
    this.#store.addAccepted(f);
    return f;
  }

  /** Undoes a release's steps, last first, and returns `rc`. */
  #rollback(undo: readonly ReleaseUndo[], rc: number): number {
    for (let i = undo.length - 1; i >= 0; i--) {
      const u = undo[i]!;
      if (u.added) this.#store.removeAccepted(u.e);
      else this.#store.restoreAccepted(u.e);
    }
    return rc;
  }

  // ------------------------------------------------------------- FM API side

  /**
   * The FM API's Initiate Dynamic Capacity Add (0x5604), prescriptive
   * policy, from the extent-count check on, in QEMU 10.1's order: the count
   * the request states (`count`, default the extents given) plus
   * `total_extent_count` above the limit is 0x1D; then, extent by
   * extent, an overlap with a pending extent or with an accepted one is 0x1E
   * Invalid Extent List; only then the malformed-list result (0x0F / 0x1E).
   * On success one pending group holds the extents with their tags and
   * shared sequences (the host's 0x4802 drops them, as for QMP offers) and
   * one Add Capacity record per extent carries them.
   *
   * QEMU 10.1 to 11.1 queue a NULL group for a request of zero extents (a
   * crash); the model answers 0x00 and changes nothing, as the QMP add of an
   * empty list does.
   */
  fmInitiateAdd(extents: readonly FmExtent[], count?: number): number {
    count ??= extents.length;
    if (count + this.totalExtentCount > this.profile.dcd.maxExtents) {
      return ReturnCode.RESOURCES_EXHAUSTED;
    }
    const malformed = this.#malformed(extents);
    for (const { dpa, len } of extents) {
      if (this.#store.overlapsPending(dpa, dpa + len)) return ReturnCode.INVALID_EXTENT_LIST;
      if (this.#store.overlapsAccepted(dpa, dpa + len)) return ReturnCode.INVALID_EXTENT_LIST;
    }
    if (malformed !== ReturnCode.SUCCESS) return malformed;
    if (extents.length === 0) return ReturnCode.SUCCESS;
    const g = this.config.geometry;
    this.#store.queueGroup(extents.map((x): DcExtent => ({
      dpa: x.dpa,
      len: x.len,
      region: Number((x.dpa - g.firstRegionBase) / g.regionLength),
      tag: x.tag.slice(),
      sharedSeq: x.sharedSeq,
      state: "pending",
      backend: undefined,
      releaseRequested: false,
      orderHandle: -1n,
    })));
    this.#logDcEvents(DcEventType.ADD_CAPACITY, 0, extents, true);
    return ReturnCode.SUCCESS;
  }

  /**
   * The FM API's Initiate Dynamic Capacity Release (0x5605), prescriptive
   * policy, in QEMU 10.1's order: the malformed-list check (0x0F / 0x1E);
   * unless `forced`, an overlap with a pending extent is 0x0F; then the
   * release dry run (0x0F unbacked, 0x1D past the limit). On success one
   * Release Capacity record per extent (tags as given), forced or not; no
   * extent state changes (the host releases with 0x4803).
   */
  fmInitiateRelease(extents: readonly FmExtent[], forced: boolean): number {
    const malformed = this.#malformed(extents);
    if (malformed !== ReturnCode.SUCCESS) return malformed;
    if (!forced) {
      for (const { dpa, len } of extents) {
        if (this.#store.overlapsPending(dpa, dpa + len)) return ReturnCode.INVALID_PA;
      }
    }
    const dry = this.#releaseRanges(extents, false);
    if (dry !== ReturnCode.SUCCESS) return dry;
    this.#logDcEvents(DcEventType.RELEASE_CAPACITY, 0, extents, true);
    if (this.profile.tagged.releaseStatus) {
      for (const { dpa, len } of extents) {
        for (const e of this.#store.acceptedOverlapping(dpa, dpa + len)) e.releaseRequested = true;
      }
    }
    return ReturnCode.SUCCESS;
  }

  /** Whether any block of a region is backed by an accepted extent. */
  regionHasAccepted(region: number): boolean {
    const base = this.regionBase(region);
    return this.#store.acceptedOverlapping(base, base + this.config.geometry.regionLength)
      .length > 0;
  }

  // ---------------------------------------------------------------- snapshot

  /** The state as plain data (numbers when safe, bigint otherwise). */
  snapshot(): QmpObject {
    const g = this.config.geometry;
    const ext = (e: DcExtent): QmpObject => {
      const o: QmpObject = { dpa: num(e.dpa), len: num(e.len), tag: formatUuid(e.tag) };
      if (this.profile.tagged.releaseStatus && e.state === "accepted") {
        o["release-requested"] = e.releaseRequested;
      }
      if (e.backend !== undefined) o["backend"] = e.backend.id;
      return o;
    };
    const regions: QmpValue[] = [];
    for (let i = 0; i < g.regionCount; i++) {
      regions.push({
        "index": i,
        "base": num(this.regionBase(i)),
        "length": num(g.regionLength),
        "block-size": num(g.blockSize),
      });
    }
    const groups: QmpValue[] = [];
    for (const grp of this.#store.groups()) groups.push({ extents: grp.extents.map(ext) });
    const accepted: QmpValue[] = [];
    const bindings: QmpValue[] = [];
    const binding = (e: DcExtent): void => {
      const b = e.backend;
      if (b === undefined || b.binding === undefined) return;
      const o: QmpObject = {
        "backend": b.id,
        "tag": b.tagText,
        "dpa": num(b.binding.dpa),
        "len": num(b.binding.len),
        "state": b.binding.state,
      };
      if (b.alias !== undefined) {
        o["alias"] = {
          "hpa": num(b.alias.hpa),
          "offset": num(b.alias.offset),
          "size": num(b.alias.size),
        };
      }
      bindings.push(o);
    };
    for (const grp of this.#store.groups()) {
      for (const e of grp.extents) binding(e);
    }
    for (const e of this.#store.acceptedFromIndex(0)) {
      accepted.push(ext(e));
      binding(e);
    }
    const policy = this.events.getInterruptPolicy().payload;
    return {
      "id": this.config.id,
      "profile": this.profile.name,
      "lazy": this.config.lazy,
      "regions": regions,
      "pending-groups": groups,
      "accepted-extents": accepted,
      "extents-supported": this.profile.dcd.maxExtents,
      "extents-available": this.profile.dcd.maxExtents - this.totalExtentCount,
      "event-status": this.events.status(),
      "event-logs": this.events.snapshot(),
      "interrupt-policy": Array.from(policy),
      "timestamp-set": this.#timestampSet,
      "bindings": bindings,
    };
  }
}
