/**
 * The FM-API commands as named fields: the one table both the transcripts'
 * `=> DEVICE fm-COMMAND {fields}` steps and the served model's FM-API
 * extension command read. Each command has its name, opcode, request fields
 * (type, default, meaning), reply fields, an example, an encoder (fields to
 * input payload) and a total decoder (output payload to fields). Field names
 * are kebab-case; integers are JSON numbers when safe, else bigints; tags are
 * UUID text; reserved bytes are omitted. Every command also accepts
 * `payload-length` (the encoded input is cut or zero-padded to exactly that
 * many bytes).
 *
 * Where a command goes ({@linkcode FmCommand.route}): `tunnel` commands are
 * FM-API commands of the type-3 device, carried through the 0x5300 tunnel
 * of the switch mailbox CCI above it; `switch-cci` commands go to that
 * switch CCI itself (for the tunnel's own refusals and the switch's
 * commands).
 *
 * Decoding never throws: an empty payload is `{}`, bytes beyond the
 * structure are `trailing-hex`, and a payload too short for what it
 * announces is `{"payload-hex": ..., "decode-error": ...}`.
 *
 * @module
 */

import { fromHex, toHex } from "../hex.ts";
import type { QmpObject, QmpValue } from "../qmp_value.ts";
import { formatUuid, tryParseUuid } from "../uuid.ts";
import { PayloadWriter } from "./bytes.ts";
import {
  encodeTableRequest,
  noOutput,
  type TableCommand,
  tableCommand,
  type TableCommandSpec,
  TableFieldReader,
  totalDecoder,
  toUint as sharedToUint,
} from "./field_codec.ts";

/** FM-step input fields are invalid; the message says which and what was expected. */
export class FmFieldError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "FmFieldError";
  }
}

/** The type of an FM field, as the host command reference names it. */
export type FmFieldType = "u8" | "u16" | "u32" | "u64" | "boolean" | "uuid" | "hex" | "list";

/** One field of an FM command's request or reply. */
export interface FmField {
  /** Field name (kebab-case). */
  readonly name: string;
  /** Its type. */
  readonly type: FmFieldType;
  /** Scalar type of the elements of a `list` whose elements are not objects. */
  readonly element?: FmFieldType;
  /** Request fields: the value used when the field is absent (read by the encoder). */
  readonly default?: QmpValue;
  /** Request fields: what is used when the field is absent, when that is not one value. */
  readonly defaultText?: string;
  /** What the field means. */
  readonly doc: string;
  /** Members of the elements of a `list`. */
  readonly fields?: readonly FmField[];
}

/** Where an FM command goes: the device's FM-API (through the tunnel), or the switch CCI. */
export type FmRoute = "tunnel" | "switch-cci";

/** One named FM command (encoding throws {@linkcode FmFieldError}). */
export interface FmCommand extends TableCommand<FmField> {
  /** Where the command goes. */
  readonly route: FmRoute;
}

const SELECTION_POLICIES = ["free", "contiguous", "prescriptive", "enable-shared-access"];
const REMOVAL_POLICIES = ["tag-based", "prescriptive"];
const NIL_TAG = "00000000-0000-0000-0000-000000000000";
const BITS: Partial<Record<FmFieldType, number>> = { u8: 8, u16: 16, u32: 32, u64: 64 };

function toUint(value: QmpValue | undefined, bits: number, where: string): bigint {
  return sharedToUint(value, bits, where, FmFieldError);
}

function uuidOf(value: QmpValue | undefined, where: string): Uint8Array {
  const v = value ?? NIL_TAG;
  const bytes = typeof v === "string" ? tryParseUuid(v) : undefined;
  if (bytes === undefined) {
    throw new FmFieldError(
      `${where} is ${JSON.stringify(v)}; expected UUID text (8-4-4-4-12 hex digits)`,
    );
  }
  return bytes;
}

/** Reads one command's input fields with the widths and defaults of its table. */
class Fields extends TableFieldReader<FmField> {
  /** The width of an integer field's table type. */
  bits(name: string): number {
    return BITS[this.field(name).type] ?? 64;
  }

  uint(name: string): bigint {
    return toUint(this.value(name), this.bits(name), `${this.command}: field '${name}'`);
  }

