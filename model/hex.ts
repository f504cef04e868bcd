/**
 * Hex text for byte payloads, shared by the QMP mailbox extension command and
 * the host codec.
 *
 * @module
 */

/**
 * Lower-case hex text of bytes, two digits per byte, no separators.
 *
 * @example
 * ```ts
 * import { toHex } from "@cxl-dcd/conformance/qmp";
 * if (toHex(new Uint8Array([0, 255])) !== "00ff") throw new Error("wrong hex");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/**
 * Parses hex text (an optional `0x` prefix, whitespace ignored) into bytes.
 *
 * @example
 * ```ts
 * import { fromHex } from "@cxl-dcd/conformance/qmp";
 * if (fromHex("0x00 ff")[1] !== 255) throw new Error("wrong byte");
 * ```
 *
 * @throws {SyntaxError} when the text is not pairs of hex digits.
 */
export function fromHex(text: string): Uint8Array {
  let t = text.replace(/\s+/g, "");
  if (t.startsWith("0x") || t.startsWith("0X")) t = t.slice(2);
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) {
    throw new SyntaxError(
      `invalid hex text ${JSON.stringify(text)}: expected pairs of hex digits`,
    );
  }
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}
