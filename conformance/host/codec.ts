/**
 * The host-step vocabulary of transcripts (`=> DEVICE COMMAND JSON` /
 * `<= RC JSON`): named mailbox commands whose input is written as decoded
 * fields and whose output is decoded to fields. Field names are kebab-case
 * like QAPI; integers are JSON numbers when safe, else bigints; UUIDs and tags
 * are UUID text; reserved bytes are omitted.
 *
 * Every command accepts, besides its own fields:
 * - `payload-length` (integer): the encoded input is cut or zero-padded to
 *   exactly this many bytes (for payload-length error fixtures).
 *
 * Decoding is total and never throws:
 * - an empty output payload decodes to `{}`;
 * - bytes beyond the structure the command defines appear as `trailing-hex`;
 * - a payload too short for the structure it announces decodes to
 *   `{"payload-hex": ..., "decode-error": ...}`.
 *
 * {@linkcode HOST_COMMANDS} is the one table of the vocabulary: each
 * command's name, opcode, request fields (type, default, meaning), reply
 * fields and an example. The reader of request fields takes the integer
 * widths and the defaults from it, and `fixtures/HOST_COMMANDS.md` is
 * rendered from it (`deno task host-reference`, see `reference.ts`).
 *
 * @module
 */

import type { MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import {
  encodeTableRequest,
  noOutput,
  type TableCommand,
  tableCommand,
  type TableCommandSpec,
  TableFieldReader,
  totalDecoder,
  toUint as sharedToUint,
} from "../../model/dcd/field_codec.ts";
import { fromHex, jsonInt, toHex } from "./bytes.ts";
import {
  DC_EVENT_TYPES,
  DC_EVENT_UUID,
  decodeDcConfig,
  decodeDcExtentList,
  decodeEventRecords,
  decodeIdentify,
  decodeInterruptPolicy,
  decodeTimestamp,
  type DpaRange,
  encodeClearEventRecords,
  encodeExtentResponse,
  encodeGetDcConfig,
  encodeGetDcExtentList,
  encodeGetEventRecords,
  encodeSetInterruptPolicy,
  encodeSetTimestamp,
  EVENT_LOGS,
  HostDecodeError,
} from "./layouts.ts";
import { decodeFmReply, encodeFmRequest, isFmCommand } from "./fm_codec.ts";
import { returnCodeName } from "./return_codes.ts";

/** Host-step input fields are invalid; the message says which and what was expected. */
export class HostFieldError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "HostFieldError";
  }
}

/** The type of a host-step field, as the reference names it. */
export type HostFieldType =
  | "u8"
  | "u16"
  | "u24"
  | "u32"
  | "u64"
  | "boolean"
  | "string"
  | "uuid"
  | "hex"
  | "log"
  | "list"
  | "object";

/** One field of a command's request or reply (a row of the reference). */
export interface HostField {
  /** Field name (kebab-case). */
  readonly name: string;
  /** Its type: `uN` an unsigned N-bit integer, `log` a log name or id, `hex` bytes as hex text. */
  readonly type: HostFieldType;
  /** Scalar type of the elements of a `list` whose elements are not objects. */
  readonly element?: HostFieldType;
  /** Request fields: the value used when the field is absent (read by the codec). */
  readonly default?: QmpValue;
  /** Request fields: what is used when the field is absent, when that is not one value. */
  readonly defaultText?: string;
  /** What the field means. */
  readonly doc: string;
  /** Members of the elements of a `list`, or of an `object`. */
  readonly fields?: readonly HostField[];
}

/** One named mailbox command of the vocabulary (encoding throws {@linkcode HostFieldError}). */
export type HostCommand = TableCommand<HostField>;

/**
 * Converts a typed layout value to transcript fields: camelCase keys become
 * kebab-case, bigints become numbers when safe, undefined members vanish.
 *
 * @example
 * ```ts
 * import { toFields } from "@cxl-dcd/conformance/conformance";
 * const f = toFields({ regionId: 1, dpa: 4n }) as Record<string, unknown>;
 * if (f["region-id"] !== 1 || f["dpa"] !== 4) throw new Error();
 * ```
 */
export function toFields(value: unknown): QmpValue {
  if (typeof value === "bigint") return jsonInt(value);
  if (Array.isArray(value)) return value.map(toFields);
  if (value !== null && typeof value === "object") {
    const out: QmpObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)] = toFields(v);
    }
    return out;
  }
  if (
    value === null || typeof value === "string" || typeof value === "number" ||
    typeof value === "boolean"
  ) {
    return value;
  }
  throw new TypeError(`cannot express ${typeof value} as a transcript field`);
}

