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
 * Commands and their fields:
 *
 * | command | opcode | input fields | output fields |
 * | --- | --- | --- | --- |
 * | `identify` | 0x4000 | none | `fw-revision`, `total-capacity`, `volatile-only-capacity`, `persistent-only-capacity`, `partition-alignment` (256 MiB units), `informational-event-log-size`, `warning-event-log-size`, `failure-event-log-size`, `fatal-event-log-size`, `lsa-size`, `poison-list-max-media-error-records`, `inject-poison-limit`, `poison-handling-capabilities`, `qos-telemetry-capabilities`, `dynamic-capacity-event-log-size` |
 * | `get-event-records` | 0x0100 | `log` | `overflow`, `more-records`, `overflow-count`, `first-overflow-timestamp`, `last-overflow-timestamp`, `record-count`, `records` |
 * | `clear-event-records` | 0x0101 | `log`, `handles`, optional `flags`, `count` | none |
 * | `get-event-interrupt-policy` | 0x0102 | none | `informational`, `warning`, `failure`, `fatal`, `dynamic-capacity` |
 * | `set-event-interrupt-policy` | 0x0103 | `informational`, `warning`, `failure`, `fatal` (default 0), `dynamic-capacity` (default 0; `null` writes only 4 bytes) | none |
 * | `get-timestamp` | 0x0300 | none | `timestamp` |
 * | `set-timestamp` | 0x0301 | `timestamp` | none |
 * | `get-dc-config` | 0x4800 | `region-count` (default 8), `start-region` (default 0) | `num-regions`, `regions-returned`, `regions`, `extents-supported`, `extents-available`, `tags-supported`, `tags-available` |
 * | `get-dc-extent-list` | 0x4801 | `count` (default 50), `start-index` (default 0) | `returned`, `total`, `generation`, `extents` |
 * | `add-dc-response` | 0x4802 | `extents` [{`dpa`, `len`}], optional `flags`, `count` | none |
 * | `release-dc` | 0x4803 | `extents` [{`dpa`, `len`}], optional `flags`, `count` | none |
 * | `raw` | `opcode` field | `opcode`, `payload-hex` (default empty) | `payload-hex` |
 *
 * Field meanings:
 * - `log`: an event log by name (`informational`, `warning`, `failure`,
 *   `fatal`, `dynamic-capacity`) or its id as a number (ids >= 5 are invalid
 *   on QEMU, which makes them useful in error fixtures).
 * - `handles`: event record handles to clear, in order; `count` overrides the
 *   count byte (default: the number of handles); `flags` the flags byte.
 * - interrupt settings bytes: bits 1:0 mode (0 none, 1 MSI/MSI-X, 2 firmware),
 *   bits 7:4 vector.
 * - `timestamp`: nanoseconds since the Unix epoch.
 * - `regions[]` of `get-dc-config`: `base` (DPA, bytes), `decode-length` (as
 *   the payload carries it: 256 MiB units), `region-length` (bytes),
 *   `block-size` (bytes), `dsmad-handle`, `flags`.
 * - `extents[]` of `get-dc-extent-list` and `extent` of an event record:
 *   `dpa` (absolute), `len`, `tag` (UUID text, zeros when untagged),
 *   `shared-seq`.
 * - `extents[]` of `add-dc-response` / `release-dc`: `dpa` (absolute), `len`;
 *   `count` overrides the entry count in the header (default: the list's
 *   length); `flags` is byte 4.
 * - `records[]` of `get-event-records`: `uuid`, `length`, `flags` (the 3-byte
 *   header flags), `handle`, `related-handle`, `timestamp`,
 *   `maintenance-class`; then, for Dynamic Capacity records (UUID
 *   ca95afa7-f183-4018-8c2f-95268e101a2a): `type` (`add-capacity`,
 *   `release-capacity`, `forced-release`, `region-configuration-updated`,
 *   `add-capacity-response`, `capacity-released`, or the number), `validity`,
 *   `host-id`, `region-id`, `more` (flags bit 0), `extent`,
 *   `extents-available`, `tags-available`; for other records `data-hex` (the
 *   0x50 event-specific bytes).
 *
 * @module
 */

import type { MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { fromHex, jsonInt, toHex } from "./bytes.ts";
import {
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
import { returnCodeName } from "./return_codes.ts";

/** Host-step input fields are invalid; the message says which and what was expected. */
export class HostFieldError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "HostFieldError";
  }
}

/** One named mailbox command of the vocabulary. */
export interface HostCommand {
  /** Mailbox opcode; `undefined` for `raw`, whose `opcode` field gives it. */
  readonly opcode: number | undefined;
  /** Input field names (besides `payload-length`, accepted everywhere). */
  readonly inputFields: readonly string[];
  /** Encodes decoded input fields to the input payload. Throws {@linkcode HostFieldError}. */
  encode(fields: QmpObject): Uint8Array;
  /** Decodes an output payload to fields (total; never throws). */
  decode(payload: Uint8Array): QmpObject;
}