  bool(name: string): boolean {
    const v = this.value(name);
    if (typeof v !== "boolean") {
      throw new FmFieldError(
        `${this.command}: field '${name}' is ${JSON.stringify(v)}; expected true or false`,
      );
    }
    return v;
  }

  policy(name: string, names: readonly string[]): number {
    const v = this.value(name);
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
    return Number(toUint(v, 8, `${this.command}: field '${name}'`));
  }

  uuid(name: string): Uint8Array {
    return uuidOf(this.value(name), `${this.command}: field '${name}'`);
  }

  hex(name: string): Uint8Array {
    const v = this.value(name);
    if (typeof v !== "string") {
      throw new FmFieldError(`${this.command}: field '${name}' must be a hex string`);
    }
    try {
      return fromHex(v);
    } catch (e) {
      throw new FmFieldError(`${this.command}: field '${name}': ${(e as Error).message}`);
    }
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
  return totalDecoder(decode, Short);
}

function view(p: Uint8Array): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}

const u8 = (p: Uint8Array, o: number): number => p[o]!;
const u16 = (p: Uint8Array, o: number): number => view(p).getUint16(o, true);
const u32 = (p: Uint8Array, o: number): number => view(p).getUint32(o, true);
function u64(p: Uint8Array, o: number): number | bigint {
  const v = view(p).getBigUint64(o, true);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function extentAt(p: Uint8Array, o: number): QmpObject {
  return {
    "dpa": u64(p, o),
    "len": u64(p, o + 8),
    "tag": formatUuid(p.slice(o + 16, o + 32)),
    "shared-seq": u16(p, o + 32),
  };
}

function decodeDcdInfo(p: Uint8Array): QmpObject {
  need(p, 0x54, "Get DCD Info");
  const sizes: QmpValue[] = [];
  for (let i = 0; i < 8; i++) sizes.push(u64(p, 0x14 + 8 * i));
  return {
    "num-hosts": u8(p, 0),
    "num-regions": u8(p, 1),
    "add-selection-policies": u16(p, 4),
    "removal-policies": u16(p, 8),
    "sanitize-on-release": u8(p, 0xa),
    "total-dynamic-capacity": u64(p, 0xc),
    "region-block-sizes": sizes,
    ...trailing(p, 0x54),
  };
}

function decodeHostRegionConfig(p: Uint8Array): QmpObject {
  need(p, 4, "the Get Host DC Region Configuration header");
  const n = u8(p, 3);
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
      "flags": u8(p, o + 0x20),
      "sanitize-on-release": u8(p, o + 0x24),
    });
  }
  const o = 4 + n * 0x28;
  return {
    "host-id": u16(p, 0),
    "num-regions": u8(p, 2),
    "regions-returned": n,
    "regions": regions,
    "extents-supported": u32(p, o),
    "extents-available": u32(p, o + 4),
    "tags-supported": u32(p, o + 8),
    "tags-available": u32(p, o + 12),
    ...trailing(p, end),
  };
}

function decodeRegionExtentLists(p: Uint8Array): QmpObject {
  need(p, 0x18, "the Get DC Region Extent Lists header");
  const n = u32(p, 8);
  const end = 0x18 + n * 0x28;
  need(p, end, `${n} extents`);
  const extents: QmpValue[] = [];
  for (let i = 0; i < n; i++) extents.push(extentAt(p, 0x18 + i * 0x28));
  return {
    "host-id": u16(p, 0),
    "start-index": u32(p, 4),
    "returned": n,
    "total": u32(p, 0xc),
    "generation": u32(p, 0x10),
    "extents": extents,
    ...trailing(p, end),
  };
}

