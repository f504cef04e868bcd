/**
 * Typed payload layouts of the mailbox commands the suite drives, exactly as
 * QEMU 10.0.2 lays them out (all fields little-endian; see
 * qemu-dcd-upstream.md section 3). Encoders build input payloads; decoders
 * read output payloads and throw {@linkcode HostDecodeError} when a payload is
 * too short for the structure it announces.
 *
 * @module
 */

import { readNumber, readUint, toHex, uuidText, writeUint } from "./bytes.ts";

/** An output payload does not have the structure its command defines. */
export class HostDecodeError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "HostDecodeError";
  }
}

/** UUID of Dynamic Capacity event records. */
export const DC_EVENT_UUID = "ca95afa7-f183-4018-8c2f-95268e101a2a";

/** Event log ids by name (the `CxlEventLog` names plus the DC log). */
export const EVENT_LOGS: Readonly<Record<string, number>> = {
  "informational": 0,
  "warning": 1,
  "failure": 2,
  "fatal": 3,
  "dynamic-capacity": 4,
};

/** Dynamic Capacity event types by value (index), as transcripts name them. */
export const DC_EVENT_TYPES: readonly string[] = [
  "add-capacity",
  "release-capacity",
  "forced-release",
  "region-configuration-updated",
  "add-capacity-response",
  "capacity-released",
];

/** Size of one event record. */
export const EVENT_RECORD_SIZE = 0x80;
/** Size of the Get Event Records output header. */
export const EVENT_RECORDS_HEADER_SIZE = 0x20;
/** Size of one DC region record in Get DC Config output. */
export const DC_REGION_RECORD_SIZE = 0x28;
/** Size of one extent in Get DC Extent List output. */
export const DC_EXTENT_SIZE = 0x28;
/** Size of one entry of an Add DC Response / Release DC input. */
export const EXTENT_ENTRY_SIZE = 0x18;

function need(payload: Uint8Array, size: number, what: string): void {
  if (payload.length < size) {
    throw new HostDecodeError(
      `${what} needs ${size} bytes, but the output payload has ${payload.length}`,
    );
  }
}

function trailing(payload: Uint8Array, used: number): { trailingHex?: string } {
  return payload.length > used ? { trailingHex: toHex(payload.subarray(used)) } : {};
}

// ---------------------------------------------------------------- encoders

/**
 * 0x4800 Get Dynamic Capacity Configuration input: region count, start region.
 *
 * @example
 * ```ts
 * import { encodeGetDcConfig } from "@cxl-dcd/conformance/conformance";
 * if (encodeGetDcConfig(8, 0).length !== 2) throw new Error();
 * ```
 */
export function encodeGetDcConfig(regionCount: number, startRegion: number): Uint8Array {
  const out = new Uint8Array(2);
  writeUint(out, 0, 1, regionCount);
  writeUint(out, 1, 1, startRegion);
  return out;
}

/**
 * 0x4801 Get Dynamic Capacity Extent List input: count, start index.
 *
 * @example
 * ```ts
 * import { encodeGetDcExtentList } from "@cxl-dcd/conformance/conformance";
 * if (encodeGetDcExtentList(50, 0).length !== 8) throw new Error();
 * ```
 */
export function encodeGetDcExtentList(count: number, startIndex: number): Uint8Array {
  const out = new Uint8Array(8);
  writeUint(out, 0, 4, count);
  writeUint(out, 4, 4, startIndex);
  return out;
}

/** A DPA range in an Add DC Response or Release DC input. */
export interface DpaRange {
  /** Absolute device physical address. */
  dpa: bigint;
  /** Length in bytes. */
  len: bigint;
}

/** Overrides for list-carrying inputs. */
export interface ListInputOptions {
  /** Flags byte (Add DC Response / Release DC byte 4; Clear Event Records byte 1). */
  flags?: number;
  /** Entry count written into the header instead of the list's length. */
  count?: number;
}

/**
 * 0x4802 Add Dynamic Capacity Response and 0x4803 Release Dynamic Capacity
 * input: u32 count, u8 flags, 3 reserved, then 0x18-byte entries (DPA, length,
 * 8 reserved).
 *
 * @example
 * ```ts
 * import { encodeExtentResponse } from "@cxl-dcd/conformance/conformance";
 * const p = encodeExtentResponse([{ dpa: 0n, len: 0x200000n }]);
 * if (p.length !== 32) throw new Error();
 * ```
 */
