/**
 * `query-qmp-schema` output for a schema: QEMU's introspection format with
 * type names masked as numbers, every integer width shown as `int`, optional
 * members marked `"default": null`, enum `members` and `values`, and command
 * `features` / `allow-oob`.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../qmp_value.ts";
import { BUILTINS, type MemberDef, type QapiSchema, type TypeDef } from "./types.ts";

const EMPTY = "0";

/**
 * Builds the `query-qmp-schema` return value.
 *
 * @example
 * ```ts
 * import { introspect } from "@cxl-dcd/conformance/model";
 * import { buildSchema } from "@cxl-dcd/conformance/model";
 * import { QEMU_10_0 } from "@cxl-dcd/conformance/model";
 * const entries = introspect(buildSchema(QEMU_10_0));
 * if (!entries.some((e) => e["name"] === "query-status")) throw new Error();
 * ```
 */
export function introspect(schema: QapiSchema): QmpObject[] {
  const out: QmpObject[] = [];
  const masked = new Map<string, string>();
  const emitted = new Set<string>();
  let next = 1;
  let emptyEmitted = false;

  const emitEmpty = (): string => {
    if (!emptyEmitted) {
      emptyEmitted = true;
      out.push({ name: EMPTY, members: [], "meta-type": "object" });
    }
    return EMPTY;
  };

  const ref = (type: string): string => {
    if (type.startsWith("[")) {
      const elem = ref(type.slice(1, -1));
      const name = `[${elem}]`;
      if (!emitted.has(name)) {
        emitted.add(name);
        out.push({ name, "element-type": elem, "meta-type": "array" });
      }
      return name;
    }
    const builtin = BUILTINS[type];
    if (builtin !== undefined) {
      if (!emitted.has(builtin.introspect)) {
        emitted.add(builtin.introspect);
        out.push({ name: builtin.introspect, "json-type": builtin.json, "meta-type": "builtin" });
      }
      return builtin.introspect;
    }
    const known = masked.get(type);
    if (known !== undefined) return known;
    const def = schema.types.get(type);
    if (def === undefined) throw new Error(`schema bug: type '${type}' is not defined`);
    const name = String(next++);
    masked.set(type, name);
    const entry = describe(def, name);
    out.push(entry);
    fill(def, entry);
    return name;
  };

  const members = (list: readonly MemberDef[]): QmpValue[] =>
    list.map((m) => {
      const e: QmpObject = { name: m.name };
      if (m.optional) e["default"] = null;
      e["type"] = ref(m.type);
      if (m.features !== undefined) e["features"] = [...m.features];
      return e;
    });

  const describe = (def: TypeDef, name: string): QmpObject => {
    if (def.kind === "enum") {
      return {
        name,
        members: def.values.map((v) => ({ name: v })),
        "meta-type": "enum",
        values: [...def.values],
      };
    }
    if (def.kind === "union") return { name, tag: def.discriminator, "meta-type": "object" };
    return { name, "meta-type": "object" };
  };

  // Members are filled after the entry is pushed so recursive types terminate.
  const fill = (def: TypeDef, entry: QmpObject): void => {
    if (def.kind === "enum") return;
    const list = members(def.members);
    if (def.kind === "union") {
      const variants: QmpValue[] = [];
      for (const [value, t] of Object.entries(def.variants)) {
        variants.push({ case: value, type: ref(t) });
      }
      entry["variants"] = variants;
    }
    entry["members"] = list;
  };

  for (const c of schema.commands) {
    const entry: QmpObject = { name: c.name, "meta-type": "command" };
    out.push(entry);
    entry["arg-type"] = c.args === undefined ? emitEmpty() : ref(c.args);
    entry["ret-type"] = c.returns === undefined ? emitEmpty() : ref(c.returns);
    if (c.features !== undefined) entry["features"] = [...c.features];
    if (c.allowOob) entry["allow-oob"] = true;
  }
  for (const e of schema.events) {
    const entry: QmpObject = { name: e.name, "meta-type": "event" };
    out.push(entry);
    entry["arg-type"] = e.data === undefined ? emitEmpty() : ref(e.data);
  }
  return out;
}
