/**
 * Little-endian field access for mailbox payloads and event records.
 *
 * The accessors work on the bytes directly (no `DataView` per payload);
 * 64-bit fields go through one module-level 8-byte scratch word, which is
 * never handed out. Out-of-range offsets throw `RangeError`, as a
 * `DataView` would.
 *
 * @module
 */

/**
 * Capacity unit of the payloads' capacity and length fields (Identify,
 * Partition Info, DC decode lengths, the FM API's total capacity): 256 MiB.
 */
export const CAPACITY_MULTIPLIER = 256n * 1024n * 1024n;

/** Whether this platform stores a u64 little-endian (the scratch word's layout). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const scratch64 = new BigUint64Array(1);
const scratch8 = new Uint8Array(scratch64.buffer);
const scratchView = new DataView(scratch64.buffer);

function checkRange(bytes: Uint8Array, off: number, size: number): void {
  if (!(off >= 0 && off + size <= bytes.length)) {
    throw new RangeError(
      `offset ${off} (+${size} bytes) is outside a ${bytes.length}-byte payload`,
    );
  }
}

/** Stores a u64 (modulo 2^64) into the scratch word, little-endian in `scratch8`. */
function toScratch(v: bigint): void {
  if (HOST_LITTLE_ENDIAN) scratch64[0] = v;
  else scratchView.setBigUint64(0, BigInt.asUintN(64, v), true);
}

/**
 * Writes a little-endian u16 into `bytes` (taken modulo 2^16).
 *
 * @example
 * ```ts
 * import { setU16 } from "./bytes.ts";
 * const b = new Uint8Array(4);
 * setU16(b, 1, 0x1234);
 * if (b[1] !== 0x34 || b[2] !== 0x12) throw new Error();
 * ```
 */
export function setU16(bytes: Uint8Array, off: number, v: number): void {
  checkRange(bytes, off, 2);
  bytes[off] = v;
  bytes[off + 1] = v >>> 8;
}

/**
 * Writes a little-endian u64 into `bytes` (taken modulo 2^64).
 *
 * @example
 * ```ts
 * import { setU64 } from "./bytes.ts";
 * const b = new Uint8Array(8);
 * setU64(b, 0, -1n);
 * if (!b.every((x) => x === 0xff)) throw new Error();
 * ```
 */
export function setU64(bytes: Uint8Array, off: number, v: bigint): void {
  checkRange(bytes, off, 8);
  toScratch(v);
  for (let i = 0; i < 8; i++) bytes[off + i] = scratch8[i]!;
}

/** A payload being read: bounds-checked little-endian getters. */
export class PayloadReader {
  readonly #bytes: Uint8Array;

  /**
   * Wraps a payload for reading.
   *
   * @param bytes the payload (not copied).
   */
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Payload length in bytes. */
  get length(): number {
    return this.#bytes.length;
  }

  /** u8 at an offset. */
  u8(off: number): number {
    checkRange(this.#bytes, off, 1);
    return this.#bytes[off]!;
  }

  /** Little-endian u16 at an offset. */
  u16(off: number): number {
    const b = this.#bytes;
    checkRange(b, off, 2);
    return b[off]! | b[off + 1]! << 8;
  }

  /** Little-endian u32 at an offset. */
  u32(off: number): number {
    const b = this.#bytes;
    checkRange(b, off, 4);
    return (b[off]! | b[off + 1]! << 8 | b[off + 2]! << 16 | b[off + 3]! << 24) >>> 0;
  }

  /** Little-endian u64 at an offset. */
  u64(off: number): bigint {
    const b = this.#bytes;
    checkRange(b, off, 8);
    for (let i = 0; i < 8; i++) scratch8[i] = b[off + i]!;
    return HOST_LITTLE_ENDIAN ? scratch64[0]! : scratchView.getBigUint64(0, true);
  }
}

/** A zero-filled output payload with little-endian setters. */
export class PayloadWriter {
  /** The bytes written so far (fixed length; a buffer of their own, offset 0). */
  readonly bytes: Uint8Array;

  /**
   * Allocates a zero-filled output payload.
   *
   * @param length output length in bytes.
   */
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }

  /** Writes a u8 (taken modulo 2^8). */
  u8(off: number, v: number): this {
    checkRange(this.bytes, off, 1);
    this.bytes[off] = v;
    return this;
  }

  /** Writes a little-endian u16 (taken modulo 2^16). */
  u16(off: number, v: number): this {
    setU16(this.bytes, off, v);
    return this;
  }

  /** Writes a little-endian u32 (taken modulo 2^32). */
  u32(off: number, v: number): this {
    const b = this.bytes;
    checkRange(b, off, 4);
    b[off] = v;
    b[off + 1] = v >>> 8;
    b[off + 2] = v >>> 16;
    b[off + 3] = v >>> 24;
    return this;
  }

  /** Writes a little-endian u64 (taken modulo 2^64). */
  u64(off: number, v: bigint): this {
    setU64(this.bytes, off, v);
    return this;
  }

  /** Copies bytes in at an offset. */
  copy(off: number, src: Uint8Array): this {
    this.bytes.set(src, off);
    return this;
  }
}