export function encodeExtentResponse(
  extents: readonly DpaRange[],
  options?: ListInputOptions,
): Uint8Array {
  options ??= {};
  const out = new Uint8Array(8 + EXTENT_ENTRY_SIZE * extents.length);
  writeUint(out, 0, 4, options.count ?? extents.length);
  writeUint(out, 4, 1, options.flags ?? 0);
  extents.forEach((e, i) => {
    const at = 8 + EXTENT_ENTRY_SIZE * i;
    writeUint(out, at, 8, e.dpa);
    writeUint(out, at + 8, 8, e.len);
  });
  return out;
}

/**
 * 0x0100 Get Event Records input: the log id.
 *
 * @example
 * ```ts
 * import { encodeGetEventRecords } from "@cxl-dcd/conformance/conformance";
 * if (encodeGetEventRecords(4)[0] !== 4) throw new Error();
 * ```
 */
export function encodeGetEventRecords(log: number): Uint8Array {
  const out = new Uint8Array(1);
  writeUint(out, 0, 1, log);
  return out;
}

/**
 * 0x0101 Clear Event Records input: u8 log, u8 flags, u8 count, 3 reserved,
 * then u16 handles.
 *
 * @example
 * ```ts
 * import { encodeClearEventRecords } from "@cxl-dcd/conformance/conformance";
 * if (encodeClearEventRecords(4, [1, 2]).length !== 10) throw new Error();
 * ```
 */
export function encodeClearEventRecords(
  log: number,
  handles: readonly number[],
  options?: ListInputOptions,
): Uint8Array {
  options ??= {};
  const out = new Uint8Array(6 + 2 * handles.length);
  writeUint(out, 0, 1, log);
  writeUint(out, 1, 1, options.flags ?? 0);
  writeUint(out, 2, 1, options.count ?? handles.length);
  handles.forEach((h, i) => writeUint(out, 6 + 2 * i, 2, h));
  return out;
}

/** Interrupt settings bytes per log (bits 1:0 mode: 0 none, 1 MSI/MSI-X, 2 FW; 7:4 vector). */
export interface InterruptPolicy {
  /** Informational log settings. */
  informational: number;
  /** Warning log settings. */
  warning: number;
  /** Failure log settings. */
  failure: number;
  /** Fatal log settings. */
  fatal: number;
  /** Absent when the device returned only the 4 mandatory bytes. */
  dynamicCapacity?: number;
}

/**
 * 0x0103 Set Event Interrupt Policy input: one settings byte per log; the DC
 * byte is written when given (5 bytes), else 4 bytes.
 *
 * @example
 * ```ts
 * import { encodeSetInterruptPolicy } from "@cxl-dcd/conformance/conformance";
 * const p = encodeSetInterruptPolicy({ informational: 1, warning: 0, failure: 0, fatal: 0, dynamicCapacity: 1 });
 * if (p.length !== 5 || p[4] !== 1) throw new Error();
 * ```
 */
export function encodeSetInterruptPolicy(policy: InterruptPolicy): Uint8Array {
  const dc = policy.dynamicCapacity;
  const out = new Uint8Array(dc === undefined ? 4 : 5);
  writeUint(out, 0, 1, policy.informational);
  writeUint(out, 1, 1, policy.warning);
  writeUint(out, 2, 1, policy.failure);
  writeUint(out, 3, 1, policy.fatal);
  if (dc !== undefined) writeUint(out, 4, 1, dc);
  return out;
}

/**
 * 0x0301 Set Timestamp input: u64 nanoseconds since the Unix epoch.
 *
 * @example
 * ```ts
 * import { encodeSetTimestamp } from "@cxl-dcd/conformance/conformance";
 * if (encodeSetTimestamp(1n).length !== 8) throw new Error();
 * ```
 */
export function encodeSetTimestamp(timestamp: bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeUint(out, 0, 8, timestamp);
  return out;
}

// ---------------------------------------------------------------- decoders

/** 0x4000 Identify Memory Device output (0x45 bytes). Capacities are in 256 MiB units. */
export interface Identify {
  /** Firmware revision text (NUL padding removed). */
  fwRevision: string;
  /** Total capacity (256 MiB units; excludes DC). */
  totalCapacity: bigint;
  /** Volatile-only capacity (256 MiB units). */
  volatileOnlyCapacity: bigint;
  /** Persistent-only capacity (256 MiB units). */
  persistentOnlyCapacity: bigint;
  /** Partition alignment (256 MiB units). */
  partitionAlignment: bigint;
  /** Informational event log size (records). */
  informationalEventLogSize: number;
  /** Warning event log size (records). */
  warningEventLogSize: number;
  /** Failure event log size (records). */
  failureEventLogSize: number;
  /** Fatal event log size (records). */
  fatalEventLogSize: number;
  /** Label storage area size in bytes. */
  lsaSize: number;
  /** Poison list maximum media error records (3 bytes). */
  poisonListMaxMediaErrorRecords: number;
  /** Inject poison limit. */
  injectPoisonLimit: number;
  /** Poison handling capabilities byte. */
  poisonHandlingCapabilities: number;
  /** QoS telemetry capabilities byte. */
  qosTelemetryCapabilities: number;
  /** Dynamic Capacity event log size (records; QEMU: 8). */
  dynamicCapacityEventLogSize: number;
  /** Bytes after the structure, as hex (absent when none). */
  trailingHex?: string;
}

