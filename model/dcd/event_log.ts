/**
 * The CXL event logs of a type-3 device (informational, warning, failure,
 * fatal and Dynamic Capacity) with QEMU 10.0.2's semantics, and the event
 * mailbox commands 0x0100-0x0103.
 *
 * - Each log holds at most `capacity` records (QEMU: 8, for every log). A
 *   record that does not fit is dropped: the overflow count goes up and the
 *   first/last overflow timestamps are kept.
 * - Handles count up from 1 per log and are never reused; 0 is skipped when
 *   the 16-bit counter wraps.
 * - Get Event Records does not consume records; "more records" (bit 1) is set
 *   whenever the log is non-empty.
 * - Clear Event Records must name the first n records in order, else 0x02
 *   Invalid Input (QEMU does not use 0x0E); clearing resets the overflow state.
 *
 * @module
 */

import { MAILBOX_PAYLOAD_MAX, type MailboxReply, ReturnCode } from "../host_interface.ts";
import type { QmpObject } from "../qmp_value.ts";
import { parseUuid } from "../uuid.ts";
import { PayloadReader, PayloadWriter, setU16, setU64 } from "./bytes.ts";

/** Event log ids as Get/Clear Event Records number them. */
export const EventLogId = {
  INFORMATIONAL: 0,
  WARNING: 1,
  FAILURE: 2,
  FATAL: 3,
  DYNAMIC_CAPACITY: 4,
} as const;

/** Number of event logs QEMU implements. */
export const EVENT_LOG_COUNT = 5;
/** Size of one event record. */
export const EVENT_RECORD_SIZE = 0x80;
/** Size of the Get Event Records output header. */
export const EVENT_PAYLOAD_HEADER_SIZE = 0x20;
/** Records that fit in one Get Event Records output (2048-byte payload). */
export const MAX_RECORDS_PER_GET: number = Math.floor(
  (MAILBOX_PAYLOAD_MAX - EVENT_PAYLOAD_HEADER_SIZE) / EVENT_RECORD_SIZE,
);

/** Get Event Records flag: the log overflowed. */
export const GET_EVENTS_FLAG_OVERFLOW = 0x01;
/** Get Event Records flag: more records (QEMU: whenever the log is non-empty). */
export const GET_EVENTS_FLAG_MORE_RECORDS = 0x02;

/** The Dynamic Capacity event record UUID. */
export const DC_EVENT_UUID_TEXT = "ca95afa7-f183-4018-8c2f-95268e101a2a";
const DC_EVENT_UUID = parseUuid(DC_EVENT_UUID_TEXT);

/** Dynamic Capacity event types (record byte 0x30). */
export const DcEventType = {
  ADD_CAPACITY: 0,
  RELEASE_CAPACITY: 1,
  FORCED_CAPACITY_RELEASE: 2,
  REGION_CONFIGURATION_UPDATED: 3,
  ADD_CAPACITY_RESPONSE: 4,
  CAPACITY_RELEASED: 5,
} as const;

/** Fields of one Dynamic Capacity event record. */
export interface DcEventFields {
  /** Event type (byte 0x30), see {@linkcode DcEventType}. */
  type: number;
  /** Validity flags (byte 0x31). */
  validityFlags: number;
  /** Host id (u16 at 0x32). */
  hostId: number;
  /** Updated region id (byte 0x34); QEMU always writes 0. */
  regionId: number;
  /** Record flags (byte 0x35); bit 0 = More. */
  flags: number;
  /** Extent start DPA (u64 at 0x38). */
  dpa: bigint;
  /** Extent length (u64 at 0x40). */
  len: bigint;
  /** Extent tag, 16 bytes at 0x48. */
  tag: Uint8Array;
  /** Shared extent sequence (u16 at 0x58). */
  sharedSeq: number;
  /** Number of extents available (u32 at 0x78). */
  extentsAvailable: number;
  /** Number of tags available (u32 at 0x7C). */
  tagsAvailable: number;
}

