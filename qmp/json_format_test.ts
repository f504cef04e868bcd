import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { formatJson, formatNumber, qdictOrder, quoteString, toQdictOrder } from "./json_format.ts";
import { parseJson } from "./json_stream.ts";

Deno.test("members come in QEMU's QDict order", () => {
  assertEquals(formatJson({ return: {}, id: 1 }), '{"return": {}, "id": 1}');
  assertEquals(
    formatJson({ error: { class: "C", desc: "d" }, id: 1 }),
    '{"id": 1, "error": {"class": "C", "desc": "d"}}',
  );
  assertEquals(
    formatJson({ event: "STOP", timestamp: { seconds: 1, microseconds: 2 } }),
    '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"}',
  );
  // same bucket: a QDict lists the most recently inserted first (QAPI inserts major, minor, micro)
  assertEquals(qdictOrder(["major", "minor", "micro"]), ["micro", "minor", "major"]);
  // the writer keeps an object's own order within a bucket (wire order, the model's convention)
  assertEquals(
    formatJson({ micro: 2, minor: 0, major: 10 }),
    '{"micro": 2, "minor": 0, "major": 10}',
  );
  assertEquals(
    formatJson(toQdictOrder({ major: 10, minor: 0, micro: 2 })),
    '{"micro": 2, "minor": 0, "major": 10}',
  );
  assertEquals(formatJson({ b: 1, a: 2 }, { qdictOrder: false }), '{"b": 1, "a": 2}');
});

Deno.test("numbers print as QEMU prints int64, uint64 and %.17g doubles", () => {
  const cases: [number | bigint, string][] = [
    [0.1, "0.10000000000000001"],
    [1, "1"],
    [1e300, "1.0000000000000001e+300"],
    [1e-7, "9.9999999999999995e-08"],
    [-0, "-0"],
    [1.5e16, "15000000000000000"],
    [1e21, "1e+21"],
    [1e17, "1e+17"],
    [4.9e-324, "4.9406564584124654e-324"],
    [18446744073709551616, "1.8446744073709552e+19"],
    [-9223372036854775809, "-9.2233720368547758e+18"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [123.456, "123.456"],
    [18446744073709551615n, "18446744073709551615"],
  ];
  for (const [n, want] of cases) {
    assertEquals(typeof n === "bigint" ? formatJson(n) : formatNumber(n), want, String(n));
  }
});

Deno.test("strings are escaped as QEMU's JSON writer does", () => {
  assertEquals(quoteString('a"b\\c/d'), '"a\\"b\\\\c/d"');
  assertEquals(quoteString("\b\f\n\r\t\x01\x7f\0"), '"\\b\\f\\n\\r\\t\\u0001\\u007F\\u0000"');
  assertEquals(quoteString("é中😀"), '"\\u00E9\\u4E2D\\uD83D\\uDE00"');
  assertEquals(quoteString("\ud800x\ufffe"), '"\\uFFFDx\\uFFFD"');
});

Deno.test("parse then format round-trips QEMU output", () => {
  const line =
    '{"return": {"status": "running", "running": true}, "id": [18446744073709551615, -9223372036854775808, 0.10000000000000001, "\\u00E9", {}, []]}';
  assertEquals(formatJson(parseJson(line)), line);
});
