/**
 * What the two named-field codecs of transcripts share: the host mailbox
 * commands (`conformance/host/codec.ts`) and the FM commands
 * (`fm_codec.ts`). Both keep a table of commands whose request fields are
 * read by name with the widths and defaults of the table, both accept
 * `payload-length` on every command, and both decode totally (an empty
 * payload is `{}`, a payload too short for what it announces is
 * `{"payload-hex": ..., "decode-error": ...}`, bytes after the structure
 * are `trailing-hex`).
 *
 * Each codec throws its own error class for invalid fields; the helpers
 * take it as a parameter, so the messages and classes stay the codec's.
 *
 * @module
 */

import { toHex } from "../hex.ts";
import type { QmpObject, QmpValue } from "../qmp_value.ts";

/** The class of error a codec throws for invalid input fields. */
export type FieldErrorClass = new (message: string) => Error;

/** What the shared reader needs of a table's field. */
export interface TableFieldSpec {
  /** Field name (kebab-case). */
  readonly name: string;
  /** The value used when the field is absent. */
  readonly default?: QmpValue;
  /** Members of the elements of a `list`. */
  readonly fields?: readonly { readonly name: string }[];
}

/**
 * An unsigned `bits`-bit integer field: `value` as a bigint, or `fallback`
 * when it is absent and a fallback is given.
 *
 * @example
 * ```ts
 * import { toUint } from "./field_codec.ts";
 * if (toUint(7, 8, "x", RangeError) !== 7n) throw new Error();
 * if (toUint(undefined, 8, "x", RangeError, 3) !== 3n) throw new Error();
 * try {
 *   toUint(256, 8, "x", RangeError);
 *   throw new Error("accepted 256 as a u8");
 * } catch (e) {
 *   if (!(e instanceof RangeError)) throw e;
 * }
 * ```
 *
 * @throws {Error} an `error` naming `where` when the value is missing, not an integer or out of range.
 */
export function toUint(
  value: QmpValue | undefined,
  bits: number,
  where: string,
  error: FieldErrorClass,
  fallback?: number,
): bigint {
  if (value === undefined) {
    if (fallback !== undefined) return BigInt(fallback);
    throw new error(`${where} is missing; expected an unsigned ${bits}-bit integer`);
  }
  let v: bigint;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isInteger(value)) v = BigInt(value);
  else {
    throw new error(
      `${where} is ${JSON.stringify(value)}; expected an unsigned ${bits}-bit integer`,
    );
  }
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new error(`${where} is ${v}; expected an unsigned ${bits}-bit integer`);
  }
  return v;
}

/**
 * Reads and validates the input fields of one command with its table: the
 * parts both codecs read alike. A codec extends it with the readers of its
 * own field types and its reading of integers.
 */
export abstract class TableFieldReader<F extends TableFieldSpec> {
  /** The command's name, as messages name it. */
  readonly command: string;
  /** The error class of the codec. */
  protected readonly error: FieldErrorClass;
  readonly #fields: QmpObject;
  readonly #spec: ReadonlyMap<string, F>;