function encodeInitiate(r: Fields, policyByte: number): Uint8Array {
  // Every element is checked to be an extent object before any member is read.
  const items = r.objects("extents", '{"dpa": N, "len": N}', ", ", (item) => item);
  const extents = items.map((item, i) => {
    const where = `${r.command}: extents[${i}]`;
    return {
      dpa: toUint(item["dpa"], 64, `${where}.dpa`),
      len: toUint(item["len"], 64, `${where}.len`),
      tag: uuidOf(item["tag"], `${where}.tag`),
      sharedSeq: Number(toUint(item["shared-seq"] ?? 0, 16, `${where}.shared-seq`)),
    };
  });
  const total = extents.reduce((s, x) => s + x.len, 0n) & ((1n << 64n) - 1n);
  const w = new PayloadWriter(0x20 + 0x28 * extents.length);
  w.u16(0, r.num("host-id")).u8(2, policyByte).u8(3, r.num("region"));
  w.u64(4, r.has("length") ? r.uint("length") : total).copy(0xc, r.uuid("tag"));
  w.u32(0x1c, r.has("count") ? r.num("count") : extents.length);
  extents.forEach((x, i) => {
    const o = 0x20 + i * 0x28;
    w.u64(o, x.dpa).u64(o + 8, x.len).copy(o + 16, x.tag).u16(o + 32, x.sharedSeq);
  });
  return w.bytes;
}

interface CommandSpec extends TableCommandSpec<FmField, Fields> {
  route?: FmRoute;
}

function command(name: string, spec: CommandSpec): FmCommand {
  const cmd = tableCommand(
    name,
    spec,
    (fields) => new Fields(name, fields, spec.input, FmFieldError),
  );
  return { ...cmd, route: spec.route ?? "tunnel" };
}

/** The commands of a table of specs, each named by its key. */
function commands(specs: Readonly<Record<string, CommandSpec>>): Record<string, FmCommand> {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, command(name, spec)]),
  );
}

/**
 * The encoder of a fixed-size request of integer fields: each field of
 * `offsets` (in that order) at its offset, as wide as its table type.
 */
function fixedRequest(
  size: number,
  offsets: Readonly<Record<string, number>>,
): (r: Fields) => Uint8Array {
  return (r) => {
    const w = new PayloadWriter(size);
    for (const [name, at] of Object.entries(offsets)) {
      const v = r.uint(name);
      const bits = r.bits(name);
      if (bits === 64) w.u64(at, v);
      else if (bits === 32) w.u32(at, Number(v));
      else if (bits === 16) w.u16(at, Number(v));
      else w.u8(at, Number(v));
    }
    return w.bytes;
  };
}

const EMPTY = new Uint8Array(0);

function field(
  name: string,
  type: FmFieldType,
  doc: string,
  more: Partial<FmField> = {},
): FmField {
  return { name, type, doc, ...more };
}

const EXTENT_MEMBERS: readonly FmField[] = [
  field("dpa", "u64", "the extent's start, an absolute DPA"),
  field("len", "u64", "its length in bytes"),
  field("tag", "uuid", "its tag", { default: NIL_TAG }),
  field("shared-seq", "u16", "its shared-extent sequence number", { default: 0 }),
];

const INITIATE_INPUT: readonly FmField[] = [
  field("host-id", "u16", "the host (not checked by QEMU)", { default: 0 }),
  field("region", "u8", "the region number (not checked by QEMU)", { default: 0 }),
  field("length", "u64", "the length of the request (not checked by QEMU)", {
    defaultText: "the sum of the extents' lengths",
  }),
  field("tag", "uuid", "the request's tag (QEMU uses each extent's own)", { default: NIL_TAG }),
  field("extents", "list", "the extents", { default: [], fields: EXTENT_MEMBERS }),
  field("count", "u32", "the extent count written at 0x1C", {
    defaultText: "the number of extents given",
  }),
];

const RAW_INPUT: readonly FmField[] = [
  field("opcode", "u16", "the opcode"),
  field("payload-hex", "hex", "the input payload as hex", { default: "" }),
];
const RAW_OUTPUT: readonly FmField[] = [field("payload-hex", "hex", "the output payload as hex")];

/** What the raw commands share: the opcode and the payload are given, the answer is bytes. */
const RAW: Omit<CommandSpec, "title" | "example"> = {
  opcode: undefined,
  input: RAW_INPUT,
  output: RAW_OUTPUT,
  encode: (r) => r.hex("payload-hex"),
  decode: (p) => ({ "payload-hex": toHex(p) }),
};