/**
 * Decodes Identify Memory Device output.
 *
 * @example
 * ```ts
 * import { decodeIdentify } from "@cxl-dcd/conformance/conformance";
 * const id = decodeIdentify(new Uint8Array(0x45));
 * if (id.dynamicCapacityEventLogSize !== 0) throw new Error();
 * ```
 */
export function decodeIdentify(payload: Uint8Array): Identify {
  need(payload, 0x45, "Identify Memory Device output");
  const fw = new TextDecoder().decode(payload.subarray(0, 16)).replace(/\0+$/, "");
  return {
    fwRevision: fw,
    totalCapacity: readUint(payload, 0x10, 8),
    volatileOnlyCapacity: readUint(payload, 0x18, 8),
    persistentOnlyCapacity: readUint(payload, 0x20, 8),
    partitionAlignment: readUint(payload, 0x28, 8),
    informationalEventLogSize: readNumber(payload, 0x30, 2),
    warningEventLogSize: readNumber(payload, 0x32, 2),
    failureEventLogSize: readNumber(payload, 0x34, 2),
    fatalEventLogSize: readNumber(payload, 0x36, 2),
    lsaSize: readNumber(payload, 0x38, 4),
    poisonListMaxMediaErrorRecords: readNumber(payload, 0x3c, 3),
    injectPoisonLimit: readNumber(payload, 0x3f, 2),
    poisonHandlingCapabilities: readNumber(payload, 0x41, 1),
    qosTelemetryCapabilities: readNumber(payload, 0x42, 1),
    dynamicCapacityEventLogSize: readNumber(payload, 0x43, 2),
    ...trailing(payload, 0x45),
  };
}

/** A Dynamic Capacity extent as 0x4801 and DC event records carry it. */
export interface DcExtent {
  /** Absolute device physical address. */
  dpa: bigint;
  /** Length in bytes. */
  len: bigint;
  /** Tag as UUID text (all zeros when untagged). */
  tag: string;
  /** Shared extent sequence. */
  sharedSeq: number;
}

function decodeExtent(payload: Uint8Array, at: number): DcExtent {
  return {
    dpa: readUint(payload, at, 8),
    len: readUint(payload, at + 8, 8),
    tag: uuidText(payload, at + 16),
    sharedSeq: readNumber(payload, at + 32, 2),
  };
}

/** One event record: the common header, plus DC fields for DC records. */
export interface EventRecord {
  /** Record identifier UUID text. */
  uuid: string;
  /** Record length byte (0x80). */
  length: number;
  /** The 3-byte record flags field as a number (QEMU writes 1). */
  flags: number;
  /** Record handle (counts up from 1 per log). */
  handle: number;
  /** Related record handle. */
  relatedHandle: number;
  /** Device timestamp (0 until Set Timestamp). */
  timestamp: bigint;
  /** Maintenance operation class. */
  maintenanceClass: number;
  /** DC event type name, or the number when it has no name. */
  type?: string | number;
  /** DC validity flags byte. */
  validity?: number;
  /** DC host id. */
  hostId?: number;
  /** DC updated region id. */
  regionId?: number;
  /** DC flags bit 0 ("More"). */
  more?: boolean;
  /** The DC extent the record is about. */
  extent?: DcExtent;
  /** DC extents available. */
  extentsAvailable?: number;
  /** Tags available (DC records) or tags the device has left (config). */
  tagsAvailable?: number;
  /** Event-specific data (0x50 bytes) of a record that is not a DC record. */
  dataHex?: string;
}

/**
 * Decodes one 0x80-byte event record at `at`.
 *
 * @example
 * ```ts
 * import { decodeEventRecord } from "@cxl-dcd/conformance/conformance";
 * const r = decodeEventRecord(new Uint8Array(0x80), 0);
 * if (r.dataHex === undefined) throw new Error("a zero UUID is not a DC record");
 * ```
 */
