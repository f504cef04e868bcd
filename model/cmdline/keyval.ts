/**
 * QEMU option strings: `key=value,key=value` with `,,` standing for a literal
 * comma, and an implied key for a leading element without `=` (the `driver`
 * of `-device`, the `qom-type` of `-object`, the `type` of `-machine`, the
 * `size` of `-m`).
 *
 * @module
 */

/** One parsed option string: keys in order of appearance (a repeated key keeps its last value). */
export type OptionMap = Map<string, string>;

/**
 * Splits an option string on single commas, `,,` standing for a literal comma
 * (QEMU's option syntax), without interpreting the parts.
 *
 * @example
 * ```ts
 * import { splitKeyval } from "./keyval.ts";
 * const parts = splitKeyval("unix:/tmp/a,,b.sock,server=on");
 * if (parts.length !== 2 || parts[0] !== "unix:/tmp/a,b.sock") throw new Error();
 * ```
 */
export function splitKeyval(text: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ",") {
      if (text[i + 1] === ",") {
        cur += ",";
        i++;
        continue;
      }
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

/**
 * Splits an option string.
 *
 * @example
 * ```ts
 * import { parseKeyval } from "@cxl-dcd/conformance/model";
 * const o = parseKeyval("cxl-type3,id=a,,b", "driver");
 * if (o.get("driver") !== "cxl-type3" || o.get("id") !== "a,b") throw new Error();
 * ```
 */
export function parseKeyval(text: string, impliedKey: string | undefined): OptionMap {
  const parts = splitKeyval(text);
  const out: OptionMap = new Map();
  parts.forEach((p, index) => {
    if (p === "") return;
    const eq = p.indexOf("=");
    if (eq < 0) {
      if (index === 0 && impliedKey !== undefined) out.set(impliedKey, p);
      else out.set(p, "on");
      return;
    }
    const key = p.slice(0, eq);
    out.delete(key);
    out.set(key, p.slice(eq + 1));
  });
  return out;
}

/** QEMU's boolean spellings; undefined when the text is none of them. */
export function parseBool(text: string): boolean | undefined {
  if (["on", "yes", "true", "y"].includes(text)) return true;
  if (["off", "no", "false", "n"].includes(text)) return false;
  return undefined;
}
