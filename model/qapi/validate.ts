/**
 * QAPI argument validation with the messages and order of QEMU's QObject
 * input visitor: members are visited in declaration order, the first problem
 * wins, nested members are named `extents[0].offset`, and unexpected members
 * of a struct are reported after all its declared members were visited.
 *
 * Integers follow QEMU's JSON number model: a value that fits int64 or uint64
 * is an integer (a negative integer given for an unsigned member wraps modulo
 * 2^64), anything else (a fraction, a huge number) is a float, and so is
 * a number written as a float (`2097152.0`, `2e6`: QEMU's QNum keeps it a
 * double; the parser marks it, see `json_float.ts`).
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../qmp_value.ts";
import { isFloatMember } from "./json_float.ts";
import { firstRemainingKey } from "./key_order.ts";
import type { MemberDef, QapiSchema, StructDef, TypeDef, UnionDef } from "./types.ts";

/** A validation failure; `desc` is QEMU's GenericError text. */
export class QapiError extends Error {
  /** QEMU's error description. */
  readonly desc: string;
  /**
   * Creates the error.
   *
   * @param desc QEMU's error description.
   */
  constructor(desc: string) {
    super(desc);
    this.name = "QapiError";
    this.desc = desc;
  }
}

const TWO_64 = 1n << 64n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = TWO_64 - 1n;

const SIGNED: Readonly<Record<string, [bigint, bigint, string]>> = {
  int8: [-128n, 127n, "int8_t"],
  int16: [-32768n, 32767n, "int16_t"],
  int32: [-(1n << 31n), (1n << 31n) - 1n, "int32_t"],
};
const UNSIGNED: Readonly<Record<string, [bigint, string]>> = {
  uint8: [255n, "uint8_t"],
  uint16: [65535n, "uint16_t"],
  uint32: [(1n << 32n) - 1n, "uint32_t"],
};

/** The integer a JSON number stands for in QEMU, or undefined for a float. */
function asInteger(v: QmpValue, float: boolean): bigint | undefined {
  if (float) return undefined;
  if (typeof v === "bigint") return v >= I64_MIN && v <= U64_MAX ? v : undefined;
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  return undefined;
}

function isObject(v: QmpValue): v is QmpObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Own enumerable keys of an object. `Object.keys` copies V8's cached key
 * list, which measured faster than counting with `for...in` and `hasOwn`.
 */
function ownKeyCount(o: QmpObject): number {
  return Object.keys(o).length;
}

/**
 * A member's full name (`extents[0].offset`) from its container's prefix
 * and its key: built only when an error or a nested container needs it.
 */
function memberName(prefix: string, key: string | number): string {
  return typeof key === "number" ? `${prefix}[${key}]` : prefix + key;
}

const K_ARRAY = 0, K_ANY = 1, K_STR = 2, K_BOOL = 3, K_NUMBER = 4, K_NULL = 5;
const K_INT64 = 6, K_UINT64 = 7, K_SIGNED = 8, K_UNSIGNED = 9, K_ENUM = 10, K_OBJECT = 11;

/** How one type name is visited (see `Validator.#kind`). */
type BuiltinTag =
  | typeof K_ANY
  | typeof K_STR
  | typeof K_BOOL
  | typeof K_NUMBER
  | typeof K_NULL
  | typeof K_INT64
  | typeof K_UINT64;
type Kind =
  | { tag: typeof K_ARRAY; elem: string }
  | { tag: BuiltinTag }
  | { tag: typeof K_SIGNED; min: bigint; max: bigint; minN: number; maxN: number; c: string }
  | { tag: typeof K_UNSIGNED; max: bigint; maxN: number; c: string }
  | { tag: typeof K_ENUM; values: ReadonlySet<string> }
  | { tag: typeof K_OBJECT; def: TypeDef };

const BUILTIN_KINDS: Readonly<Record<string, BuiltinTag>> = {
  any: K_ANY,
  str: K_STR,
  bool: K_BOOL,
  number: K_NUMBER,
  null: K_NULL,
  int: K_INT64,
  int64: K_INT64,
  uint64: K_UINT64,
  size: K_UINT64,
};

/**
 * Validates QMP arguments against a schema, the way QEMU's input visitor does.
 * The result is the argument object with integers normalised: members of the
 * 64-bit and `size` types become `bigint`, smaller integer types `number`.
 */
export class Validator {
  readonly #schema: QapiSchema;
  readonly #kinds = new Map<string, Kind>();

  /**
   * Creates a validator for one schema.
   *
   * @param schema The schema whose types are referenced.
   */
  constructor(schema: QapiSchema) {
    this.#schema = schema;
  }