export function decodeEventRecord(payload: Uint8Array, at: number): EventRecord {
  need(payload, at + EVENT_RECORD_SIZE, "an event record");
  const uuid = uuidText(payload, at);
  const header = {
    uuid,
    length: readNumber(payload, at + 0x10, 1),
    flags: readNumber(payload, at + 0x11, 3),
    handle: readNumber(payload, at + 0x14, 2),
    relatedHandle: readNumber(payload, at + 0x16, 2),
    timestamp: readUint(payload, at + 0x18, 8),
    maintenanceClass: readNumber(payload, at + 0x20, 1),
  };
  if (uuid !== DC_EVENT_UUID) {
    return { ...header, dataHex: toHex(payload.subarray(at + 0x30, at + EVENT_RECORD_SIZE)) };
  }
  const type = readNumber(payload, at + 0x30, 1);
  return {
    ...header,
    type: DC_EVENT_TYPES[type] ?? type,
    validity: readNumber(payload, at + 0x31, 1),
    hostId: readNumber(payload, at + 0x32, 2),
    regionId: readNumber(payload, at + 0x34, 1),
    more: (readNumber(payload, at + 0x35, 1) & 1) === 1,
    extent: decodeExtent(payload, at + 0x38),
    extentsAvailable: readNumber(payload, at + 0x78, 4),
    tagsAvailable: readNumber(payload, at + 0x7c, 4),
  };
}

/** 0x0100 Get Event Records output. */
export interface EventRecordsPage {
  /** Flags bit 0: the log overflowed. */
  overflow: boolean;
  /** Flags bit 1: more records (QEMU: whenever the log is non-empty). */
  moreRecords: boolean;
  /** Overflow error count. */
  overflowCount: number;
  /** Timestamp of the first overflow. */
  firstOverflowTimestamp: bigint;
  /** Timestamp of the last overflow. */
  lastOverflowTimestamp: bigint;
  /** Records in this reply. */
  recordCount: number;
  /** The records, oldest first. */
  records: EventRecord[];
  /** Bytes after the structure, as hex (absent when none). */
  trailingHex?: string;
}

/**
 * Decodes Get Event Records output.
 *
 * @example
 * ```ts
 * import { decodeEventRecords } from "@cxl-dcd/conformance/conformance";
 * if (decodeEventRecords(new Uint8Array(0x20)).recordCount !== 0) throw new Error();
 * ```
 */
export function decodeEventRecords(payload: Uint8Array): EventRecordsPage {
  need(payload, EVENT_RECORDS_HEADER_SIZE, "the Get Event Records header");
  const flags = readNumber(payload, 0, 1);
  const recordCount = readNumber(payload, 0x14, 2);
  const end = EVENT_RECORDS_HEADER_SIZE + recordCount * EVENT_RECORD_SIZE;
  need(payload, end, `${recordCount} event records`);
  const records: EventRecord[] = [];
  for (let i = 0; i < recordCount; i++) {
    records.push(decodeEventRecord(payload, EVENT_RECORDS_HEADER_SIZE + i * EVENT_RECORD_SIZE));
  }
  return {
    overflow: (flags & 1) !== 0,
    moreRecords: (flags & 2) !== 0,
    overflowCount: readNumber(payload, 2, 2),
    firstOverflowTimestamp: readUint(payload, 4, 8),
    lastOverflowTimestamp: readUint(payload, 0xc, 8),
    recordCount,
    records,
    ...trailing(payload, end),
  };
}

/**
 * Decodes Get Event Interrupt Policy output (4 or 5 bytes).
 *
 * @example
 * ```ts
 * import { decodeInterruptPolicy } from "@cxl-dcd/conformance/conformance";
 * if (decodeInterruptPolicy(new Uint8Array([1, 0, 0, 0, 1])).dynamicCapacity !== 1) throw new Error();
 * ```
 */
export function decodeInterruptPolicy(payload: Uint8Array): InterruptPolicy & {
  /** Bytes after the structure, as hex (absent when none). */
  trailingHex?: string;
} {
  need(payload, 4, "Get Event Interrupt Policy output");
  const base = {
    informational: readNumber(payload, 0, 1),
    warning: readNumber(payload, 1, 1),
    failure: readNumber(payload, 2, 1),
    fatal: readNumber(payload, 3, 1),
  };
  if (payload.length < 5) return base;
  return { ...base, dynamicCapacity: readNumber(payload, 4, 1), ...trailing(payload, 5) };
}

/**
 * Decodes Get Timestamp output.
 *
 * @example
 * ```ts
 * import { decodeTimestamp } from "@cxl-dcd/conformance/conformance";
 * if (decodeTimestamp(new Uint8Array(8)).timestamp !== 0n) throw new Error();
 * ```
 */
