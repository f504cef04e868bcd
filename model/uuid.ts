/**
 * UUIDs in their textual form (RFC 4122, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`)
 * and as the 16 bytes CXL carries in event records and extents. The bytes are
 * in textual order (the order QEMU's `qemu_uuid_parse` stores them), so the
 * text `ca95afa7-f183-...` becomes bytes `ca 95 af a7 f1 83 ...`.
 *
 * @module
 */

/** Number of bytes in a UUID. */
export const UUID_BYTES = 16;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The nil UUID (all zero bytes), used by QEMU for "no tag". */
export const NIL_UUID: Readonly<Uint8Array> = new Uint8Array(UUID_BYTES);

/**
 * Whether a string is a UUID in textual form (letter case does not matter).
 *
 * @example
 * ```ts
 * import { isUuid } from "@cxl-dcd/conformance/model";
 * if (!isUuid("6BE13BCE-ae34-4a77-b6c3-16df975fcf1a")) throw new Error("should be a UUID");
 * if (isUuid("not-a-uuid")) throw new Error("should not be a UUID");
 * ```
 */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text);
}

/**
 * Parses a textual UUID into its 16 bytes, or returns `undefined` when the
 * text is not a UUID.
 *
 * @example
 * ```ts
 * import { tryParseUuid } from "@cxl-dcd/conformance/model";
 * const b = tryParseUuid("ca95afa7-f183-4018-8c2f-95268e101a2a");
 * if (b === undefined || b[0] !== 0xca || b[15] !== 0x2a) throw new Error("bad parse");
 * ```
 */
export function tryParseUuid(text: string): Uint8Array | undefined {
  if (!UUID_PATTERN.test(text)) return undefined;
  const hex = text.replaceAll("-", "");
  const out = new Uint8Array(UUID_BYTES);
  for (let i = 0; i < UUID_BYTES; i++) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Parses a textual UUID into its 16 bytes.
 *
 * @example
 * ```ts
 * import { parseUuid, formatUuid } from "@cxl-dcd/conformance/model";
 * const text = formatUuid(parseUuid("6BE13BCE-AE34-4A77-B6C3-16DF975FCF1A"));
 * if (text !== "6be13bce-ae34-4a77-b6c3-16df975fcf1a") throw new Error(text);
 * ```
 *
 * @throws {SyntaxError} when the text is not of the form
 * `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits, any case).
 */
export function parseUuid(text: string): Uint8Array {
  const bytes = tryParseUuid(text);
  if (bytes === undefined) {
    throw new SyntaxError(
      `'${text}' is not a UUID: expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits)`,
    );
  }
  return bytes;
}

/**
 * Formats 16 UUID bytes as lower-case text.
 *
 * @example
 * ```ts
 * import { formatUuid, NIL_UUID } from "@cxl-dcd/conformance/model";
 * if (formatUuid(NIL_UUID) !== "00000000-0000-0000-0000-000000000000") throw new Error("nil");
 * ```
 *
 * @throws {RangeError} when the input is not exactly 16 bytes.
 */
export function formatUuid(bytes: Uint8Array): string {
  if (bytes.length !== UUID_BYTES) {
    throw new RangeError(`a UUID has ${UUID_BYTES} bytes, got ${bytes.length}`);
  }
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/**
 * Whether 16 UUID bytes are the nil UUID (all zero).
 *
 * @example
 * ```ts
 * import { isNilUuid, NIL_UUID } from "@cxl-dcd/conformance/model";
 * if (!isNilUuid(NIL_UUID)) throw new Error("nil is nil");
 * ```
 */
export function isNilUuid(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Whether two UUIDs (as bytes) are equal.
 *
 * @example
 * ```ts
 * import { parseUuid, uuidEquals } from "@cxl-dcd/conformance/model";
 * const a = parseUuid("6be13bce-ae34-4a77-b6c3-16df975fcf1a");
 * if (!uuidEquals(a, parseUuid("6BE13BCE-AE34-4A77-B6C3-16DF975FCF1A"))) throw new Error("case");
 * ```
 */
export function uuidEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