const BITS: Partial<Record<HostFieldType, number>> = { u8: 8, u16: 16, u24: 24, u32: 32, u64: 64 };

function bitsOf(type: HostFieldType | undefined, where: string): number {
  const bits = type === undefined ? undefined : BITS[type];
  if (bits === undefined) throw new TypeError(`${where} is not an integer field in the table`);
  return bits;
}

/** Reads and validates input fields of one command, with the widths and defaults of its table. */
class FieldReader extends TableFieldReader<HostField> {
  uint(name: string): bigint {
    const f = this.field(name);
    const where = `${this.command}: field '${name}'`;
    const fallback = typeof f.default === "number" ? f.default : undefined;
    return toUint(this.raw(name), bitsOf(f.type, where), where, fallback);
  }

  log(): number {
    const v = this.raw("log");
    if (typeof v === "string") {
      const id = EVENT_LOGS[v];
      if (id === undefined) {
        throw new HostFieldError(
          `${this.command}: field 'log' is ${JSON.stringify(v)}; expected one of ${
            Object.keys(EVENT_LOGS).join(", ")
          } or a log id number`,
        );
      }
      return id;
    }
    return Number(toUint(v, 8, `${this.command}: field 'log'`));
  }

  /** A list of unsigned integers of the field's element type. */
  uints(name: string): number[] {
    const bits = bitsOf(this.field(name).element, `${this.command}: ${name}[]`);
    return this.list(name).map((h, i) => Number(toUint(h, bits, `${this.command}: ${name}[${i}]`)));
  }

  ranges(name: string): DpaRange[] {
    const members = this.field(name).fields ?? [];
    const names = members.map((m) => m.name);
    const shape = `{${names.map((n) => `"${n}": N`).join(", ")}}`;
    return this.objects(name, shape, " and ", (item, where) => {
      const member = (n: string) =>
        toUint(item[n], bitsOf(members.find((m) => m.name === n)?.type, n), `${where}.${n}`);
      return { dpa: member("dpa"), len: member("len") };
    });
  }

  string(name: string): string {
    const v = this.value(name);
    if (typeof v !== "string") {
      throw new HostFieldError(`${this.command}: field '${name}' must be a string`);
    }
    return v;
  }
}

function toUint(
  value: QmpValue | undefined,
  bits: number,
  where: string,
  fallback?: number,
): bigint {
  return sharedToUint(value, bits, where, HostFieldError, fallback);
}

function decoded<T>(decode: (p: Uint8Array) => T): (payload: Uint8Array) => QmpObject {
  return totalDecoder((payload) => toFields(decode(payload)) as QmpObject, HostDecodeError);
}

function command(name: string, spec: TableCommandSpec<HostField, FieldReader>): HostCommand {
  return tableCommand(
    name,
    spec,
    (fields) => new FieldReader(name, fields, spec.input, HostFieldError),
  );
}

const EMPTY = new Uint8Array(0);

const LOG_FIELD: HostField = {
  name: "log",
  type: "log",
  doc: "the event log: `informational`, `warning`, `failure`, `fatal`, `dynamic-capacity`, " +
    "or its id as a number (ids >= 5 are invalid on QEMU, for error fixtures)",
};

const RANGE_INPUT: readonly HostField[] = [
  {
    name: "extents",
    type: "list",
    doc: "the DPA ranges, in order (0x18-byte entries: DPA, length, 8 reserved bytes)",
    fields: [
      { name: "dpa", type: "u64", doc: "absolute device physical address" },
      { name: "len", type: "u64", doc: "length in bytes" },
    ],
  },
  { name: "flags", type: "u8", default: 0, doc: "the flags byte (byte 4)" },
  {
    name: "count",
    type: "u32",
    defaultText: "the length of `extents`",
    doc: "the entry count written in the header",
  },
];

const DC_EXTENT_FIELDS: readonly HostField[] = [
  { name: "dpa", type: "u64", doc: "absolute device physical address" },
  { name: "len", type: "u64", doc: "length in bytes" },
  { name: "tag", type: "uuid", doc: "tag (all zeros when untagged)" },
  { name: "shared-seq", type: "u16", doc: "shared extent sequence" },
];

const TRAILING_NONE: readonly HostField[] = [];

function extentResponse(r: FieldReader): Uint8Array {
  const opts: { flags: number; count?: number } = { flags: r.num("flags") };
  if (r.has("count")) opts.count = r.num("count");
  return encodeExtentResponse(r.ranges("extents"), opts);
}

