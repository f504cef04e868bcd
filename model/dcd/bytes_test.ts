import { deepStrictEqual as assertEquals, ok, throws } from "node:assert";
import { PayloadReader, PayloadWriter, setU16, setU64 } from "./bytes.ts";
import { toHex } from "./test_helpers.ts";

Deno.test("the writer stores little-endian fields modulo their width, as a DataView would", () => {
  const w = new PayloadWriter(24)
    .u8(0, 0x1ff)
    .u16(1, -1)
    .u32(3, 0x1_2345_6789)
    .u64(8, (1n << 64n) + 0x0102030405060708n)
    .u64(16, -2n);
  const v = new DataView(new ArrayBuffer(24));
  v.setUint8(0, 0x1ff);
  v.setUint16(1, -1, true);
  v.setUint32(3, 0x1_2345_6789 >>> 0, true);
  v.setBigUint64(8, 0x0102030405060708n, true);
  v.setBigUint64(16, BigInt.asUintN(64, -2n), true);
  assertEquals(toHex(w.bytes), toHex(new Uint8Array(v.buffer)));
});

Deno.test("the reader gets little-endian fields; 64-bit reads do not share a result", () => {
  const bytes = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const r = new PayloadReader(bytes.subarray(4));
  const v = new DataView(bytes.buffer, 4);
  assertEquals(r.length, 28);
  assertEquals([r.u8(3), r.u16(1), r.u32(5)], [
    v.getUint8(3),
    v.getUint16(1, true),
    v.getUint32(5, true),
  ]);
  const a = r.u64(0);
  const b = r.u64(20);
  assertEquals([a, b], [v.getBigUint64(0, true), v.getBigUint64(20, true)]);
  ok(a !== b);
});

Deno.test("a field past the payload's end is a RangeError naming offset and length", () => {
  const r = new PayloadReader(new Uint8Array(8));
  throws(() => r.u64(1), {
    name: "RangeError",
    message: /offset 1 \(\+8 bytes\) is outside a 8-byte payload/,
  });
  throws(() => r.u32(-1), RangeError);
  throws(() => r.u8(8), RangeError);
  throws(() => new PayloadWriter(3).u32(0, 1), RangeError);
  throws(() => new PayloadWriter(1).u16(0, 1), RangeError);
  throws(() => setU64(new Uint8Array(7), 0, 1n), RangeError);
  throws(() => setU16(new Uint8Array(2), 1, 1), RangeError);
});

Deno.test("every writer's bytes are a buffer of their own, at offset 0", () => {
  const a = new PayloadWriter(16).u64(0, 1n).bytes;
  const b = new PayloadWriter(16).u64(0, 2n).bytes;
  assertEquals([a.byteOffset, a.buffer.byteLength, b.byteOffset, b.buffer.byteLength], [
    0,
    16,
    0,
    16,
  ]);
  ok(a.buffer !== b.buffer);
  assertEquals([a[0], b[0]], [1, 2]);
});
