/**
 * A small strict JSON reader and writer for transcripts. Integers outside the
 * safe-integer range become `bigint`, so a u64 in a fixture survives exactly;
 * the reader reports where a value ended, so a transcript step's JSON may
 * span several lines.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";

/** Malformed JSON: `offset` is where the problem is; `incomplete` when the text ended too early. */
export class JsonSyntaxError extends Error {
  /** Offset into the text where the problem was found. */
  readonly offset: number;
  /** True when the text ended before the value was complete. */
  readonly incomplete: boolean;
  /**
   * Creates the error.
   *
   * @param message what was wrong and what was expected
   * @param offset where
   * @param incomplete whether the input simply ended too early
   */
  constructor(message: string, offset: number, incomplete: boolean) {
    super(message);
    this.name = "JsonSyntaxError";
    this.offset = offset;
    this.incomplete = incomplete;
  }
}

/** A value read from text, with the offset just after it. */
export interface JsonReadResult {
  /** The value. */
  value: QmpValue;
  /** Offset just after the value's last character. */
  end: number;
}

const WS = new Set([" ", "\t", "\n", "\r"]);

class Reader {
  pos: number;
  constructor(readonly text: string, start: number) {
    this.pos = start;
  }

  fail(message: string, at = this.pos): never {
    const incomplete = at >= this.text.length;
    throw new JsonSyntaxError(
      incomplete ? `${message}, but the text ended` : message,
      at,
      incomplete,
    );
  }