/** The named FM commands (see the module doc). */
export const FM_COMMANDS: Readonly<Record<string, FmCommand>> = commands({
  "fm-get-dcd-info": {
    title: "Get DCD Info",
    opcode: 0x5600,
    input: [],
    output: [
      field("num-hosts", "u8", "hosts the device supports"),
      field("num-regions", "u8", "its DC regions"),
      field("add-selection-policies", "u16", "supported add selection policies (bit per policy)"),
      field("removal-policies", "u16", "supported removal policies (bit per policy)"),
      field("sanitize-on-release", "u8", "sanitize-on-release support per region (bitmask)"),
      field("total-dynamic-capacity", "u64", "total DC capacity, in 256 MiB units"),
      field("region-block-sizes", "list", "supported block sizes per region slot (8 bitmasks)", {
        element: "u64",
      }),
    ],
    example: {},
    encode: () => EMPTY,
    decode: decoded(decodeDcdInfo),
  },
  "fm-get-host-dc-region-config": {
    title: "Get Host DC Region Configuration",
    opcode: 0x5601,
    input: [
      field("host-id", "u16", "the host (not checked by QEMU)", { default: 0 }),
      field("region-count", "u8", "regions to return at most", { default: 8 }),
      field("start-region", "u8", "the first region to return", { default: 0 }),
    ],
    output: [
      field("host-id", "u16", "the host"),
      field("num-regions", "u8", "the device's DC regions"),
      field("regions-returned", "u8", "region records that follow"),
      field("regions", "list", "the region records", {
        fields: [
          field("base", "u64", "the region's base DPA"),
          field("decode-length", "u64", "its decode length, in 256 MiB units"),
          field("region-length", "u64", "its length in bytes"),
          field("block-size", "u64", "its block size"),
          field("flags", "u8", "its DSMAS flags"),
          field("sanitize-on-release", "u8", "whether it sanitizes on release"),
        ],
      }),
      field("extents-supported", "u32", "extents the device can hold"),
      field("extents-available", "u32", "extents it can still take"),
      field("tags-supported", "u32", "tags it can hold"),
      field("tags-available", "u32", "tags it can still take"),
    ],
    example: { "region-count": 2 },
    encode: fixedRequest(4, { "host-id": 0, "region-count": 2, "start-region": 3 }),
    decode: decoded(decodeHostRegionConfig),
  },
  "fm-set-dc-region-config": {
    title: "Set DC Region Configuration",
    opcode: 0x5602,
    input: [
      field("region", "u8", "the region id"),
      field("block-size", "u64", "the new block size"),
      field("flags", "u8", "bit 0: sanitize on release", { default: 0 }),
    ],
    output: [],
    example: { "region": 0, "block-size": 2097152 },
    encode: fixedRequest(16, { "region": 0, "block-size": 4, "flags": 0xc }),
    decode: noOutput,
  },
  "fm-get-dc-region-extent-lists": {
    title: "Get DC Region Extent Lists",
    opcode: 0x5603,
    input: [
      field("host-id", "u16", "the host", { default: 0 }),
      field("count", "u32", "extents to return at most", { default: 50 }),
      field("start-index", "u32", "the first extent to return", { default: 0 }),
    ],
    output: [
      field("host-id", "u16", "the host"),
      field("start-index", "u32", "the first extent returned"),
      field("returned", "u32", "extents that follow"),
      field("total", "u32", "accepted extents in all"),
      field("generation", "u32", "the extent list's generation number"),
      field("extents", "list", "the extents", { fields: EXTENT_MEMBERS.slice(0) }),
    ],
    example: { "count": 8 },
    encode: fixedRequest(12, { "host-id": 0, "count": 4, "start-index": 8 }),
    decode: decoded(decodeRegionExtentLists),
  },
  "fm-initiate-dc-add": {
    title: "Initiate Dynamic Capacity Add",
    opcode: 0x5604,
    input: [
      field(
        "selection-policy",
        "u8",
        "`free`, `contiguous`, `prescriptive` or `enable-shared-access` (or a number); " +
          "QEMU takes only prescriptive",
        { default: "prescriptive" },
      ),
      ...INITIATE_INPUT,
    ],
    output: [],
    example: { "extents": [{ "dpa": 0, "len": 2097152 }] },
    encode: (r) => encodeInitiate(r, r.policy("selection-policy", SELECTION_POLICIES)),
    decode: noOutput,
  },
  "fm-initiate-dc-release": {
    title: "Initiate Dynamic Capacity Release",
    opcode: 0x5605,
    input: [
      field(
        "removal-policy",
        "u8",
        "bits 3:0, `tag-based` or `prescriptive` (or a number); QEMU takes only prescriptive",
        { default: "prescriptive" },
      ),
      field("forced-removal", "boolean", "bit 4: release even what the host may be using", {
        default: false,
      }),
      field("sanitize-on-release", "boolean", "bit 5: sanitize what is released", {
        default: false,
      }),
      ...INITIATE_INPUT,
    ],
    output: [],
    example: { "extents": [{ "dpa": 0, "len": 2097152 }] },
    encode: (r) => {
      const policy = r.policy("removal-policy", REMOVAL_POLICIES);
      if (policy > 0x0f) {
        throw new FmFieldError(
          `${r.command}: field 'removal-policy' is ${policy}; expected 0 to 15 (bits 3:0)`,
        );
      }
      const flags = policy | (r.bool("forced-removal") ? 0x10 : 0) |
        (r.bool("sanitize-on-release") ? 0x20 : 0);
      return encodeInitiate(r, flags);
    },
    decode: noOutput,
  },
  "fm-raw": {
    title: "any FM-API opcode of the device, tunnelled; payload as bytes",
    ...RAW,
    example: { "opcode": 0x5600, "payload-hex": "" },
  },
  "fm-switch-cci-raw": {
    title: "any opcode of the switch mailbox CCI above the device (0x5300 Tunnel Management " +
      "Command included, envelope as bytes); payload as bytes",
    ...RAW,
    route: "switch-cci",
    example: { "opcode": 0x5100, "payload-hex": "" },
  },
});