/**
 * Builds a 128-byte Dynamic Capacity event record. The handle (0x14) and
 * timestamp (0x18) are left zero: the log fills them in on insertion.
 *
 * @example
 * ```ts
 * import { buildDcEventRecord, DcEventType } from "@cxl-dcd/conformance/model";
 * const r = buildDcEventRecord({
 *   type: DcEventType.ADD_CAPACITY, validityFlags: 0, hostId: 5, regionId: 0, flags: 1,
 *   dpa: 0n, len: 0x8000000n, tag: new Uint8Array(16), sharedSeq: 0,
 *   extentsAvailable: 0, tagsAvailable: 0,
 * });
 * if (r.length !== 128 || r[0] !== 0xca || r[0x10] !== 0x80 || r[0x35] !== 1) throw new Error("layout");
 * ```
 */
export function buildDcEventRecord(f: DcEventFields): Uint8Array {
  const w = new PayloadWriter(EVENT_RECORD_SIZE);
  w.copy(0, DC_EVENT_UUID);
  w.u8(0x10, EVENT_RECORD_SIZE);
  // Header flags 0x000001: QEMU writes 1 << CXL_EVENT_TYPE_INFO (the spec's "Warning" bit).
  w.u8(0x11, 0x01).u8(0x12, 0).u8(0x13, 0);
  w.u8(0x30, f.type).u8(0x31, f.validityFlags).u16(0x32, f.hostId).u8(0x34, f.regionId);
  w.u8(0x35, f.flags);
  w.u64(0x38, f.dpa).u64(0x40, f.len).copy(0x48, f.tag).u16(0x58, f.sharedSeq);
  w.u32(0x78, f.extentsAvailable).u32(0x7c, f.tagsAvailable);
  return w.bytes;
}

/** One event log. */
export class EventLog {
  /** Records the log holds at most. */
  readonly capacity: number;
  #records: Uint8Array[] = [];
  #head = 0;
  #nextHandle = 1;
  /** Records dropped since the last clear (full count; the payload carries 16 bits). */
  overflowCount = 0;
  /** Timestamp of the first dropped record. */
  firstOverflowTimestamp = 0n;
  /** Timestamp of the last dropped record. */
  lastOverflowTimestamp = 0n;
  /** Whether Set Event Interrupt Policy enabled MSI/MSI-X for this log. */
  irqEnabled = false;
  /** Interrupts raised (log went from 0 to 1 record while enabled). */
  interruptsRaised = 0;

  /**
   * Builds an empty log.
   *
   * @param capacity records the log holds at most (QEMU: 8).
   */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Records currently held. */
  get count(): number {
    return this.#records.length - this.#head;
  }

  /** The record at a position from the head (0 = oldest). */
  record(index: number): Uint8Array | undefined {
    return this.#records[this.#head + index];
  }