  skipWs(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos]!)) this.pos++;
  }

  found(): string {
    if (this.pos >= this.text.length) return "end of text";
    return JSON.stringify(this.text.slice(this.pos, this.pos + 12));
  }

  value(depth: number): QmpValue {
    if (depth > 1000) this.fail("JSON nested deeper than 1000 levels");
    this.skipWs();
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
        return this.fail(`expected a JSON value, found ${this.found()}`);
    }
  }

  literal<T extends QmpValue>(word: string, v: T): T {
    const got = this.text.slice(this.pos, this.pos + word.length);
    if (got !== word) {
      if (word.startsWith(got) && this.pos + got.length >= this.text.length) {
        this.fail(`expected '${word}'`, this.text.length);
      }
      this.fail(`expected a JSON value, found ${this.found()}`);
    }
    this.pos += word.length;
    return v;
  }

  number(): number | bigint {
    const t = this.text;
    const start = this.pos;
    let i = this.pos;
    if (t[i] === "-") i++;
    const digit = (k: number) => t[k] !== undefined && t[k]! >= "0" && t[k]! <= "9";
    if (t[i] === "0") i++;
    else if (digit(i)) { while (digit(i)) i++; }
    else {
      this.pos = i;
      this.fail("expected a digit in a number");
    }
    let integer = true;
    if (t[i] === ".") {
      integer = false;
      i++;
      if (!digit(i)) {
        this.pos = i;
        this.fail("expected a digit after the decimal point");
      }
      while (digit(i)) i++;
    }
    if (t[i] === "e" || t[i] === "E") {
      integer = false;
      i++;
      if (t[i] === "+" || t[i] === "-") i++;
      if (!digit(i)) {
        this.pos = i;
        this.fail("expected a digit in the exponent");
      }
      while (digit(i)) i++;
    }
    this.pos = i;
    const s = t.slice(start, i);
    if (!integer) return Number(s);
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : BigInt(s);
  }

  string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    for (;;) {
      const c = t[this.pos];
      if (c === undefined) this.fail("expected the closing '\"' of a string");
      if (c === '"') {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < " ") {
        this.fail(
          `expected an escape for control character U+${
            c.charCodeAt(0).toString(16).padStart(4, "0")
          } in a string`,
        );
      }
      if (c !== "\\") {
        this.pos++;
        continue;
      }
      out += t.slice(runStart, this.pos);
      const e = t[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const hex = t.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.fail("expected four hex digits after '\\u'", Math.min(this.pos, t.length));
          }
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.pos -= 1;
          this.fail(`expected a valid escape after '\\', found ${this.found()}`);
      }
      runStart = this.pos;
    }
  }

  array(depth: number): QmpValue[] {
    this.pos++;
    const out: QmpValue[] = [];
    this.skipWs();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "]") {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or ']' in an array, found ${this.found()}`);
    }
  }

  object(depth: number): QmpObject {
    this.pos++;
    const out: QmpObject = {};
    const seen = new Set<string>();
    this.skipWs();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') {
        this.fail(`expected a member name in double quotes, found ${this.found()}`);
      }
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate member name ${JSON.stringify(key)}`, keyAt);
      seen.add(key);
      this.skipWs();
      if (this.text[this.pos] !== ":") {
        this.fail(`expected ':' after member name, found ${this.found()}`);
      }
      this.pos++;
      const v = this.value(depth + 1);
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "}") {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or '}' in an object, found ${this.found()}`);
    }
  }
}

/**
 * Reads one JSON value starting at `start` (leading white space allowed) and
 * returns it with the offset just after it; what follows is not examined.
 *
 * @param text the text
 * @param start the offset to read from (default 0)
 *
 * @example
 * ```ts
 * import { readJson } from "@cxl-dcd/conformance/conformance";
 * const r = readJson('{"a": 18446744073709551615} tail', 0);
 * if (r.end !== 27) throw new Error("wrong end");
 * ```
 *
 * @throws {JsonSyntaxError} when the text is not JSON.
 */
export function readJson(text: string, start?: number): JsonReadResult {
  start ??= 0;
  const r = new Reader(text, start);
  const value = r.value(0);
  return { value, end: r.pos };
}

/**
 * Parses text that must hold exactly one JSON value (white space around it allowed).
 *
 * @example
 * ```ts
 * import { parseJson } from "@cxl-dcd/conformance/conformance";
 * const v = parseJson("18446744073709551615");
 * if (v !== 18446744073709551615n) throw new Error("lost precision");
 * ```
 *
 * @throws {JsonSyntaxError} when the text is not exactly one JSON value.
 */
export function parseJson(text: string): QmpValue {
  const r = new Reader(text, 0);
  const value = r.value(0);
  r.skipWs();
  if (r.pos < text.length) {
    r.fail(`expected the end of the text after the value, found ${r.found()}`);
  }
  return value;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Serialises a value as JSON: compact on one line without `indent`, else
 * pretty-printed with that many spaces; `bigint` is written as an integer.
 *
 * @example
 * ```ts
 * import { stringifyJson } from "@cxl-dcd/conformance/conformance";
 * const s = stringifyJson({ execute: "x", n: 18446744073709551615n });
 * if (s !== '{"execute":"x","n":18446744073709551615}') throw new Error(s);
 * ```
 */
export function stringifyJson(value: QmpValue, indent?: number): string {
  const parts: string[] = [];
  write(value, indent, "", parts);
  return parts.join("");
}

function write(v: QmpValue, indent: number | undefined, pad: string, out: string[]): void {
  if (v === null) out.push("null");
  else if (typeof v === "bigint") out.push(v.toString());
  else if (typeof v === "number") out.push(Number.isFinite(v) ? String(v) : "null");
  else if (typeof v === "boolean") out.push(v ? "true" : "false");
  else if (typeof v === "string") out.push(quote(v));
  else if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push("[]");
      return;
    }
    const inner = indent === undefined ? "" : pad + " ".repeat(indent);
    out.push("[");
    v.forEach((e, i) => {
      if (i > 0) out.push(",");
      if (indent !== undefined) out.push("\n", inner);
      write(e, indent, inner, out);
    });
    if (indent !== undefined) out.push("\n", pad);
    out.push("]");
  } else {
    const keys = Object.keys(v);
    if (keys.length === 0) {
      out.push("{}");
      return;
    }
    const inner = indent === undefined ? "" : pad + " ".repeat(indent);
    out.push("{");
    keys.forEach((k, i) => {
      if (i > 0) out.push(",");
      if (indent !== undefined) out.push("\n", inner);
      out.push(quote(k), indent === undefined ? ":" : ": ");
      write(v[k]!, indent, inner, out);
    });
    if (indent !== undefined) out.push("\n", pad);
    out.push("}");
  }
}

/**
 * Serialises a value the way QMP documentation writes it: on one line with
 * a space after `:` and `,` when it fits in `width` columns; otherwise each
 * member or element goes on its own line (indented by `indent`), and each of
 * those is again written on one line when it fits.
 *
 * @param value the value
 * @param width the columns a line may fill
 * @param indent spaces per nesting level (default 2)
 *
 * @example
 * ```ts
 * import { formatJsonForTranscript } from "@cxl-dcd/conformance/conformance";
 * const s = formatJsonForTranscript({ return: {} }, 100);
 * if (s !== '{"return": {}}') throw new Error(s);
 * ```
 */
export function formatJsonForTranscript(value: QmpValue, width: number, indent?: number): string {
  indent ??= 2;
  return fit(value, width, indent, "", 0);
}

function fit(v: QmpValue, width: number, indent: number, pad: string, used: number): string {
  const line = oneLine(v);
  if (used + line.length <= width || v === null || typeof v !== "object") return line;
  const inner = pad + " ".repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((e, k) =>
      inner + fit(e, width, indent, inner, inner.length + (k < v.length - 1 ? 1 : 0))
    );
    return "[\n" + items.join(",\n") + "\n" + pad + "]";
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return "{}";
  const items = keys.map((k, n) => {
    const head = `${inner}${quote(k)}: `;
    return head + fit(v[k]!, width, indent, inner, head.length + (n < keys.length - 1 ? 1 : 0));
  });
  return "{\n" + items.join(",\n") + "\n" + pad + "}";
}

function oneLine(v: QmpValue): string {
  if (v === null || typeof v !== "object") return stringifyJson(v);
  if (Array.isArray(v)) return "[" + v.map(oneLine).join(", ") + "]";
  return "{" + Object.keys(v).map((k) => `${quote(k)}: ${oneLine(v[k]!)}`).join(", ") + "}";
}
