import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { InsertionOrderList, IntervalSet, OrderedMap } from "./interval_set.ts";
import { xorshift } from "./testdata/xorshift.ts";

Deno.test("OrderedMap keeps key order through random inserts and deletes", () => {
  const m = new OrderedMap<number>();
  const ref = new Map<bigint, number>();
  const r = xorshift(7);
  for (let i = 0; i < 5000; i++) {
    const k = BigInt(Math.floor(r() * 2000));
    if (r() < 0.6) {
      m.set(k, i);
      ref.set(k, i);
    } else {
      assertEquals(m.delete(k), ref.delete(k));
    }
  }
  const sorted = [...ref.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assertEquals([...m.keys()], sorted);
  assertEquals(m.size, sorted.length);
  for (let i = 0; i < sorted.length; i += 37) {
    assertEquals(m.at(i)?.key, sorted[i]);
    assertEquals([...m.entriesFromIndex(i)].map((e) => e.key), sorted.slice(i));
  }
  assertEquals(m.at(sorted.length), undefined);
  assertEquals(m.at(-1), undefined);
});

Deno.test("OrderedMap floor, ceiling and entriesFrom find neighbours", () => {
  const m = new OrderedMap<string>();
  for (const k of [10n, 20n, 30n]) m.set(k, `v${k}`);
  assertEquals(m.floor(9n), undefined);
  assertEquals(m.floor(10n)?.key, 10n);
  assertEquals(m.floor(29n)?.key, 20n);
  assertEquals(m.ceiling(21n)?.key, 30n);
  assertEquals(m.ceiling(31n), undefined);
  assertEquals([...m.entriesFrom(11n)].map((e) => e.value), ["v20", "v30"]);
  assertEquals(m.first()?.key, 10n);
  m.set(20n, "replaced");
  assertEquals(m.get(20n), "replaced");
  assertEquals(m.size, 3);
});

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

Deno.test("InsertionOrderList pages by index and restores removed items in place", () => {
  const l = new InsertionOrderList<string>();
  const hs = ["a", "b", "c", "d"].map((x) => l.push(x));
  l.remove(hs[1] ?? 0n);
  l.push("e");
  assertEquals([...l.valuesFrom(0)], ["a", "c", "d", "e"]);
  assertEquals([...l.valuesFrom(2)], ["d", "e"]);
  assertEquals(l.at(3), "e");
  l.restore(hs[1] ?? 0n, "b");
  assertEquals([...l.valuesFrom(0)], ["a", "b", "c", "d", "e"]);
  assertEquals(l.size, 5);
});

Deno.test("OrderedMap handles 200,000 keys in well under a second", () => {
  const m = new OrderedMap<number>();
  const t0 = performance.now();
  for (let i = 0; i < 200_000; i++) m.set(BigInt(i) * 2097152n, i);
  for (let i = 0; i < 200_000; i += 2) m.delete(BigInt(i) * 2097152n);
  const ms = performance.now() - t0;
  assertEquals(m.size, 100_000);
  assertEquals(m.at(0)?.value, 1);
  ok(ms < 3000, `200k inserts + 100k deletes took ${ms.toFixed(0)} ms, expected < 3000 ms`);
});
