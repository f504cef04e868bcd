import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { CHUNK_MAX, OrderedMap } from "./ordered_map.ts";
import { xorshift } from "./testdata/xorshift.ts";

/** Index of the first element of sorted `keys` that is >= `k`. */
function lowerIndex(keys: readonly bigint[], k: bigint): number {
  const i = keys.findIndex((x) => x >= k);
  return i < 0 ? keys.length : i;
}

Deno.test("OrderedMap agrees with a sorted array through chunk splits and merges", () => {
  const m = new OrderedMap<number>();
  const ref = new Map<bigint, number>();
  const r = xorshift(4242);
  const space = CHUNK_MAX * 40;
  for (let i = 0; i < 30_000; i++) {
    const k = BigInt(Math.floor(r() * space));
    // Grow past many chunks first, then shrink so that chunks merge and vanish.
    if (r() < (i < 15_000 ? 0.7 : 0.25)) {
      m.set(k, i);
      ref.set(k, i);
    } else {
      assertEquals(m.delete(k), ref.delete(k));
    }
    if (i % 97 !== 0) continue;
    const keys = [...ref.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assertEquals(m.size, keys.length);
    const lo = lowerIndex(keys, k);
    const floorKey = keys[lo] === k ? k : keys[lo - 1];
    assertEquals(m.floor(k)?.key, floorKey);
    assertEquals(m.floorValue(k), floorKey === undefined ? undefined : ref.get(floorKey));
    assertEquals(m.ceiling(k)?.key, keys[lo]);
    const belowKey = keys[lo - 1];
    assertEquals(m.belowValue(k), belowKey === undefined ? undefined : ref.get(belowKey));
    const hi = k + BigInt(CHUNK_MAX * 3);
    const inRange: number[] = [];
    m.valuesInRange(k, hi, inRange);
    assertEquals(inRange, keys.filter((x) => x >= k && x < hi).map((x) => ref.get(x)));
    const fromFloor: number[] = [];
    m.valuesFromFloor(k, hi, fromFloor);
    const floorAndRange = keys.filter((x) => x === floorKey || (x > k && x < hi));
    assertEquals(fromFloor, floorAndRange.map((x) => ref.get(x)));
    const at = Math.floor(r() * (keys.length + 1));
    assertEquals(m.at(at)?.key, keys[at]);
    assertEquals([...m.entriesFromIndex(at)].map((e) => e.key), keys.slice(at));
  }
  assertEquals([...m.keys()], [...ref.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
});

Deno.test("OrderedMap empties completely and refills after deleting from the front", () => {
  const m = new OrderedMap<number>();
  // Enough chunks that the dropped front ones are compacted away several times.
  const n = CHUNK_MAX * 300;
  for (let i = 0; i < n; i++) m.set(BigInt(i), i);
  for (let i = 0; i < n; i++) {
    assertEquals(m.first()?.key, BigInt(i));
    if (i % 997 === 0) {
      assertEquals(m.at(n - i - 1)?.key, BigInt(n - 1));
      assertEquals(m.belowValue(BigInt(i)), undefined);
      assertEquals(m.floor(BigInt(i) + 1n)?.key, BigInt(i) + (i + 1 < n ? 1n : 0n));
    }
    assertEquals(m.delete(BigInt(i)), true);
  }
  assertEquals([m.size, m.first(), m.floor(3n), m.ceiling(0n), [...m]], [
    0,
    undefined,
    undefined,
    undefined,
    [],
  ]);
  m.set(7n, 7);
  assertEquals([...m.keys()], [7n]);
});

Deno.test("OrderedMap with number keys agrees with a sorted array through mixed inserts and deletes after its front chunks were compacted away", () => {
  const m = new OrderedMap<number, number>();
  const ref = new Map<number, number>();
  const n = CHUNK_MAX * 200;
  for (let i = 0; i < n; i++) {
    m.set(i, i);
    ref.set(i, i);
  }
  // Deleting three quarters from the front drops enough chunks to compact the chunk lists.
  for (let i = 0; i < (n * 3) / 4; i++) {
    assertEquals(m.delete(i), true);
    ref.delete(i);
  }
  const r = xorshift(2026);
  for (let i = 0; i < 20_000; i++) {
    const k = Math.floor(r() * n * 1.5);
    if (r() < 0.5) {
      m.set(k, -i);
      ref.set(k, -i);
    } else {
      assertEquals(m.delete(k), ref.delete(k), `delete ${k}`);
    }
    if (i % 53 !== 0) continue;
    const keys = [...ref.keys()].sort((a, b) => a - b);
    assertEquals(m.size, keys.length);
    const lo = keys.findIndex((x) => x >= k);
    const at = lo < 0 ? keys.length : lo;
    assertEquals(m.ceiling(k)?.key, keys[at], `ceiling ${k}`);
    assertEquals(m.floor(k)?.key, keys[at] === k ? k : keys[at - 1], `floor ${k}`);
    // entriesFrom walks across chunk boundaries: compare three chunks' worth.
    const walked: number[] = [];
    for (const e of m.entriesFrom(k)) {
      if (walked.length === CHUNK_MAX * 3) break;
      walked.push(e.key);
    }
    assertEquals(walked, keys.slice(at, at + CHUNK_MAX * 3), `entriesFrom ${k}`);
    const index = Math.floor(r() * keys.length);
    assertEquals(m.at(index)?.value, ref.get(keys[index]!), `at ${index}`);
    const inRange: number[] = [];
    m.valuesInRange(k, k + CHUNK_MAX * 2, inRange);
    assertEquals(
      inRange,
      keys.filter((x) => x >= k && x < k + CHUNK_MAX * 2).map((x) => ref.get(x)),
    );
  }
  assertEquals([...m.keys()], [...ref.keys()].sort((a, b) => a - b));
});

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
