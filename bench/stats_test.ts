import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { growthPerTenfold, percentile, summarize } from "./stats.ts";

Deno.test("summarize gives median, nearest-rank p99, mean, min and max of unsorted samples", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  const s = summarize(samples);
  assertEquals(s, { n: 100, mean: 50.5, median: 50.5, p99: 99, min: 1, max: 100 });
});

Deno.test("summarize of an odd count takes the middle sample as median", () => {
  assertEquals(summarize([5, 1, 9]).median, 5);
});

Deno.test("percentile and summarize refuse empty input", () => {
  throws(() => summarize([]), RangeError);
  throws(() => percentile([], 50), RangeError);
  throws(() => percentile([1], 101), RangeError);
});

Deno.test("growthPerTenfold normalises a cost ratio to one decade of size", () => {
  assertEquals(growthPerTenfold(10, 1, 1000, 4), 2);
  assertEquals(growthPerTenfold(512, 3, 10_000, 3), 1);
  throws(() => growthPerTenfold(100, 1, 10, 1), RangeError);
});