  /**
   * Inserts a record, assigning its handle and timestamp, or counts an
   * overflow when the log is full. Returns true when QEMU would raise the
   * interrupt (the count went from 0 to 1); the caller counts it only when
   * the log's interrupt is enabled.
   */
  insert(record: Uint8Array, timestamp: bigint): boolean {
    if (this.#overflows(timestamp)) return false;
    return this.#keep(record.slice(), timestamp);
  }

  /**
   * {@linkcode insert} of {@linkcode buildDcEventRecord}`(fields)`, building
   * the record only when the log has room for it (a full log only counts
   * the overflow).
   *
   * @example
   * ```ts
   * import { DcEventType, EventLog } from "@cxl-dcd/conformance/model";
   * const log = new EventLog(1);
   * const f = {
   *   type: DcEventType.ADD_CAPACITY, validityFlags: 0, hostId: 0, regionId: 0, flags: 0,
   *   dpa: 0n, len: 0x200000n, tag: new Uint8Array(16), sharedSeq: 0,
   *   extentsAvailable: 0, tagsAvailable: 0,
   * };
   * log.insertDcEvent(f, 5n);
   * log.insertDcEvent(f, 6n);
   * if (log.count !== 1 || log.overflowCount !== 1 || log.record(0)![0x18] !== 5) throw new Error();
   * ```
   */
  insertDcEvent(fields: DcEventFields, timestamp: bigint): boolean {
    if (this.#overflows(timestamp)) return false;
    return this.#keep(buildDcEventRecord(fields), timestamp);
  }

  /**
   * Counts an overflow when the log is full and returns whether it was: a
   * caller that would build a record first can ask this instead (a later
   * insert into a log with room counts nothing).
   *
   * @example
   * ```ts
   * import { EventLog } from "@cxl-dcd/conformance/model";
   * const log = new EventLog(0);
   * if (!log.overflowIfFull(7n) || log.overflowCount !== 1) throw new Error("full log counts");
   * ```
   */
  overflowIfFull(timestamp: bigint): boolean {
    return this.#overflows(timestamp);
  }

  /** Counts an overflow when the log is full; returns whether it was. */
  #overflows(timestamp: bigint): boolean {
    if (this.count < this.capacity) return false;
    if (this.overflowCount === 0) this.firstOverflowTimestamp = timestamp;
    this.overflowCount++;
    this.lastOverflowTimestamp = timestamp;
    return true;
  }

  /** Stores a record of the log's own, with the next handle and the timestamp. */
  #keep(record: Uint8Array, timestamp: bigint): boolean {
    setU16(record, 0x14, this.#nextHandle);
    setU64(record, 0x18, timestamp);
    this.#nextHandle = (this.#nextHandle + 1) & 0xffff;
    if (this.#nextHandle === 0) this.#nextHandle = 1;
    this.#records.push(record);
    const raised = this.count === 1;
    if (raised && this.irqEnabled) this.interruptsRaised++;
    return raised;
  }

  /** Removes the oldest record and resets the overflow state. */
  deleteHead(): void {
    this.overflowCount = 0;
    this.firstOverflowTimestamp = 0n;
    this.lastOverflowTimestamp = 0n;
    if (this.count === 0) return;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Plain-data state for snapshots. */
  snapshot(): QmpObject {
    const handles: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const r = this.record(i);
      if (r !== undefined) handles.push(r[0x14]! | (r[0x15]! << 8));
    }
    return {
      "records": this.count,
      "handles": handles,
      "overflow": this.overflowCount,
      "interrupt-enabled": this.irqEnabled,
      "interrupts-raised": this.interruptsRaised,
    };
  }
}

const INT_MODE_MASK = 0x03;
const INT_MODE_MSI_MSIX = 0x01;
/** MSI-X vectors of the info/warn/fail/fatal logs (QEMU: 2..5; DC shares the info vector). */
const EVENT_MSI_VECTORS = [2, 3, 4, 5] as const;

/** The five event logs of a device and the event mailbox commands. */
export class EventLogs {
  readonly #logs: EventLog[];

  /**
   * Builds the five empty logs.
   *
   * @param capacity records each log holds at most (QEMU: 8).
   */
  constructor(capacity: number) {
    this.#logs = [];
    for (let i = 0; i < EVENT_LOG_COUNT; i++) this.#logs.push(new EventLog(capacity));
  }

  /** One log by id (0..4). */
  log(id: number): EventLog {
    const l = this.#logs[id];
    if (l === undefined) {
      throw new RangeError(`event log id ${id} does not exist: expected 0..${EVENT_LOG_COUNT - 1}`);
    }
    return l;
  }

  /** Event status register value: bit n set when log n is non-empty. */
  status(): number {
    let bits = 0;
    this.#logs.forEach((l, i) => {
      if (l.count > 0) bits |= 1 << i;
    });
    return bits;
  }

  /** 0x0100 Get Event Records; the input is exactly 1 byte (checked by the caller). */
  getRecords(payload: Uint8Array): MailboxReply {
    const id = payload[0] ?? 0;
    const log = this.#logs[id];
    if (log === undefined) return { rc: ReturnCode.INVALID_INPUT, payload: new Uint8Array(0) };
    const n = Math.min(log.count, MAX_RECORDS_PER_GET);
    const w = new PayloadWriter(EVENT_PAYLOAD_HEADER_SIZE + n * EVENT_RECORD_SIZE);
    let flags = 0;
    if (log.count > 0) flags |= GET_EVENTS_FLAG_MORE_RECORDS;
    if (log.overflowCount > 0) {
      flags |= GET_EVENTS_FLAG_OVERFLOW;
      w.u16(0x02, log.overflowCount & 0xffff);
      w.u64(0x04, log.firstOverflowTimestamp);
      w.u64(0x0c, log.lastOverflowTimestamp);
    }
    w.u8(0x00, flags);
    w.u16(0x14, n);
    for (let i = 0; i < n; i++) {
      const r = log.record(i);
      if (r !== undefined) w.copy(EVENT_PAYLOAD_HEADER_SIZE + i * EVENT_RECORD_SIZE, r);
    }
    return { rc: ReturnCode.SUCCESS, payload: w.bytes };
  }