const CAPACITY_UNITS = "(256 MiB units)";
const u16 = (name: string, doc: string): HostField => ({ name, type: "u16", doc });
const u64 = (name: string, doc: string): HostField => ({ name, type: "u64", doc });
const u32 = (name: string, doc: string): HostField => ({ name, type: "u32", doc });
const u8 = (name: string, doc: string): HostField => ({ name, type: "u8", doc });
const SETTINGS = "interrupt settings byte: bits 1:0 mode (0 none, 1 MSI/MSI-X, 2 firmware), " +
  "bits 7:4 vector";

/**
 * The named mailbox commands of the host-step vocabulary, in reference order:
 * for each its opcode, request fields, reply fields and an example (see the
 * module doc and `fixtures/HOST_COMMANDS.md`).
 */
export const HOST_COMMANDS: Readonly<Record<string, HostCommand>> = {
  "identify": command("identify", {
    title: "Identify Memory Device",
    opcode: 0x4000,
    input: [],
    output: [
      { name: "fw-revision", type: "string", doc: "firmware revision (NUL padding removed)" },
      u64("total-capacity", `total capacity, excluding DC ${CAPACITY_UNITS}`),
      u64("volatile-only-capacity", `volatile-only capacity ${CAPACITY_UNITS}`),
      u64("persistent-only-capacity", `persistent-only capacity ${CAPACITY_UNITS}`),
      u64("partition-alignment", `partition alignment ${CAPACITY_UNITS}`),
      u16("informational-event-log-size", "informational event log size (records)"),
      u16("warning-event-log-size", "warning event log size (records)"),
      u16("failure-event-log-size", "failure event log size (records)"),
      u16("fatal-event-log-size", "fatal event log size (records)"),
      u32("lsa-size", "label storage area size in bytes"),
      {
        name: "poison-list-max-media-error-records",
        type: "u24",
        doc: "poison list maximum media error records",
      },
      u16("inject-poison-limit", "inject poison limit"),
      u8("poison-handling-capabilities", "poison handling capabilities"),
      u8("qos-telemetry-capabilities", "QoS telemetry capabilities"),
      u16("dynamic-capacity-event-log-size", "Dynamic Capacity event log size (records)"),
    ],
    example: {},
    encode: () => EMPTY,
    decode: decoded(decodeIdentify),
  }),
  "get-event-records": command("get-event-records", {
    title: "Get Event Records",
    opcode: 0x0100,
    input: [LOG_FIELD],
    output: [
      { name: "overflow", type: "boolean", doc: "flags bit 0: the log overflowed" },
      { name: "more-records", type: "boolean", doc: "flags bit 1: more records" },
      u16("overflow-count", "overflow error count"),
      u64("first-overflow-timestamp", "time of the first overflow (ns since the Unix epoch)"),
      u64("last-overflow-timestamp", "time of the last overflow (ns since the Unix epoch)"),
      u16("record-count", "records in this reply"),
      {
        name: "records",
        type: "list",
        doc: "the records, oldest first (0x80 bytes each); Dynamic Capacity records " +
          `(UUID ${DC_EVENT_UUID}) have \`type\` to \`tags-available\`, other records \`data-hex\``,
        fields: [
          { name: "uuid", type: "uuid", doc: "record identifier" },
          u8("length", "record length (0x80)"),
          { name: "flags", type: "u24", doc: "the 3-byte record flags" },
          u16("handle", "record handle (counts up from 1 per log)"),
          u16("related-handle", "related record handle"),
          u64("timestamp", "device time of the record (0 until Set Timestamp)"),
          u8("maintenance-class", "maintenance operation class"),
          {
            name: "type",
            type: "string",
            doc: `DC event type: ${DC_EVENT_TYPES.map((t) => `\`${t}\``).join(", ")}, ` +
              "or the number when it has no name",
          },
          u8("validity", "DC validity flags"),
          u16("host-id", "DC host id"),
          u8("region-id", "DC updated region id"),
          { name: "more", type: "boolean", doc: "DC flags bit 0 (More)" },
          {
            name: "extent",
            type: "object",
            doc: "the DC extent the record is about",
            fields: DC_EXTENT_FIELDS,
          },
          u32("extents-available", "DC extents available"),
          u32("tags-available", "DC tags available"),
          { name: "data-hex", type: "hex", doc: "event-specific bytes (0x50) of other records" },
        ],
      },
    ],
    example: { "log": "dynamic-capacity" },
    encode: (r) => encodeGetEventRecords(r.log()),
    decode: decoded(decodeEventRecords),
  }),
  "clear-event-records": command("clear-event-records", {
    title: "Clear Event Records",
    opcode: 0x0101,
    input: [
      LOG_FIELD,
      {
        name: "handles",
        type: "list",
        element: "u16",
        doc: "handles of the records to clear, in order",
      },
      { ...u8("flags", "the flags byte (bit 0: clear all)"), default: 0 },
      {
        name: "count",
        type: "u8",
        defaultText: "the length of `handles`",
        doc: "the handle count byte",
      },
    ],
    output: TRAILING_NONE,
    example: { "log": "dynamic-capacity", "handles": [1] },
    encode: (r) => {
      const opts: { flags: number; count?: number } = { flags: r.num("flags") };
      if (r.has("count")) opts.count = r.num("count");
      return encodeClearEventRecords(r.log(), r.uints("handles"), opts);
    },
    decode: noOutput,
  }),
  "get-event-interrupt-policy": command("get-event-interrupt-policy", {
    title: "Get Event Interrupt Policy",
    opcode: 0x0102,
    input: [],
    output: [
      u8("informational", `informational log ${SETTINGS}`),
      u8("warning", "warning log settings"),
      u8("failure", "failure log settings"),
      u8("fatal", "fatal log settings"),
      u8("dynamic-capacity", "Dynamic Capacity log settings (absent in a 4-byte reply)"),
    ],
    example: {},
    encode: () => EMPTY,
    decode: decoded(decodeInterruptPolicy),
  }),
  "set-event-interrupt-policy": command("set-event-interrupt-policy", {
    title: "Set Event Interrupt Policy",
    opcode: 0x0103,
    input: [
      { ...u8("informational", `informational log ${SETTINGS}`), default: 0 },
      { ...u8("warning", "warning log settings"), default: 0 },
      { ...u8("failure", "failure log settings"), default: 0 },
      { ...u8("fatal", "fatal log settings"), default: 0 },
      {
        ...u8(
          "dynamic-capacity",
          "Dynamic Capacity log settings (byte 4); `null` writes only the 4 mandatory bytes",
        ),
        default: 0,
      },
    ],
    output: TRAILING_NONE,
    example: { "dynamic-capacity": 1 },
    encode: (r) => {
      const policy = {
        informational: r.num("informational"),
        warning: r.num("warning"),
        failure: r.num("failure"),
        fatal: r.num("fatal"),
      };
      return encodeSetInterruptPolicy(
        r.raw("dynamic-capacity") === null
          ? policy
          : { ...policy, dynamicCapacity: r.num("dynamic-capacity") },
      );
    },
    decode: noOutput,
  }),
  "get-timestamp": command("get-timestamp", {
    title: "Get Timestamp",
    opcode: 0x0300,
    input: [],
    output: [u64("timestamp", "device time (ns since the Unix epoch)")],
    example: {},
    encode: () => EMPTY,
    decode: decoded(decodeTimestamp),
  }),
  "set-timestamp": command("set-timestamp", {
    title: "Set Timestamp",
    opcode: 0x0301,
    input: [u64("timestamp", "device time to set (ns since the Unix epoch)")],
    output: TRAILING_NONE,
    example: { "timestamp": 1700000000000000000 },
    encode: (r) => encodeSetTimestamp(r.uint("timestamp")),
    decode: noOutput,
  }),
  "get-dc-config": command("get-dc-config", {
    title: "Get Dynamic Capacity Configuration",
    opcode: 0x4800,
    input: [
      { ...u8("region-count", "regions to return"), default: 8 },
      { ...u8("start-region", "first region to return"), default: 0 },
    ],
    output: [
      u8("num-regions", "regions the device has"),
      u8("regions-returned", "regions in this reply"),
      {
        name: "regions",
        type: "list",
        doc: "the region records (0x28 bytes each)",
        fields: [
          u64("base", "region base DPA in bytes"),
          u64("decode-length", `decode length as the payload carries it ${CAPACITY_UNITS}`),
          u64("region-length", "region length in bytes"),
          u64("block-size", "block size in bytes"),
          u32("dsmad-handle", "DSMAD handle"),
          u8("flags", "region flags"),
        ],
      },
      u32("extents-supported", "extents the device supports"),
      u32("extents-available", "extents still available"),
      u32("tags-supported", "tags supported"),
      u32("tags-available", "tags available"),
    ],
    example: { "region-count": 8, "start-region": 0 },
    encode: (r) => encodeGetDcConfig(r.num("region-count"), r.num("start-region")),
    decode: decoded(decodeDcConfig),
  }),
  "get-dc-extent-list": command("get-dc-extent-list", {
    title: "Get Dynamic Capacity Extent List",
    opcode: 0x4801,
    input: [
      { ...u32("count", "extents to return"), default: 50 },
      { ...u32("start-index", "index of the first extent to return"), default: 0 },
    ],
    output: [
      u32("returned", "extents in this reply"),
      u32("total", "accepted extents the device holds"),
      u32("generation", "extent list generation number"),
      {
        name: "extents",
        type: "list",
        doc: "the extents, in list order (0x28 bytes each)",
        fields: DC_EXTENT_FIELDS,
      },
    ],
    example: { "count": 50, "start-index": 0 },
    encode: (r) => encodeGetDcExtentList(r.num("count"), r.num("start-index")),
    decode: decoded(decodeDcExtentList),
  }),
  "add-dc-response": command("add-dc-response", {
    title: "Add Dynamic Capacity Response",
    opcode: 0x4802,
    input: RANGE_INPUT,
    output: TRAILING_NONE,
    example: { "extents": [{ "dpa": 0, "len": 134217728 }] },
    encode: extentResponse,
    decode: noOutput,
  }),
  "release-dc": command("release-dc", {
    title: "Release Dynamic Capacity",
    opcode: 0x4803,
    input: RANGE_INPUT,
    output: TRAILING_NONE,
    example: { "extents": [{ "dpa": 0, "len": 134217728 }] },
    encode: extentResponse,
    decode: noOutput,
  }),
  "raw": command("raw", {
    title: "any opcode, payload as bytes",
    opcode: undefined,
    input: [
      u16("opcode", "the mailbox opcode"),
      { name: "payload-hex", type: "hex", default: "", doc: "the input payload as hex" },
    ],
    output: [{ name: "payload-hex", type: "hex", doc: "the output payload as hex" }],
    example: { "opcode": 0x4000, "payload-hex": "" },
    encode: (r) => {
      const text = r.string("payload-hex");
      try {
        return fromHex(text);
      } catch (e) {
        throw new HostFieldError(`raw: field 'payload-hex': ${(e as Error).message}`);
      }
    },
    decode: (payload) => ({ "payload-hex": toHex(payload) }),
  }),
};

/** An encoded mailbox request. */
export interface HostRequest {
  /** 16-bit opcode. */
  opcode: number;
  /** Input payload. */
  payload: Uint8Array;
  /** Set for an FM-API command (`fm-...`, see `fm_codec.ts`): it goes to the device's FM path. */
  fm?: true;
  /** Set with `fm` for a command to the switch CCI itself (`fm-switch-cci-raw`). */
  switchCci?: true;
}

function lookup(name: string): HostCommand {
  const cmd = Object.hasOwn(HOST_COMMANDS, name) ? HOST_COMMANDS[name] : undefined;
  if (cmd === undefined) {
    throw new HostFieldError(
      `unknown host command '${name}'; expected one of ${Object.keys(HOST_COMMANDS).join(", ")}`,
    );
  }
  return cmd;
}

/**
 * Encodes a host step's command and input fields into an opcode and payload,
 * applying `payload-length`.
 *
 * @example
 * ```ts
 * import { encodeHostRequest } from "@cxl-dcd/conformance/conformance";
 * const r = encodeHostRequest("get-dc-config", { "region-count": 1, "payload-length": 1 });
 * if (r.opcode !== 0x4800 || r.payload.length !== 1) throw new Error();
 * ```
 */
export function encodeHostRequest(command: string, fields: QmpObject): HostRequest {
  if (isFmCommand(command)) return encodeFmRequest(command, fields);
  return encodeTableRequest(lookup(command), command, fields, HostFieldError);
}

/** A decoded mailbox reply. */
export interface HostResult {
  /** Return code name (e.g. `SUCCESS`), or hex for a code without a name. */
  rc: string;
  /** Decoded output fields. */
  output: QmpObject;
}

/**
 * Decodes a mailbox reply of a named command into a return code name and
 * output fields.
 *
 * @example
 * ```ts
 * import { decodeHostReply } from "@cxl-dcd/conformance/conformance";
 * const r = decodeHostReply("get-timestamp", { rc: 0, payload: new Uint8Array(8) });
 * if (r.rc !== "SUCCESS" || r.output["timestamp"] !== 0) throw new Error();
 * ```
 */
export function decodeHostReply(command: string, reply: MailboxReply): HostResult {
  if (isFmCommand(command)) return decodeFmReply(command, reply);
  return { rc: returnCodeName(reply.rc), output: lookup(command).decode(reply.payload) };
}
