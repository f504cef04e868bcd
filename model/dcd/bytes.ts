/**
 * Little-endian field access for mailbox payloads and event records.
 *
 * @module
 */

/** A payload being read: bounds-checked little-endian getters. */
export class PayloadReader {
  readonly #view: DataView;

  /**
   * Wraps a payload for reading.
   *
   * @param bytes the payload (not copied).
   */
  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Payload length in bytes. */
  get length(): number {
    return this.#view.byteLength;
  }

  /** u8 at an offset. */
  u8(off: number): number {
    return this.#view.getUint8(off);
  }

  /** Little-endian u16 at an offset. */
  u16(off: number): number {
    return this.#view.getUint16(off, true);
  }

  /** Little-endian u32 at an offset. */
  u32(off: number): number {
    return this.#view.getUint32(off, true);
  }

  /** Little-endian u64 at an offset. */
  u64(off: number): bigint {
    return this.#view.getBigUint64(off, true);
  }
}

/** A zero-filled output payload with little-endian setters. */
export class PayloadWriter {
  /** The bytes written so far (fixed length). */
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  /**
   * Allocates a zero-filled output payload.
   *
   * @param length output length in bytes.
   */
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Writes a u8. */
  u8(off: number, v: number): this {
    this.#view.setUint8(off, v);
    return this;
  }

  /** Writes a little-endian u16. */
  u16(off: number, v: number): this {
    this.#view.setUint16(off, v, true);
    return this;
  }

  /** Writes a little-endian u32. */
  u32(off: number, v: number): this {
    this.#view.setUint32(off, v >>> 0, true);
    return this;
  }

  /** Writes a little-endian u64 (taken modulo 2^64). */
  u64(off: number, v: bigint): this {
    this.#view.setBigUint64(off, BigInt.asUintN(64, v), true);
    return this;
  }

  /** Copies bytes in at an offset. */
  copy(off: number, src: Uint8Array): this {
    this.bytes.set(src, off);
    return this;
  }
}