  /**
   * 0x0101 Clear Event Records: u8 log, u8 flags (ignored), u8 n, 3 reserved,
   * then n u16 handles. Short input: 0x16. Unknown log or a handle that is 0
   * or not the next record in order: 0x02, nothing cleared. Handles beyond
   * the records held are not looked at (QEMU walks min(n, count) records).
   */
  clearRecords(payload: Uint8Array): MailboxReply {
    const empty = new Uint8Array(0);
    if (payload.length < 6) return { rc: ReturnCode.INVALID_PAYLOAD_LENGTH, payload: empty };
    const r = new PayloadReader(payload);
    const n = r.u8(2);
    if (payload.length < 6 + 2 * n) {
      return { rc: ReturnCode.INVALID_PAYLOAD_LENGTH, payload: empty };
    }
    const log = this.#logs[r.u8(0)];
    if (log === undefined) return { rc: ReturnCode.INVALID_INPUT, payload: empty };
    const walk = Math.min(n, log.count);
    for (let i = 0; i < walk; i++) {
      const handle = r.u16(6 + 2 * i);
      const rec = log.record(i);
      const held = rec === undefined ? -1 : rec[0x14]! | (rec[0x15]! << 8);
      if (handle === 0 || handle !== held) return { rc: ReturnCode.INVALID_INPUT, payload: empty };
    }
    for (let i = 0; i < walk; i++) log.deleteHead();
    return { rc: ReturnCode.SUCCESS, payload: empty };
  }

  /** 0x0102 Get Event Interrupt Policy: 5 bytes (info, warn, fail, fatal, DC). */
  getInterruptPolicy(): MailboxReply {
    const out = new Uint8Array(5);
    for (let i = 0; i < 4; i++) {
      if (this.#logs[i]?.irqEnabled) out[i] = (EVENT_MSI_VECTORS[i]! << 4) | INT_MODE_MSI_MSIX;
    }
    if (this.#logs[EventLogId.DYNAMIC_CAPACITY]?.irqEnabled) out[4] = INT_MODE_MSI_MSIX;
    return { rc: ReturnCode.SUCCESS, payload: out };
  }

  /**
   * 0x0103 Set Event Interrupt Policy: at least 4 bytes (else 0x16); byte 4
   * (DC) is optional and applied only when present. Mode 01 enables MSI/MSI-X.
   */
  setInterruptPolicy(payload: Uint8Array): MailboxReply {
    const empty = new Uint8Array(0);
    if (payload.length < 4) return { rc: ReturnCode.INVALID_PAYLOAD_LENGTH, payload: empty };
    for (let i = 0; i < 4; i++) {
      this.log(i).irqEnabled = ((payload[i] ?? 0) & INT_MODE_MASK) === INT_MODE_MSI_MSIX;
    }
    if (payload.length >= 5) {
      this.log(EventLogId.DYNAMIC_CAPACITY).irqEnabled =
        ((payload[4] ?? 0) & INT_MODE_MASK) === INT_MODE_MSI_MSIX;
    }
    return { rc: ReturnCode.SUCCESS, payload: empty };
  }

  /** Plain-data state of every log, by name. */
  snapshot(): QmpObject {
    return {
      "informational": this.log(0).snapshot(),
      "warning": this.log(1).snapshot(),
      "failure": this.log(2).snapshot(),
      "fatal": this.log(3).snapshot(),
      "dynamic-capacity": this.log(4).snapshot(),
    };
  }
}
