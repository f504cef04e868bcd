/**
 * Serializes QMP values exactly as QEMU 10.0.2 writes them on the wire.
 *
 * - Separators are `", "` and `": "`; `{}` and `[]` for empty containers.
 * - Object members come in QEMU's QDict iteration order: QEMU stores members
 *   in a 512-bucket hash table (tdb hash), iterates the buckets in ascending
 *   order, and within a bucket lists the most recently inserted member first.
 *   That is why QEMU writes `{"return": {}, "id": 1}` but
 *   `{"id": 1, "error": {...}}`, and `{"status": "running", "running": true}`.
 *   The writer sorts members by bucket and keeps the given order within a
 *   bucket, so an object already listed in wire order (the model's
 *   convention, e.g. `{micro, minor, major}`) is kept as is. A value parsed
 *   from client text (an echoed `id`) is first put into QEMU's order with
 *   {@linkcode toQdictOrder}.
 * - Strings: `"` `\\` `\b` `\f` `\n` `\r` `\t` escaped by name; other control
 *   characters, DEL and every non-ASCII character as `\uXXXX` (upper-case
 *   hex, surrogate pairs beyond the BMP); `/` is not escaped; invalid
 *   characters (lone surrogates, noncharacters) as `\uFFFD`.
 * - Integers as digits (bigint too); other numbers as C's `%.17g`
 *   (`0.10000000000000001`, `1e+21`, `inf`).
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { isValidCodepoint } from "./json_stream.ts";
import { bucketOrder, qdictOrder } from "./qemu_order.ts";
import { setMember } from "./json_stream.ts";

export { bucketOrder, qdictBucket, qdictOrder } from "./qemu_order.ts";

/** Options of {@linkcode formatJson}. */
export interface FormatOptions {
  /**
   * Sort members by QDict bucket as QEMU's writer does (default true),
   * keeping the given order within a bucket; false keeps the given order.
   */
  qdictOrder?: boolean;
}

/**
 * Serializes a value as QEMU's JSON writer does (without a line ending).
 *
 * @example
 * ```ts
 * import { formatJson } from "@cxl-dcd/conformance/qmp";
 * const text = formatJson({ return: {}, id: 1 });
 * if (text !== '{"return": {}, "id": 1}') throw new Error(text);
 * ```
 */
export function formatJson(value: QmpValue, options?: FormatOptions): string {
  const parts: string[] = [];
  write(value, options?.qdictOrder ?? true, parts);
  return parts.join("");
}

/**
 * A deep copy whose objects list their members as a QEMU QDict built from
 * them would iterate (members inserted in the given order): what QEMU
 * echoes for a value it parsed.
 *
 * @example
 * ```ts
 * import { formatJson, toQdictOrder } from "@cxl-dcd/conformance/qmp";
 * // micro and minor share a bucket: QEMU lists the later-inserted one first.
 * const text = formatJson(toQdictOrder({ micro: 1, minor: 2 }));
 * if (text !== '{"minor": 2, "micro": 1}') throw new Error(text);
 * ```
 */
export function toQdictOrder(value: QmpValue): QmpValue {
  if (Array.isArray(value)) return value.map(toQdictOrder);
  if (value === null || typeof value !== "object") return value;
  const out: QmpObject = {};
  for (const k of qdictOrder(Object.keys(value))) setMember(out, k, toQdictOrder(value[k]!));
  return out;
}

function write(v: QmpValue, ordered: boolean, out: string[]): void {
  if (v === null) out.push("null");
  else if (typeof v === "boolean") out.push(v ? "true" : "false");
  else if (typeof v === "number") out.push(formatNumber(v));
  else if (typeof v === "bigint") out.push(v.toString());
  else if (typeof v === "string") out.push(quoteString(v));
  else if (Array.isArray(v)) {
    out.push("[");
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(", ");
      write(v[i]!, ordered, out);
    }
    out.push("]");
  } else {
    const keys = Object.keys(v);
    const order = ordered ? bucketOrder(keys) : keys;
    out.push("{");
    let first = true;
    for (const k of order) {
      const member = v[k];
      if (member === undefined) continue;
      if (!first) out.push(", ");
      first = false;
      out.push(memberName(k));
      write(member, ordered, out);
    }
    out.push("}");
  }
}

const memberNames = new Map<string, string>();

/** `"KEY": ` as the writer puts it before a member's value (member names repeat: cached). */
function memberName(key: string): string {
  let text = memberNames.get(key);
  if (text === undefined) {
    text = quoteString(key) + ": ";
    if (memberNames.size < 4096) memberNames.set(key, text);
  }
  return text;
}

/**
 * A number as QEMU prints a QNum: integers as digits, doubles as `%.17g`.
 *
 * @example
 * ```ts
 * import { formatNumber } from "@cxl-dcd/conformance/qmp";
 * if (formatNumber(0.1) !== "0.10000000000000001") throw new Error("%.17g expected");
 * ```
 */
export function formatNumber(n: number): string {
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? "-0" : String(n);
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  return formatG17(n);
}

function stripZeros(s: string): string {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}

function formatG17(x: number): string {
  const exp = x.toExponential(16);
  const at = exp.indexOf("e");
  const e = Number(exp.slice(at + 1));
  if (e < -4 || e >= 17) {
    const mant = stripZeros(exp.slice(0, at));
    const abs = Math.abs(e);
    return `${mant}e${e < 0 ? "-" : "+"}${abs < 10 ? "0" : ""}${abs}`;
  }
  return stripZeros(x.toFixed(16 - e));
}

const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, "0");

/**
 * A string as QEMU's JSON writer quotes it.
 *
 * @example
 * ```ts
 * import { quoteString } from "@cxl-dcd/conformance/qmp";
 * if (quoteString("é/\x7f") !== '"\\u00E9/\\u007F"') throw new Error("QEMU escapes non-ASCII");
 * ```
 */
export function quoteString(s: string): string {
  // Fast path: printable ASCII without quote or backslash.
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    switch (cp) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += "\\\\";
        continue;
      case 0x08:
        out += "\\b";
        continue;
      case 0x0c:
        out += "\\f";
        continue;
      case 0x0a:
        out += "\\n";
        continue;
      case 0x0d:
        out += "\\r";
        continue;
      case 0x09:
        out += "\\t";
        continue;
    }
    if (cp !== 0 && !isValidCodepoint(cp)) cp = 0xfffd;
    if (cp > 0xffff) {
      out += `\\u${hex4(0xd800 + ((cp - 0x10000) >> 10))}\\u${
        hex4(0xdc00 + ((cp - 0x10000) & 0x3ff))
      }`;
    } else if (cp < 0x20 || cp >= 0x7f) out += `\\u${hex4(cp)}`;
    else out += String.fromCharCode(cp);
  }
  return out + '"';
}