/**
 * Converts a typed layout value to transcript fields: camelCase keys become
 * kebab-case, bigints become numbers when safe, undefined members vanish.
 *
 * @example
 * ```ts
 * import { toFields } from "./codec.ts";
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

/** Reads and validates input fields of one command. */
class FieldReader {
  readonly #command: string;
  readonly #fields: QmpObject;
  constructor(command: string, fields: QmpObject, allowed: readonly string[]) {
    this.#command = command;
    this.#fields = fields;
    for (const key of Object.keys(fields)) {
      if (key !== "payload-length" && !allowed.includes(key)) {
        throw new HostFieldError(
          `${command}: unknown field '${key}'; expected ${
            allowed.length === 0 ? "no fields" : `only ${allowed.join(", ")}`
          } (and payload-length)`,
        );
      }
    }
  }

  has(name: string): boolean {
    return this.#fields[name] !== undefined;
  }

  raw(name: string): QmpValue | undefined {
    return this.#fields[name];
  }

  uint(name: string, bits: number, fallback?: number): bigint {
    return toUint(this.#fields[name], bits, `${this.#command}: field '${name}'`, fallback);
  }

  num(name: string, bits: number, fallback?: number): number {
    return Number(this.uint(name, bits, fallback));
  }

  log(): number {
    const v = this.#fields["log"];
    if (typeof v === "string") {
      const id = EVENT_LOGS[v];
      if (id === undefined) {
        throw new HostFieldError(
          `${this.#command}: field 'log' is ${JSON.stringify(v)}; expected one of ${
            Object.keys(EVENT_LOGS).join(", ")
          } or a log id number`,
        );
      }
      return id;
    }
    return this.num("log", 8);
  }

  list(name: string, fallback?: QmpValue[]): QmpValue[] {
    const v = this.#fields[name] ?? fallback;
    if (!Array.isArray(v)) {
      throw new HostFieldError(`${this.#command}: field '${name}' must be a list`);
    }
    return v;
  }

  ranges(name: string): DpaRange[] {
    return this.list(name).map((item, i) => {
      const where = `${this.#command}: ${name}[${i}]`;
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        throw new HostFieldError(`${where} must be an object {"dpa": N, "len": N}`);
      }
      for (const k of Object.keys(item)) {
        if (k !== "dpa" && k !== "len") {
          throw new HostFieldError(`${where}: unknown member '${k}'; expected only dpa and len`);
        }
      }
      return {
        dpa: toUint(item["dpa"], 64, `${where}.dpa`),
        len: toUint(item["len"], 64, `${where}.len`),
      };
    });
  }

  string(name: string, fallback?: string): string {
    const v = this.#fields[name] ?? fallback;
    if (typeof v !== "string") {
      throw new HostFieldError(`${this.#command}: field '${name}' must be a string`);
    }
    return v;
  }
}

function toUint(value: QmpValue | undefined, bits: number, where: string, fallback?: number) {
  if (value === undefined) {
    if (fallback !== undefined) return BigInt(fallback);
    throw new HostFieldError(`${where} is missing; expected an unsigned ${bits}-bit integer`);
  }
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
  else {
    throw new HostFieldError(
      `${where} is ${JSON.stringify(value)}; expected an unsigned ${bits}-bit integer`,
    );
  }
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new HostFieldError(`${where} is ${v}; expected an unsigned ${bits}-bit integer`);
  }
  return v;
}

function noOutput(payload: Uint8Array): QmpObject {
  return payload.length === 0 ? {} : { "trailing-hex": toHex(payload) };
}

function decoded<T>(decode: (p: Uint8Array) => T): (payload: Uint8Array) => QmpObject {
  return (payload) => {
    if (payload.length === 0) return {};
    try {
      return toFields(decode(payload)) as QmpObject;
    } catch (e) {
      if (!(e instanceof HostDecodeError)) throw e;
      return { "payload-hex": toHex(payload), "decode-error": e.message };
    }
  };
}

function command(
  name: string,
  opcode: number | undefined,
  inputFields: readonly string[],
  encode: (r: FieldReader) => Uint8Array,
  decode: (payload: Uint8Array) => QmpObject,
): HostCommand {
  return {
    opcode,
    inputFields,
    encode: (fields) => encode(new FieldReader(name, fields, inputFields)),
    decode,
  };
}

const EMPTY = new Uint8Array(0);
const RANGE_FIELDS = ["extents", "flags", "count"] as const;

function extentResponse(r: FieldReader): Uint8Array {
  const opts: { flags?: number; count?: number } = {};
  if (r.has("flags")) opts.flags = r.num("flags", 8);
  if (r.has("count")) opts.count = r.num("count", 32);
  return encodeExtentResponse(r.ranges("extents"), opts);
}

