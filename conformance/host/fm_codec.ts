/**
 * The FM-API step vocabulary of transcripts: `=> DEVICE fm-COMMAND JSON`
 * runs an FM-API command on the type-3 device `DEVICE` the way a fabric
 * manager reaches it (through the 0x5300 tunnel of the switch mailbox CCI
 * above it; see {@linkcode HostInterface.fm}), with input written as decoded
 * fields and output decoded to fields, like the host mailbox commands of
 * `codec.ts`. Field names are kebab-case; integers are JSON numbers when
 * safe, else bigints; tags are UUID text; reserved bytes are omitted. Every
 * command also accepts `payload-length` (the encoded input is cut or
 * zero-padded to exactly that many bytes).
 *
 * | command | opcode | input fields | output fields |
 * | --- | --- | --- | --- |
 * | `fm-get-dcd-info` | 0x5600 | none | `num-hosts`, `num-regions`, `add-selection-policies`, `removal-policies`, `sanitize-on-release`, `total-dynamic-capacity` (256 MiB units), `region-block-sizes` (8 bitmasks) |
 * | `fm-get-host-dc-region-config` | 0x5601 | `host-id` (0), `region-count` (8), `start-region` (0) | `host-id`, `num-regions`, `regions-returned`, `regions` [{`base`, `decode-length` (256 MiB units), `region-length`, `block-size`, `flags`, `sanitize-on-release`}], `extents-supported`, `extents-available`, `tags-supported`, `tags-available` |
 * | `fm-set-dc-region-config` | 0x5602 | `region`, `block-size`, `flags` (0) | none |
 * | `fm-get-dc-region-extent-lists` | 0x5603 | `host-id` (0), `count` (50), `start-index` (0) | `host-id`, `start-index`, `returned`, `total`, `generation`, `extents` [{`dpa`, `len`, `tag`, `shared-seq`}] |
 * | `fm-initiate-dc-add` | 0x5604 | `host-id` (0), `selection-policy` (`prescriptive`), `region` (0), `length` (sum of the lengths), `tag` (nil), `extents` [{`dpa`, `len`, `tag` (nil), `shared-seq` (0)}], `count` (the list's length) | none |
 * | `fm-initiate-dc-release` | 0x5605 | `host-id` (0), `removal-policy` (`prescriptive`), `forced-removal` (false), `sanitize-on-release` (false), `region`, `length`, `tag`, `extents`, `count` as for add | none |
 * | `fm-raw` | `opcode` field | `opcode`, `payload-hex` (default empty) | `payload-hex` |
 *
 * Policies are names (`free`, `contiguous`, `prescriptive`,
 * `enable-shared-access` for selection; `tag-based`, `prescriptive` for
 * removal, as QAPI numbers them) or numbers. Extent DPAs are absolute.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { fromHex, jsonInt, readNumber, readUint, toHex, uuidBytes, uuidText } from "./bytes.ts";
import { returnCodeName } from "./return_codes.ts";

/** FM-step input fields are invalid; the message says which and what was expected. */
export class FmFieldError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "FmFieldError";
  }
}

/** One named FM-API command. */
export interface FmCommand {
  /** FM-API opcode; undefined for `fm-raw`, whose `opcode` field gives it. */
  readonly opcode: number | undefined;
  /** Input field names (besides `payload-length`). */
  readonly inputFields: readonly string[];
  /** Encodes input fields to the payload. Throws {@linkcode FmFieldError}. */
  encode(fields: QmpObject): Uint8Array;
  /** Decodes an output payload to fields (total; never throws). */
  decode(payload: Uint8Array): QmpObject;
}

const SELECTION_POLICIES = ["free", "contiguous", "prescriptive", "enable-shared-access"];
const REMOVAL_POLICIES = ["tag-based", "prescriptive"];
const NIL_TAG = "00000000-0000-0000-0000-000000000000";

class Fields {
  constructor(
    readonly command: string,
    readonly fields: QmpObject,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(fields)) {
      if (key !== "payload-length" && !allowed.includes(key)) {
        throw new FmFieldError(
          `${command}: unknown field '${key}'; expected ${
            allowed.length === 0 ? "no fields" : `only ${allowed.join(", ")}`
          } (and payload-length)`,
        );
      }
    }
  }

  uint(name: string, bits: number, fallback?: bigint): bigint {
    return toUint(this.fields[name], bits, `${this.command}: field '${name}'`, fallback);
  }

  num(name: string, bits: number, fallback?: number): number {
    return Number(this.uint(name, bits, fallback === undefined ? undefined : BigInt(fallback)));
  }

  bool(name: string): boolean {
    const v = this.fields[name] ?? false;
    if (typeof v !== "boolean") {
      throw new FmFieldError(
        `${this.command}: field '${name}' is ${JSON.stringify(v)}; expected true or false`,
      );
    }
    return v;
  }

  policy(name: string, names: readonly string[], fallback: string): number {
    const v = this.fields[name] ?? fallback;
    if (typeof v === "string") {
      const i = names.indexOf(v);
      if (i < 0) {
        throw new FmFieldError(
          `${this.command}: field '${name}' is ${JSON.stringify(v)}; expected one of ${
            names.join(", ")
          } or a number`,
        );
      }
      return i;
    }
    return this.num(name, 8);
  }

  tag(value: QmpValue | undefined, where: string): Uint8Array {
    const v = value ?? NIL_TAG;
    if (typeof v !== "string") throw new FmFieldError(`${where} must be UUID text`);
    try {
      return uuidBytes(v);
    } catch (e) {
      throw new FmFieldError(`${where}: ${(e as Error).message}`);
    }
  }
}

