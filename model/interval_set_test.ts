import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { IntervalSet } from "./interval_set.ts";
import { xorshift } from "./testdata/xorshift.ts";

Deno.test("IntervalSet coalesces touching ranges and splits on subtract", () => {
  const s = new IntervalSet();
  s.insert(0n, 10n);
  s.insert(10n, 20n);
  s.insert(30n, 40n);
  assertEquals([...s], [{ start: 0n, end: 20n }, { start: 30n, end: 40n }]);
  s.insert(15n, 35n);
  assertEquals([...s], [{ start: 0n, end: 40n }]);
  s.subtract(5n, 10n);
  s.subtract(38n, 100n);
  assertEquals([...s], [{ start: 0n, end: 5n }, { start: 10n, end: 38n }]);
  assertEquals(s.covers(10n, 38n), true);
  assertEquals(s.covers(4n, 11n), false);
  assertEquals(s.overlaps(5n, 10n), false);
  assertEquals(s.overlaps(37n, 50n), true);
  assertEquals(s.covers(7n, 7n), true);
  assertEquals(s.overlaps(0n, 0n), false);
});

Deno.test("IntervalSet agrees with a byte bitmap on random operations", () => {
  const s = new IntervalSet();
  const bits = new Uint8Array(512);
  const r = xorshift(99);
  for (let i = 0; i < 3000; i++) {
    const a = Math.floor(r() * 512);
    const b = Math.min(512, a + Math.floor(r() * 40));
    const op = r();
    if (op < 0.4) {
      s.insert(BigInt(a), BigInt(b));
      bits.fill(1, a, b);
    } else if (op < 0.7) {
      s.subtract(BigInt(a), BigInt(b));
      bits.fill(0, a, b);
    } else {
      const slice = bits.subarray(a, b);
      assertEquals(s.overlaps(BigInt(a), BigInt(b)), slice.some((x) => x === 1));
      assertEquals(s.covers(BigInt(a), BigInt(b)), slice.every((x) => x === 1));
    }
  }
  const ranges = [...s];
  for (let i = 1; i < ranges.length; i++) {
    ok((ranges[i - 1]?.end ?? 0n) < (ranges[i]?.start ?? 0n), "ranges stay disjoint and apart");
  }
});