/**
 * Whether a command name is an FM command (`fm-...`).
 *
 * @example
 * ```ts
 * import { isFmCommand } from "@cxl-dcd/conformance/model";
 * if (!isFmCommand("fm-initiate-dc-add") || isFmCommand("get-dc-config")) throw new Error();
 * ```
 */
export function isFmCommand(name: string): boolean {
  return name.startsWith("fm-");
}

/**
 * The FM command of a name.
 *
 * @throws {FmFieldError} for a name that is no FM command.
 */
export function fmCommand(name: string): FmCommand {
  const cmd = Object.hasOwn(FM_COMMANDS, name) ? FM_COMMANDS[name] : undefined;
  if (cmd === undefined) {
    throw new FmFieldError(
      `unknown FM command '${name}'; expected one of ${Object.keys(FM_COMMANDS).join(", ")}`,
    );
  }
  return cmd;
}

/** An encoded FM request. */
export interface FmRequest {
  /** 16-bit opcode. */
  opcode: number;
  /** Input payload. */
  payload: Uint8Array;
  /** Marks the request for the device's FM path (the tunnel) rather than its mailbox. */
  fm: true;
  /** Set when the request goes to the switch CCI itself rather than through its tunnel. */
  switchCci?: true;
}

/**
 * Encodes an FM command's fields, applying `payload-length`.
 *
 * @example
 * ```ts
 * import { encodeFmRequest } from "@cxl-dcd/conformance/model";
 * const r = encodeFmRequest("fm-initiate-dc-add", { extents: [{ dpa: 0, len: 2097152 }] });
 * if (r.opcode !== 0x5604 || r.payload.length !== 0x48 || r.payload[2] !== 2) throw new Error();
 * ```
 *
 * @throws {FmFieldError} for an unknown command or invalid fields.
 */
export function encodeFmRequest(command: string, fields: QmpObject): FmRequest {
  const cmd = fmCommand(command);
  const { opcode, payload } = encodeTableRequest(cmd, command, fields, FmFieldError);
  return cmd.route === "switch-cci"
    ? { opcode, payload, fm: true, switchCci: true }
    : { opcode, payload, fm: true };
}

/**
 * Decodes an FM command's output payload to fields (total; never throws for
 * a known command).
 *
 * @example
 * ```ts
 * import { decodeFmOutput } from "@cxl-dcd/conformance/model";
 * const out = decodeFmOutput("fm-get-dcd-info", new Uint8Array(3));
 * if (out["payload-hex"] !== "000000") throw new Error();
 * ```
 *
 * @throws {FmFieldError} for an unknown command.
 */
export function decodeFmOutput(command: string, payload: Uint8Array): QmpObject {
  return fmCommand(command).decode(payload);
}