function toUint(value: QmpValue | undefined, bits: number, where: string, fallback?: bigint) {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new FmFieldError(`${where} is missing; expected an unsigned ${bits}-bit integer`);
  }
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
  else {
    throw new FmFieldError(
      `${where} is ${JSON.stringify(value)}; expected an unsigned ${bits}-bit integer`,
    );
  }
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new FmFieldError(`${where} is ${v}; expected an unsigned ${bits}-bit integer`);
  }
  return v;
}

class Writer {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }
  u8(o: number, v: number): this {
    this.#view.setUint8(o, v);
    return this;
  }
  u16(o: number, v: number): this {
    this.#view.setUint16(o, v, true);
    return this;
  }
  u32(o: number, v: number): this {
    this.#view.setUint32(o, v, true);
    return this;
  }
  u64(o: number, v: bigint): this {
    this.#view.setBigUint64(o, v, true);
    return this;
  }
}

/** Decoding failed: the payload is shorter than what it announces. */
class Short extends Error {}

function need(p: Uint8Array, n: number, what: string): void {
  if (p.length < n) throw new Short(`${p.length} bytes: expected at least ${n} for ${what}`);
}

function trailing(p: Uint8Array, end: number): QmpObject {
  return p.length > end ? { "trailing-hex": toHex(p.subarray(end)) } : {};
}

function decoded(decode: (p: Uint8Array) => QmpObject): (p: Uint8Array) => QmpObject {
  return (p) => {
    if (p.length === 0) return {};
    try {
      return decode(p);
    } catch (e) {
      if (!(e instanceof Short)) throw e;
      return { "payload-hex": toHex(p), "decode-error": e.message };
    }
  };
}

function noOutput(p: Uint8Array): QmpObject {
  return p.length === 0 ? {} : { "trailing-hex": toHex(p) };
}

const u64 = (p: Uint8Array, o: number) => jsonInt(readUint(p, o, 8));

function extentAt(p: Uint8Array, o: number): QmpObject {
  return {
    "dpa": u64(p, o),
    "len": u64(p, o + 8),
    "tag": uuidText(p, o + 16),
    "shared-seq": readNumber(p, o + 32, 2),
  };
}

function decodeDcdInfo(p: Uint8Array): QmpObject {
  need(p, 0x54, "Get DCD Info");
  const sizes: QmpValue[] = [];
  for (let i = 0; i < 8; i++) sizes.push(u64(p, 0x14 + 8 * i));
  return {
    "num-hosts": readNumber(p, 0, 1),
    "num-regions": readNumber(p, 1, 1),
    "add-selection-policies": readNumber(p, 4, 2),
    "removal-policies": readNumber(p, 8, 2),
    "sanitize-on-release": readNumber(p, 0xa, 1),
    "total-dynamic-capacity": u64(p, 0xc),
    "region-block-sizes": sizes,
    ...trailing(p, 0x54),
  };
}

function decodeHostRegionConfig(p: Uint8Array): QmpObject {
  need(p, 4, "the Get Host DC Region Configuration header");
  const n = readNumber(p, 3, 1);
  const end = 4 + n * 0x28 + 16;
  need(p, end, `${n} region records and the extent counts`);
  const regions: QmpValue[] = [];
  for (let i = 0; i < n; i++) {
    const o = 4 + i * 0x28;
    regions.push({
      "base": u64(p, o),
      "decode-length": u64(p, o + 8),
      "region-length": u64(p, o + 0x10),
      "block-size": u64(p, o + 0x18),
      "flags": readNumber(p, o + 0x20, 1),
      "sanitize-on-release": readNumber(p, o + 0x24, 1),
    });
  }
  const o = 4 + n * 0x28;
  return {
    "host-id": readNumber(p, 0, 2),
    "num-regions": readNumber(p, 2, 1),
    "regions-returned": n,
    "regions": regions,
    "extents-supported": readNumber(p, o, 4),
    "extents-available": readNumber(p, o + 4, 4),
    "tags-supported": readNumber(p, o + 8, 4),
    "tags-available": readNumber(p, o + 12, 4),
    ...trailing(p, end),
  };
}

