import { deepStrictEqual as assertEquals } from "node:assert";
import { InsertionOrderList } from "./insertion_order_list.ts";

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