  /**
   * Validates a command's `arguments` (undefined when absent) against its
   * argument type (undefined for a command without arguments).
   *
   * @example
   * ```ts
   * import { Validator } from "@cxl-dcd/conformance/model";
   * import { buildSchema } from "@cxl-dcd/conformance/model";
   * import { QEMU_10_0 } from "@cxl-dcd/conformance/model";
   * const v = new Validator(buildSchema(QEMU_10_0));
   * try {
   *   v.validateArguments("cxl-add-dynamic-capacity:args", {});
   * } catch (e) {
   *   if ((e as Error).message !== "Parameter 'path' is missing") throw e;
   * }
   * ```
   *
   * @throws {QapiError} with QEMU's message on the first problem.
   */
  validateArguments(argType: string | undefined, args: QmpObject | undefined): QmpObject {
    const input = args ?? {};
    if (argType === undefined) {
      const extra = firstRemainingKey(Object.keys(input), new Set());
      if (extra !== undefined) throw new QapiError(`Parameter '${extra}' is unexpected`);
      return {};
    }
    return this.#visitObject(this.#named(argType), input, "");
  }

  #named(name: string): TypeDef {
    const t = this.#schema.types.get(name);
    if (t === undefined) throw new Error(`schema bug: type '${name}' is not defined`);
    return t;
  }

  /** Visits a struct or union whose value is already known to be an object. */
  #visitObject(t: TypeDef, input: QmpObject, prefix: string): QmpObject {
    if (t.kind === "enum") throw new Error(`schema bug: enum '${t.name}' used as arguments`);
    const out: QmpObject = {};
    let consumed = this.#visitMembers(t.members, input, prefix, out);
    const variant = t.kind === "union" ? this.#variant(t, out) : undefined;
    if (variant !== undefined) consumed += this.#visitMembers(variant.members, input, prefix, out);
    // Every key consumed (the usual case) needs no key list; otherwise QEMU's order decides.
    if (consumed !== ownKeyCount(input)) {
      const names = new Set<string>();
      for (const m of t.members) if (Object.hasOwn(input, m.name)) names.add(m.name);
      for (const m of variant?.members ?? []) if (Object.hasOwn(input, m.name)) names.add(m.name);
      const extra = firstRemainingKey(Object.keys(input), names);
      if (extra !== undefined) {
        throw new QapiError(`Parameter '${prefix}${extra}' is unexpected`);
      }
    }
    return out;
  }

  /** The variant struct a union's visited discriminator selects, if any. */
  #variant(t: UnionDef, out: QmpObject): StructDef | undefined {
    const tag = out[t.discriminator];
    if (typeof tag !== "string") return undefined;
    const variant = t.variants[tag];
    if (variant === undefined) return undefined;
    return this.#named(variant) as StructDef;
  }

  /** Visits declared members in order; returns how many were present. */
  #visitMembers(
    members: readonly MemberDef[],
    input: QmpObject,
    prefix: string,
    out: QmpObject,
  ): number {
    let present = 0;
    for (const m of members) {
      if (!Object.hasOwn(input, m.name)) {
        if (m.optional) continue;
        throw new QapiError(`Parameter '${prefix}${m.name}' is missing`);
      }
      present++;
      const v = input[m.name] as QmpValue;
      out[m.name] = this.#visit(
        m.type,
        v,
        prefix,
        m.name,
        typeof v === "number" && isFloatMember(input, m.name),
      );
    }
    return present;
  }

  /**
   * Visits one value, named `key` in a container whose members are named
   * `prefix...` (see {@linkcode memberName}); `float`: it was written as a
   * float (never an integer).
   */
  #visit(
    type: string,
    v: QmpValue,
    prefix: string,
    key: string | number,
    float: boolean,
  ): QmpValue {
    const kind = this.#kind(type);
    switch (kind.tag) {
      case K_ARRAY: {
        const name = memberName(prefix, key);
        if (!Array.isArray(v)) throw invalidType(name, "array");
        const elem = kind.elem;
        const out: QmpValue[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const e = v[i] as QmpValue;
          out[i] = this.#visit(elem, e, name, i, typeof e === "number" && isFloatMember(v, i));
        }
        return out;
      }
      case K_ANY:
        return v;
      case K_STR:
        if (typeof v !== "string") throw invalidType(memberName(prefix, key), "string");
        return v;
      case K_BOOL:
        if (typeof v !== "boolean") throw invalidType(memberName(prefix, key), "boolean");
        return v;
      case K_NUMBER:
        if (typeof v !== "number" && typeof v !== "bigint") {
          throw invalidType(memberName(prefix, key), "number");
        }
        return v;
      case K_NULL:
        if (v !== null) throw invalidType(memberName(prefix, key), "null");
        return v;
      case K_INT64: {
        const n = asInteger(v, float);
        if (n === undefined || n > I64_MAX) throw invalidType(memberName(prefix, key), "integer");
        return n;
      }
      case K_UINT64:
        return this.#uint64(v, prefix, key, float);
      case K_SIGNED: {
        if (typeof v === "number" && !float && Number.isSafeInteger(v)) {
          if (v < kind.minN || v > kind.maxN) {
            throw new QapiError(`Parameter '${memberName(prefix, key)}' expects ${kind.c}`);
          }
          return v === 0 ? 0 : v; // -0 reads as 0, as through a bigint
        }
        const n = asInteger(v, float);
        if (n === undefined || n > I64_MAX) throw invalidType(memberName(prefix, key), "integer");
        if (n < kind.min || n > kind.max) {
          throw new QapiError(`Parameter '${memberName(prefix, key)}' expects ${kind.c}`);
        }
        return Number(n);
      }
      case K_UNSIGNED: {
        if (typeof v === "number" && !float && Number.isSafeInteger(v) && v >= 0) {
          if (v > kind.maxN) {
            throw new QapiError(`Parameter '${memberName(prefix, key)}' expects ${kind.c}`);
          }
          return v === 0 ? 0 : v;
        }
        const n = this.#uint64(v, prefix, key, float);
        if (n > kind.max) {
          throw new QapiError(`Parameter '${memberName(prefix, key)}' expects ${kind.c}`);
        }
        return Number(n);
      }
      case K_ENUM:
        if (typeof v !== "string") throw invalidType(memberName(prefix, key), "string");
        if (!kind.values.has(v)) {
          throw new QapiError(
            `Parameter '${memberName(prefix, key)}' does not accept value '${v}'`,
          );
        }
        return v;
      case K_OBJECT:
        if (!isObject(v)) throw invalidType(memberName(prefix, key), "object");
        return this.#visitObject(kind.def, v, `${memberName(prefix, key)}.`);
    }
  }

  /** How a type name is visited, decided once per name (builtins, then sized integers, then the schema). */
  #kind(type: string): Kind {
    let kind = this.#kinds.get(type);
    if (kind !== undefined) return kind;
    const builtin = BUILTIN_KINDS[type];
    const signed = SIGNED[type];
    const unsigned = UNSIGNED[type];
    if (type.charCodeAt(0) === 0x5b /* [ */) kind = { tag: K_ARRAY, elem: type.slice(1, -1) };
    else if (builtin !== undefined) kind = { tag: builtin };
    else if (signed !== undefined) {
      kind = {
        tag: K_SIGNED,
        min: signed[0],
        max: signed[1],
        minN: Number(signed[0]),
        maxN: Number(signed[1]),
        c: signed[2],
      };
    } else if (unsigned !== undefined) {
      kind = { tag: K_UNSIGNED, max: unsigned[0], maxN: Number(unsigned[0]), c: unsigned[1] };
    } else {
      const t = this.#named(type);
      kind = t.kind === "enum"
        ? { tag: K_ENUM, values: new Set(t.values) }
        : { tag: K_OBJECT, def: t };
    }
    kind = sameShape(kind);
    this.#kinds.set(type, kind);
    return kind;
  }

  #uint64(v: QmpValue, prefix: string, key: string | number, float: boolean): bigint {
    const n = asInteger(v, float);
    if (n === undefined) {
      throw new QapiError(`Parameter '${memberName(prefix, key)}' expects uint64`);
    }
    return n < 0n ? n + TWO_64 : n;
  }
}

/**
 * A kind with every variant's fields (unused ones undefined), in one order:
 * all kinds then share one object shape, so reading `tag` and the fields
 * in {@linkcode Validator} stays monomorphic.
 */
function sameShape(k: Kind): Kind {
  return Object.assign({
    tag: k.tag,
    elem: undefined,
    min: undefined,
    max: undefined,
    minN: undefined,
    maxN: undefined,
    c: undefined,
    values: undefined,
    def: undefined,
  }, k);
}

function invalidType(name: string, expected: string): QapiError {
  return new QapiError(`Invalid parameter type for '${name}', expected: ${expected}`);
}

/** Converts a validated integer member to a number (for small fields). */
export function toNumber(v: QmpValue | undefined): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error(`expected a validated integer, got ${typeof v}`);
}

/** Converts a validated integer member to a bigint (for 64-bit fields). */
export function toBigInt(v: QmpValue | undefined): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(v);
  throw new Error(`expected a validated integer, got ${typeof v}`);
}
