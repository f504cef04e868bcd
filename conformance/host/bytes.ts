/**
 * Little-endian byte helpers for mailbox payloads: bounded reads and writes of
 * unsigned integers, hex text and UUID text.
 *
 * @module
 */

import { fromHex, toHex } from "../../model/hex.ts";

/** Largest value of an unsigned field of `bytes` bytes. */
function maxOf(bytes: number): bigint {
  return (1n << BigInt(bytes * 8)) - 1n;
}

/**
 * Reads an unsigned little-endian integer of 1 to 8 bytes.
 *
 * @example
 * ```ts
 * import { readUint } from "@cxl-dcd/conformance/conformance";
 * if (readUint(new Uint8Array([0x34, 0x12]), 0, 2) !== 0x1234n) throw new Error();
 * ```
 */
export function readUint(bytes: Uint8Array, offset: number, size: number): bigint {
  if (offset < 0 || offset + size > bytes.length) {
    throw new RangeError(
      `cannot read ${size} bytes at offset ${offset}: the payload has ${bytes.length} bytes`,
    );
  }
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) {
    value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  }
  return value;
}

/**
 * Reads an unsigned little-endian integer of at most 6 bytes as a number.
 *
 * @example
 * ```ts
 * import { readNumber } from "@cxl-dcd/conformance/conformance";
 * if (readNumber(new Uint8Array([1, 0, 0, 0]), 0, 4) !== 1) throw new Error();
 * ```
 */
export function readNumber(bytes: Uint8Array, offset: number, size: number): number {
  if (size > 6) throw new RangeError(`readNumber handles at most 6 bytes, got ${size}`);
  return Number(readUint(bytes, offset, size));
}

/**
 * Writes an unsigned little-endian integer of 1 to 8 bytes.
 *
 * @example
 * ```ts
 * import { writeUint } from "@cxl-dcd/conformance/conformance";
 * const b = new Uint8Array(2);
 * writeUint(b, 0, 2, 0x1234);
 * if (b[0] !== 0x34 || b[1] !== 0x12) throw new Error();
 * ```
 */
export function writeUint(
  bytes: Uint8Array,
  offset: number,
  size: number,
  value: number | bigint,
): void {
  let v = BigInt(value);
  if (v < 0n || v > maxOf(size)) {
    throw new RangeError(`value ${value} does not fit an unsigned ${size * 8}-bit field`);
  }
  if (offset < 0 || offset + size > bytes.length) {
    throw new RangeError(
      `cannot write ${size} bytes at offset ${offset}: the buffer has ${bytes.length} bytes`,
    );
  }
  for (let i = 0; i < size; i++) {
    bytes[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export { fromHex, toHex } from "../../model/hex.ts";

/**
 * Formats 16 bytes as UUID text (bytes in textual order, lower case).
 *
 * @param bytes the buffer holding the UUID
 * @param offset where the 16 bytes start (default 0)
 *
 * @example
 * ```ts
 * import { uuidText } from "@cxl-dcd/conformance/conformance";
 * if (uuidText(new Uint8Array(16)) !== "00000000-0000-0000-0000-000000000000") throw new Error();
 * ```
 */
export function uuidText(bytes: Uint8Array, offset?: number): string {
  offset ??= 0;
  const h = toHex(bytes.subarray(offset, offset + 16));
  if (h.length !== 32) {
    throw new RangeError(`a UUID needs 16 bytes at offset ${offset}; the payload is too short`);
  }
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Parses UUID text (case-insensitive, 8-4-4-4-12) into 16 bytes in textual order.
 *
 * @example
 * ```ts
 * import { uuidBytes } from "@cxl-dcd/conformance/conformance";
 * if (uuidBytes("ca95afa7-f183-4018-8c2f-95268e101a2a")[0] !== 0xca) throw new Error();
 * ```
 */
export function uuidBytes(text: string): Uint8Array {
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text)) {
    throw new SyntaxError(
      `invalid UUID ${JSON.stringify(text)}: expected 8-4-4-4-12 hex digits`,
    );
  }
  return fromHex(text.replaceAll("-", ""));
}

/**
 * A u64 as a JSON-friendly value: a number when it is a safe integer, else a bigint.
 *
 * @example
 * ```ts
 * import { jsonInt } from "@cxl-dcd/conformance/conformance";
 * if (jsonInt(5n) !== 5) throw new Error();
 * ```
 */
export function jsonInt(value: bigint): number | bigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}
