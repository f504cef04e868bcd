/**
 * A QAPI schema described as data: the types, commands and events the model
 * implements. The same description drives argument validation
 * ({@linkcode ./validate.ts}) and `query-qmp-schema` ({@linkcode ./introspect.ts}).
 *
 * Type references are strings: a builtin (`str`, `bool`, `any`, `number`,
 * `int8`..`int64`, `uint8`..`uint64`, `size`), `[T]` for a list of T, or the
 * name of a type defined in the schema.
 *
 * @module
 */

/** One member of a struct. */
export interface MemberDef {
  /** Member name as it appears in JSON. */
  readonly name: string;
  /** Type reference. */
  readonly type: string;
  /** Whether the member may be left out (`'*name'` in QAPI). */
  readonly optional?: boolean;
  /** Member features, e.g. `deprecated`. */
  readonly features?: readonly string[];
}

/** A struct (`{'struct': ...}`), its base members already included. */
export interface StructDef {
  /** Discriminates {@linkcode TypeDef}. */
  readonly kind: "struct";
  /** Type name (masked as a number in introspection). */
  readonly name: string;
  /** Members in declaration order. */
  readonly members: readonly MemberDef[];
}

/** An enum. */
export interface EnumDef {
  /** Discriminates {@linkcode TypeDef}. */
  readonly kind: "enum";
  /** Type name (masked as a number in introspection). */
  readonly name: string;
  /** Values in declaration order. */
  readonly values: readonly string[];
}

/** A flat union: common members, a discriminator among them, and per-value struct variants. */
export interface UnionDef {
  /** Discriminates {@linkcode TypeDef}. */
  readonly kind: "union";
  /** Type name (masked as a number in introspection). */
  readonly name: string;
  /** Common members, in order; the discriminator is one of them and must be an enum. */
  readonly members: readonly MemberDef[];
  /** Name of the discriminator member. */
  readonly discriminator: string;
  /** Struct type name per discriminator value; values without a variant add no members. */
  readonly variants: Readonly<Record<string, string>>;
}

/** A named type of the schema. */
export type TypeDef = StructDef | EnumDef | UnionDef;

/** A command. */
export interface CommandDef {
  /** Command name. */
  readonly name: string;
  /** Argument type (a struct or union name); absent for a command without arguments. */
  readonly args?: string;
  /** Return type; absent for a command that returns `{}`. */
  readonly returns?: string;
  /** Features, e.g. `unstable`. */
  readonly features?: readonly string[];
  /** Whether the command may run out-of-band. */
  readonly allowOob?: boolean;
}

/** An event. */
export interface EventDef {
  /** Event name. */
  readonly name: string;
  /** Data type (a struct name); absent for an event without data. */
  readonly data?: string;
}

/** A complete schema. */
export interface QapiSchema {
  /** Named types by name. */
  readonly types: ReadonlyMap<string, TypeDef>;
  /** Commands in schema order. */
  readonly commands: readonly CommandDef[];
  /** Events in schema order. */
  readonly events: readonly EventDef[];
}

/** Builtin scalar types and their introspection names and JSON types. */
export const BUILTINS: Readonly<
  Record<string, { readonly introspect: string; readonly json: string }>
> = {
  str: { introspect: "str", json: "string" },
  bool: { introspect: "bool", json: "boolean" },
  any: { introspect: "any", json: "value" },
  number: { introspect: "number", json: "number" },
  null: { introspect: "null", json: "null" },
  int8: { introspect: "int", json: "int" },
  int16: { introspect: "int", json: "int" },
  int32: { introspect: "int", json: "int" },
  int64: { introspect: "int", json: "int" },
  int: { introspect: "int", json: "int" },
  uint8: { introspect: "int", json: "int" },
  uint16: { introspect: "int", json: "int" },
  uint32: { introspect: "int", json: "int" },
  uint64: { introspect: "int", json: "int" },
  size: { introspect: "int", json: "int" },
};