export function decodeTimestamp(
  payload: Uint8Array,
): { timestamp: bigint; trailingHex?: string } {
  need(payload, 8, "Get Timestamp output");
  return { timestamp: readUint(payload, 0, 8), ...trailing(payload, 8) };
}

/** One region of Get Dynamic Capacity Configuration output. */
export interface DcRegionConfig {
  /** Region base DPA in bytes. */
  base: bigint;
  /** Decode length in 256 MiB units, as the payload carries it. */
  decodeLength: bigint;
  /** Region length in bytes. */
  regionLength: bigint;
  /** Block size in bytes. */
  blockSize: bigint;
  /** DSMAD handle of the region. */
  dsmadHandle: number;
  /** Region flags byte (QEMU: 0). */
  flags: number;
}

/** 0x4800 Get Dynamic Capacity Configuration output. */
export interface DcConfig {
  /** Regions the device has. */
  numRegions: number;
  /** Regions in this reply. */
  regionsReturned: number;
  /** The region records. */
  regions: DcRegionConfig[];
  /** Extents the device supports (QEMU: 512). */
  extentsSupported: number;
  /** Extents still available. */
  extentsAvailable: number;
  /** Tags supported (QEMU: 0). */
  tagsSupported: number;
  /** Tags available (QEMU: 0). */
  tagsAvailable: number;
  /** Bytes after the structure, as hex (absent when none). */
  trailingHex?: string;
}

/**
 * Decodes Get Dynamic Capacity Configuration output.
 *
 * @example
 * ```ts
 * import { decodeDcConfig } from "@cxl-dcd/conformance/conformance";
 * if (decodeDcConfig(new Uint8Array(24)).regions.length !== 0) throw new Error();
 * ```
 */
export function decodeDcConfig(payload: Uint8Array): DcConfig {
  need(payload, 8, "the Get DC Config header");
  const regionsReturned = readNumber(payload, 1, 1);
  const countsAt = 8 + regionsReturned * DC_REGION_RECORD_SIZE;
  need(payload, countsAt + 16, `${regionsReturned} DC region records and the extent counts`);
  const regions: DcRegionConfig[] = [];
  for (let i = 0; i < regionsReturned; i++) {
    const at = 8 + i * DC_REGION_RECORD_SIZE;
    regions.push({
      base: readUint(payload, at, 8),
      decodeLength: readUint(payload, at + 8, 8),
      regionLength: readUint(payload, at + 0x10, 8),
      blockSize: readUint(payload, at + 0x18, 8),
      dsmadHandle: readNumber(payload, at + 0x20, 4),
      flags: readNumber(payload, at + 0x24, 1),
    });
  }
  return {
    numRegions: readNumber(payload, 0, 1),
    regionsReturned,
    regions,
    extentsSupported: readNumber(payload, countsAt, 4),
    extentsAvailable: readNumber(payload, countsAt + 4, 4),
    tagsSupported: readNumber(payload, countsAt + 8, 4),
    tagsAvailable: readNumber(payload, countsAt + 12, 4),
    ...trailing(payload, countsAt + 16),
  };
}

/** 0x4801 Get Dynamic Capacity Extent List output. */
export interface DcExtentList {
  /** Extents in this reply. */
  returned: number;
  /** Accepted extents the device holds. */
  total: number;
  /** Extent list generation number (QEMU: always 0). */
  generation: number;
  /** The extents, in list order. */
  extents: DcExtent[];
  /** Bytes after the structure, as hex (absent when none). */
  trailingHex?: string;
}

/**
 * Decodes Get Dynamic Capacity Extent List output.
 *
 * @example
 * ```ts
 * import { decodeDcExtentList } from "@cxl-dcd/conformance/conformance";
 * if (decodeDcExtentList(new Uint8Array(16)).returned !== 0) throw new Error();
 * ```
 */
export function decodeDcExtentList(payload: Uint8Array): DcExtentList {
  need(payload, 16, "the Get DC Extent List header");
  const returned = readNumber(payload, 0, 4);
  const end = 16 + returned * DC_EXTENT_SIZE;
  need(payload, end, `${returned} extents`);
  const extents: DcExtent[] = [];
  for (let i = 0; i < returned; i++) extents.push(decodeExtent(payload, 16 + i * DC_EXTENT_SIZE));
  return {
    returned,
    total: readNumber(payload, 4, 4),
    generation: readNumber(payload, 8, 4),
    extents,
    ...trailing(payload, end),
  };
}
