import assert from "node:assert/strict";
import { formatMismatch, match, matchUnordered, unifiedDiff } from "./matchers.ts";

Deno.test("match compares objects regardless of member order and numbers by value", () => {
  assert.equal(match({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), undefined);
  assert.equal(match(18446744073709551615n, 18446744073709551615n), undefined);
  assert.equal(match(5, 5n), undefined);
  assert.notEqual(match(18446744073709551615n, 18446744073709551614n), undefined);
});

Deno.test("match reports the path of the first difference", () => {
  const m = match({ return: { records: [{ type: "add" }] } }, {
    return: { records: [{ type: "rel" }] },
  });
  assert.deepEqual(m, { path: "$.return.records[0].type", expected: '"add"', actual: '"rel"' });
});

Deno.test("match reports extra and missing members", () => {
  assert.equal(match({ a: 1 }, { a: 1, b: 2 })?.path, "$.b");
  assert.equal(match({ a: 1, b: 2 }, { a: 1 })?.actual, "(absent)");
  assert.equal(match({ "record-count": 1 }, { "record-count": 2 })?.path, "$.record-count");
});

Deno.test("$any matches any present value", () => {
  assert.equal(match({ a: "$any" }, { a: null }), undefined);
  assert.notEqual(match({ a: "$any" }, {}), undefined);
});

Deno.test("$timestamp matches only non-negative integer seconds and microseconds", () => {
  assert.equal(match("$timestamp", { seconds: 1, microseconds: 0 }), undefined);
  assert.notEqual(match("$timestamp", { seconds: -1, microseconds: 0 }), undefined);
  assert.notEqual(match("$timestamp", { seconds: 1 }), undefined);
  assert.notEqual(match("$timestamp", { seconds: 1.5, microseconds: 0 }), undefined);
});

Deno.test("$number and $string match by type", () => {
  assert.equal(match("$number", 2n ** 64n), undefined);
  assert.notEqual(match("$number", "1"), undefined);
  assert.equal(match("$string", ""), undefined);
  assert.notEqual(match("$string", 1), undefined);
});

Deno.test("$regex is anchored", () => {
  assert.equal(match({ $regex: "Device '.*' not found" }, "Device 'x' not found"), undefined);
  assert.notEqual(match({ $regex: "not found" }, "Device 'x' not found"), undefined);
});

Deno.test('"...": "..." allows other members', () => {
  assert.equal(match({ "...": "...", a: 1 }, { a: 1, b: 2 }), undefined);
  assert.notEqual(match({ "...": "...", a: 1 }, { a: 2, b: 2 }), undefined);
});

Deno.test("$unordered matches arrays in any order with a maximum matching", () => {
  assert.equal(match({ $unordered: [1, 2, 3] }, [3, 1, 2]), undefined);
  // "$any" listed first must not steal the 1 that the literal needs.
  assert.equal(match({ $unordered: ["$any", 1] }, [1, 2]), undefined);
  assert.notEqual(match({ $unordered: [1, 1] }, [1, 2]), undefined);
  assert.notEqual(matchUnordered([1], [1, 2]), undefined);
});

Deno.test('"$$" stands for a literal string starting with "$"', () => {
  assert.equal(match("$$any", "$any"), undefined);
  assert.notEqual(match("$$any", "x"), undefined);
});

Deno.test("an unknown matcher is an error naming the known ones", () => {
  assert.throws(() => match("$nope", 1), /unknown matcher "\$nope".*\$any/);
});

Deno.test("formatMismatch shows the path, both values and a unified view", () => {
  const e = { error: { class: "GenericError", desc: "a" } };
  const a = { error: { class: "GenericError", desc: "b" } };
  const text = formatMismatch(match(e, a)!, e, a);
  assert.match(text, /first difference at \$\.error\.desc/);
  assert.match(text, /expected: "a"/);
  assert.match(text, /actual: {3}"b"/);
  assert.match(text, /--- expected\n\+\+\+ actual/);
});

Deno.test("unifiedDiff trims common lines and caps long hunks", () => {
  const a = Array.from({ length: 100 }, (_, i) => `l${i}`);
  const b = a.map((l, i) => (i >= 10 && i < 80 ? l + "!" : l));
  const d = unifiedDiff(a, b, 5);
  assert.ok(d.includes("  l9"));
  assert.ok(d.includes("- l10"));
  assert.ok(d.includes("+ l10!"));
  assert.ok(d.some((l) => l.includes("65 more lines")));
  assert.deepEqual(unifiedDiff(a, a), []);
});