function decodeRegionExtentLists(p: Uint8Array): QmpObject {
  need(p, 0x18, "the Get DC Region Extent Lists header");
  const n = readNumber(p, 8, 4);
  const end = 0x18 + n * 0x28;
  need(p, end, `${n} extents`);
  const extents: QmpValue[] = [];
  for (let i = 0; i < n; i++) extents.push(extentAt(p, 0x18 + i * 0x28));
  return {
    "host-id": readNumber(p, 0, 2),
    "start-index": readNumber(p, 4, 4),
    "returned": n,
    "total": readNumber(p, 0xc, 4),
    "generation": readNumber(p, 0x10, 4),
    "extents": extents,
    ...trailing(p, end),
  };
}

const INITIATE_FIELDS = ["host-id", "region", "length", "tag", "extents", "count"] as const;

function encodeInitiate(r: Fields, policyByte: number): Uint8Array {
  const list = r.fields["extents"] ?? [];
  if (!Array.isArray(list)) throw new FmFieldError(`${r.command}: field 'extents' must be a list`);
  const extents = list.map((item, i) => {
    const where = `${r.command}: extents[${i}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new FmFieldError(`${where} must be an object {"dpa": N, "len": N}`);
    }
    for (const k of Object.keys(item)) {
      if (!["dpa", "len", "tag", "shared-seq"].includes(k)) {
        throw new FmFieldError(
          `${where}: unknown member '${k}'; expected only dpa, len, tag, shared-seq`,
        );
      }
    }
    return {
      dpa: toUint(item["dpa"], 64, `${where}.dpa`),
      len: toUint(item["len"], 64, `${where}.len`),
      tag: r.tag(item["tag"], `${where}.tag`),
      sharedSeq: Number(toUint(item["shared-seq"], 16, `${where}.shared-seq`, 0n)),
    };
  });
  const total = extents.reduce((s, x) => s + x.len, 0n) & ((1n << 64n) - 1n);
  const w = new Writer(0x20 + 0x28 * extents.length);
  w.u16(0, r.num("host-id", 16, 0)).u8(2, policyByte).u8(3, r.num("region", 8, 0));
  w.u64(4, r.uint("length", 64, total));
  w.bytes.set(r.tag(r.fields["tag"], `${r.command}: field 'tag'`), 0xc);
  w.u32(0x1c, r.num("count", 32, extents.length));
  extents.forEach((x, i) => {
    const o = 0x20 + i * 0x28;
    w.u64(o, x.dpa).u64(o + 8, x.len).u16(o + 32, x.sharedSeq);
    w.bytes.set(x.tag, o + 16);
  });
  return w.bytes;
}

function command(
  name: string,
  opcode: number | undefined,
  inputFields: readonly string[],
  encode: (r: Fields) => Uint8Array,
  decode: (p: Uint8Array) => QmpObject,
): FmCommand {
  return { opcode, inputFields, encode: (f) => encode(new Fields(name, f, inputFields)), decode };
}

const EMPTY = new Uint8Array(0);

/** The named FM-API commands (see the module doc). */
export const FM_COMMANDS: Readonly<Record<string, FmCommand>> = {
  "fm-get-dcd-info": command("fm-get-dcd-info", 0x5600, [], () => EMPTY, decoded(decodeDcdInfo)),
  "fm-get-host-dc-region-config": command(
    "fm-get-host-dc-region-config",
    0x5601,
    ["host-id", "region-count", "start-region"],
    (r) =>
      new Writer(4).u16(0, r.num("host-id", 16, 0)).u8(2, r.num("region-count", 8, 8))
        .u8(3, r.num("start-region", 8, 0)).bytes,
    decoded(decodeHostRegionConfig),
  ),
  "fm-set-dc-region-config": command(
    "fm-set-dc-region-config",
    0x5602,
    ["region", "block-size", "flags"],
    (r) =>
      new Writer(16).u8(0, r.num("region", 8)).u64(4, r.uint("block-size", 64))
        .u8(0xc, r.num("flags", 8, 0)).bytes,
    noOutput,
  ),
  "fm-get-dc-region-extent-lists": command(
    "fm-get-dc-region-extent-lists",
    0x5603,
    ["host-id", "count", "start-index"],
    (r) =>
      new Writer(12).u16(0, r.num("host-id", 16, 0)).u32(4, r.num("count", 32, 50))
        .u32(8, r.num("start-index", 32, 0)).bytes,
    decoded(decodeRegionExtentLists),
  ),
  "fm-initiate-dc-add": command(
    "fm-initiate-dc-add",
    0x5604,
    ["selection-policy", ...INITIATE_FIELDS],
    (r) => encodeInitiate(r, r.policy("selection-policy", SELECTION_POLICIES, "prescriptive")),
    noOutput,
  ),
  "fm-initiate-dc-release": command(
    "fm-initiate-dc-release",
    0x5605,
    ["removal-policy", "forced-removal", "sanitize-on-release", ...INITIATE_FIELDS],
    (r) => {
      const policy = r.policy("removal-policy", REMOVAL_POLICIES, "prescriptive");
      if (policy > 0x0f) {
        throw new FmFieldError(
          `${r.command}: field 'removal-policy' is ${policy}; expected 0 to 15 (bits 3:0)`,
        );
      }
      const flags = policy | (r.bool("forced-removal") ? 0x10 : 0) |
        (r.bool("sanitize-on-release") ? 0x20 : 0);
      return encodeInitiate(r, flags);
    },
    noOutput,
  ),
  "fm-raw": command(
    "fm-raw",
    undefined,
    ["opcode", "payload-hex"],
    (r) => {
      const text = r.fields["payload-hex"] ?? "";
      if (typeof text !== "string") {
        throw new FmFieldError("fm-raw: field 'payload-hex' must be a string");
      }
      try {
        return fromHex(text);
      } catch (e) {
        throw new FmFieldError(`fm-raw: field 'payload-hex': ${(e as Error).message}`);
      }
    },
    (p) => ({ "payload-hex": toHex(p) }),
  ),
};

/**
 * Whether a step's command name is an FM-API command (`fm-...`).
 *
 * @example
 * ```ts
 * import { isFmCommand } from "./fm_codec.ts";
 * if (!isFmCommand("fm-initiate-dc-add") || isFmCommand("get-dc-config")) throw new Error();
 * ```
 */
export function isFmCommand(name: string): boolean {
  return name.startsWith("fm-");
}

function lookup(name: string): FmCommand {
  const cmd = Object.hasOwn(FM_COMMANDS, name) ? FM_COMMANDS[name] : undefined;
  if (cmd === undefined) {
    throw new FmFieldError(
      `unknown FM command '${name}'; expected one of ${Object.keys(FM_COMMANDS).join(", ")}`,
    );
  }
  return cmd;
}

/** An encoded FM-API request. */
export interface FmRequest {
  /** 16-bit FM-API opcode. */
  opcode: number;
  /** Input payload. */
  payload: Uint8Array;
  /** Marks the request for the device's FM path rather than its mailbox. */
  fm: true;
}

/**
 * Encodes an FM step's command and fields, applying `payload-length`.
 *
 * @example
 * ```ts
 * import { encodeFmRequest } from "./fm_codec.ts";
 * const r = encodeFmRequest("fm-initiate-dc-add", { extents: [{ dpa: 0, len: 2097152 }] });
 * if (r.opcode !== 0x5604 || r.payload.length !== 0x48 || r.payload[2] !== 2) throw new Error();
 * ```
 */
export function encodeFmRequest(command: string, fields: QmpObject): FmRequest {
  const cmd = lookup(command);
  let payload = cmd.encode(fields);
  const opcode = cmd.opcode ?? Number(toUint(fields["opcode"], 16, "fm-raw: field 'opcode'"));
  if (fields["payload-length"] !== undefined) {
    const length = Number(
      toUint(fields["payload-length"], 16, `${command}: field 'payload-length'`),
    );
    const sized = new Uint8Array(length);
    sized.set(payload.subarray(0, length));
    payload = sized;
  }
  return { opcode, payload, fm: true };
}

/**
 * Decodes the answer of an FM command into a return code name and fields.
 *
 * @example
 * ```ts
 * import { decodeFmReply } from "./fm_codec.ts";
 * const r = decodeFmReply("fm-initiate-dc-add", { rc: 0x1e, payload: new Uint8Array(0) });
 * if (r.rc !== "INVALID_EXTENT_LIST") throw new Error(r.rc);
 * ```
 */
export function decodeFmReply(
  command: string,
  reply: MailboxReply,
): { rc: string; output: QmpObject } {
  return { rc: returnCodeName(reply.rc), output: lookup(command).decode(reply.payload) };
}

/**
 * Sends an encoded step request where it belongs: an FM request through the
 * device's FM path, any other to its mailbox.
 *
 * @throws {Error} for an FM request on a device view without an FM path.
 */
export function sendStepRequest(
  host: HostInterface,
  req: { opcode: number; payload: Uint8Array; fm?: true },
): Promise<MailboxReply> {
  if (req.fm !== true) return host.mailbox(req.opcode, req.payload);
  if (host.fm === undefined) {
    return Promise.reject(
      new Error(
        "this target's device view has no FM path: expected a target that tunnels FM-API " +
          "commands through a switch mailbox CCI (fixtures with FM steps require fm-api-dcd)",
      ),
    );
  }
  return host.fm(req.opcode, req.payload);
}