  /**
   * Takes a command's input fields.
   *
   * @throws {Error} an `error` for a field the table does not have (besides `payload-length`).
   */
  constructor(command: string, fields: QmpObject, spec: readonly F[], error: FieldErrorClass) {
    this.command = command;
    this.error = error;
    this.#fields = fields;
    this.#spec = new Map(spec.map((f) => [f.name, f]));
    for (const key of Object.keys(fields)) {
      if (key !== "payload-length" && !this.#spec.has(key)) {
        const allowed = [...this.#spec.keys()];
        throw new error(
          `${command}: unknown field '${key}'; expected ${
            allowed.length === 0 ? "no fields" : `only ${allowed.join(", ")}`
          } (and payload-length)`,
        );
      }
    }
  }

  /** The table's row of a field; a field the table lacks is a codec bug (`TypeError`). */
  protected field(name: string): F {
    const f = this.#spec.get(name);
    if (f === undefined) throw new TypeError(`${this.command}: '${name}' is not in its table`);
    return f;
  }

  /** The value given for a field, as given. */
  raw(name: string): QmpValue | undefined {
    return this.#fields[name];
  }

  /** The value given for a field, else (absent or null) the table's default. */
  protected value(name: string): QmpValue | undefined {
    return this.#fields[name] ?? this.field(name).default;
  }

  /** Whether the field is given (a `null` counts as given). */
  has(name: string): boolean {
    return this.#fields[name] !== undefined;
  }

  /** An unsigned integer field, with the width of its table type. */
  abstract uint(name: string): bigint;

  /** {@linkcode uint} as a number. */
  num(name: string): number {
    return Number(this.uint(name));
  }

  /** A list field. */
  list(name: string): QmpValue[] {
    const v = this.value(name);
    if (!Array.isArray(v)) {
      throw new this.error(`${this.command}: field '${name}' must be a list`);
    }
    return v;
  }

  /**
   * The elements of a list field, each checked to be an object with only the
   * members of the field's member table and then taken by `each` (before the
   * next is checked); `shape` is how a message writes such an object,
   * `separator` how it joins the member names.
   */
  objects<T>(
    name: string,
    shape: string,
    separator: string,
    each: (item: QmpObject, where: string) => T,
  ): T[] {
    const members = (this.field(name).fields ?? []).map((m) => m.name);
    return this.list(name).map((item, i) => {
      const where = `${this.command}: ${name}[${i}]`;
      if (item === null || typeof item !== "object" || Array.isArray(item)) {
        throw new this.error(`${where} must be an object ${shape}`);
      }
      for (const k of Object.keys(item)) {
        if (!members.includes(k)) {
          throw new this.error(
            `${where}: unknown member '${k}'; expected only ${members.join(separator)}`,
          );
        }
      }
      return each(item as QmpObject, where);
    });
  }
}

/** A codec's table row for a command, before its name and field list are added. */
export interface TableCommandSpec<F, R> {
  /** The command's name in the CXL specification. */
  title: string;
  /** Opcode; `undefined` for a raw command, whose `opcode` field gives it. */
  opcode: number | undefined;
  /** Request fields. */
  input: readonly F[];
  /** Reply fields. */
  output: readonly F[];
  /** Example request fields. */
  example: QmpObject;
  /** Encodes the request read by `R`. */
  encode: (r: R) => Uint8Array;
  /** Decodes an output payload (total). */
  decode: (payload: Uint8Array) => QmpObject;
}

/**
 * One named command of a codec's table (a row of the host command
 * reference), its fields described by `F`: the host mailbox commands'
 * `HostCommand` and the FM commands' `FmCommand` are this.
 */
export interface TableCommand<F> {
  /** The name transcripts use (`=> DEVICE NAME {...}`). */
  readonly name: string;
  /** The command's name in the CXL specification. */
  readonly title: string;
  /** Opcode; `undefined` for a raw command, whose `opcode` field gives it. */
  readonly opcode: number | undefined;
  /** Request fields (besides `payload-length`, accepted everywhere). */
  readonly input: readonly F[];
  /** Request field names (besides `payload-length`). */
  readonly inputFields: readonly string[];
  /** Reply fields, as the decoder writes them (besides the generic `trailing-hex`, `payload-hex`, `decode-error`). */
  readonly output: readonly F[];
  /** Example request fields, as a transcript writes them after the command name. */
  readonly example: QmpObject;
  /** Encodes decoded input fields to the input payload; throws the codec's field error for invalid ones. */
  encode(fields: QmpObject): Uint8Array;
  /** Decodes an output payload to fields (total; never throws). */
  decode(payload: Uint8Array): QmpObject;
}

/**
 * A table's command of a name: its input read by `reader` (made per
 * request from the given fields) and encoded by the row's encoder.
 */
export function tableCommand<F extends TableFieldSpec, R>(
  name: string,
  spec: TableCommandSpec<F, R>,
  reader: (fields: QmpObject) => R,
): TableCommand<F> {
  return {
    name,
    title: spec.title,
    opcode: spec.opcode,
    input: spec.input,
    inputFields: spec.input.map((f) => f.name),
    output: spec.output,
    example: spec.example,
    encode: (fields) => spec.encode(reader(fields)),
    decode: spec.decode,
  };
}

/**
 * Encodes a table command's fields: its opcode (the `opcode` field for a
 * raw command) and its payload, cut or zero-padded to `payload-length`
 * when that is given.
 *
 * @throws {Error} an `error` (or the command encoder's) for invalid fields.
 */
export function encodeTableRequest(
  cmd: { readonly opcode: number | undefined; encode(fields: QmpObject): Uint8Array },
  command: string,
  fields: QmpObject,
  error: FieldErrorClass,
): { opcode: number; payload: Uint8Array } {
  let payload = cmd.encode(fields);
  const opcode = cmd.opcode ??
    Number(toUint(fields["opcode"], 16, `${command}: field 'opcode'`, error));
  if (fields["payload-length"] !== undefined) {
    const length = Number(
      toUint(fields["payload-length"], 16, `${command}: field 'payload-length'`, error),
    );
    const sized = new Uint8Array(length);
    sized.set(payload.subarray(0, length));
    payload = sized;
  }
  return { opcode, payload };
}

/** The decoder of a command without output: any bytes are `trailing-hex`. */
export function noOutput(payload: Uint8Array): QmpObject {
  return payload.length === 0 ? {} : { "trailing-hex": toHex(payload) };
}

/**
 * Makes a decoder total: an empty payload is `{}`, and a payload on which
 * `decode` throws a `short` error (too short for what it announces) is
 * `{"payload-hex": ..., "decode-error": ...}`.
 */
export function totalDecoder(
  decode: (payload: Uint8Array) => QmpObject,
  short: abstract new (...args: never[]) => Error,
): (payload: Uint8Array) => QmpObject {
  return (payload) => {
    if (payload.length === 0) return {};
    try {
      return decode(payload);
    } catch (e) {
      if (!(e instanceof short)) throw e;
      return { "payload-hex": toHex(payload), "decode-error": e.message };
    }
  };
}