/** The named mailbox commands of the host-step vocabulary (see the module doc). */
export const HOST_COMMANDS: Readonly<Record<string, HostCommand>> = {
  "identify": command("identify", 0x4000, [], () => EMPTY, decoded(decodeIdentify)),
  "get-event-records": command(
    "get-event-records",
    0x0100,
    ["log"],
    (r) => encodeGetEventRecords(r.log()),
    decoded(decodeEventRecords),
  ),
  "clear-event-records": command(
    "clear-event-records",
    0x0101,
    ["log", "handles", "flags", "count"],
    (r) => {
      const handles = r.list("handles").map((h, i) =>
        Number(toUint(h, 16, `clear-event-records: handles[${i}]`))
      );
      const opts: { flags?: number; count?: number } = {};
      if (r.has("flags")) opts.flags = r.num("flags", 8);
      if (r.has("count")) opts.count = r.num("count", 8);
      return encodeClearEventRecords(r.log(), handles, opts);
    },
    noOutput,
  ),
  "get-event-interrupt-policy": command(
    "get-event-interrupt-policy",
    0x0102,
    [],
    () => EMPTY,
    decoded(decodeInterruptPolicy),
  ),
  "set-event-interrupt-policy": command(
    "set-event-interrupt-policy",
    0x0103,
    ["informational", "warning", "failure", "fatal", "dynamic-capacity"],
    (r) => {
      const policy = {
        informational: r.num("informational", 8, 0),
        warning: r.num("warning", 8, 0),
        failure: r.num("failure", 8, 0),
        fatal: r.num("fatal", 8, 0),
      };
      return encodeSetInterruptPolicy(
        r.raw("dynamic-capacity") === null
          ? policy
          : { ...policy, dynamicCapacity: r.num("dynamic-capacity", 8, 0) },
      );
    },
    noOutput,
  ),
  "get-timestamp": command("get-timestamp", 0x0300, [], () => EMPTY, decoded(decodeTimestamp)),
  "set-timestamp": command(
    "set-timestamp",
    0x0301,
    ["timestamp"],
    (r) => encodeSetTimestamp(r.uint("timestamp", 64)),
    noOutput,
  ),
  "get-dc-config": command(
    "get-dc-config",
    0x4800,
    ["region-count", "start-region"],
    (r) => encodeGetDcConfig(r.num("region-count", 8, 8), r.num("start-region", 8, 0)),
    decoded(decodeDcConfig),
  ),
  "get-dc-extent-list": command(
    "get-dc-extent-list",
    0x4801,
    ["count", "start-index"],
    (r) => encodeGetDcExtentList(r.num("count", 32, 50), r.num("start-index", 32, 0)),
    decoded(decodeDcExtentList),
  ),
  "add-dc-response": command("add-dc-response", 0x4802, RANGE_FIELDS, extentResponse, noOutput),
  "release-dc": command("release-dc", 0x4803, RANGE_FIELDS, extentResponse, noOutput),
  "raw": command(
    "raw",
    undefined,
    ["opcode", "payload-hex"],
    (r) => {
      const text = r.string("payload-hex", "");
      try {
        return fromHex(text);
      } catch (e) {
        throw new HostFieldError(`raw: field 'payload-hex': ${(e as Error).message}`);
      }
    },
    (payload) => ({ "payload-hex": toHex(payload) }),
  ),
};

/** An encoded mailbox request. */
export interface HostRequest {
  /** 16-bit opcode. */
  opcode: number;
  /** Input payload. */
  payload: Uint8Array;
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
 * import { encodeHostRequest } from "./codec.ts";
 * const r = encodeHostRequest("get-dc-config", { "region-count": 1, "payload-length": 1 });
 * if (r.opcode !== 0x4800 || r.payload.length !== 1) throw new Error();
 * ```
 */
export function encodeHostRequest(command: string, fields: QmpObject): HostRequest {
  const cmd = lookup(command);
  let payload = cmd.encode(fields);
  const opcode = cmd.opcode ?? Number(toUint(fields["opcode"], 16, "raw: field 'opcode'"));
  if (fields["payload-length"] !== undefined) {
    const length = Number(
      toUint(fields["payload-length"], 16, `${command}: field 'payload-length'`),
    );
    const sized = new Uint8Array(length);
    sized.set(payload.subarray(0, length));
    payload = sized;
  }
  return { opcode, payload };
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
 * import { decodeHostReply } from "./codec.ts";
 * const r = decodeHostReply("get-timestamp", { rc: 0, payload: new Uint8Array(8) });
 * if (r.rc !== "SUCCESS" || r.output["timestamp"] !== 0) throw new Error();
 * ```
 */
export function decodeHostReply(command: string, reply: MailboxReply): HostResult {
  return { rc: returnCodeName(reply.rc), output: lookup(command).decode(reply.payload) };
}
