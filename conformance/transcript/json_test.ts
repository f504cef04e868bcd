import assert from "node:assert/strict";
import {
  formatJsonForTranscript,
  JsonSyntaxError,
  parseJson,
  readJson,
  stringifyJson,
} from "./json.ts";

Deno.test("parseJson keeps integers beyond 2^53 exactly as bigint", () => {
  const v = parseJson('{"n": 18446744073709551615, "s": 9007199254740991, "f": 1.5}');
  assert.deepEqual(v, { n: 18446744073709551615n, s: 9007199254740991, f: 1.5 });
});

Deno.test("parseJson rejects trailing text, duplicate members and bad escapes", () => {
  assert.throws(() => parseJson("{} x"), /expected the end of the text/);
  assert.throws(() => parseJson('{"a": 1, "a": 2}'), /duplicate member name "a"/);
  assert.throws(() => parseJson('"\\q"'), /valid escape/);
  assert.throws(() => parseJson("[1,]"), /expected a JSON value/);
});

Deno.test("readJson flags text that ends too early as incomplete", () => {
  try {
    readJson('{"a": [1, 2', 0);
    assert.fail("expected an error");
  } catch (e) {
    assert.ok(e instanceof JsonSyntaxError);
    assert.equal(e.incomplete, true);
  }
});

Deno.test("readJson returns the offset after the value", () => {
  const r = readJson('  {"a": "x\\ny"}  rest', 0);
  assert.deepEqual(r.value, { a: "x\ny" });
  assert.equal(r.end, 15);
});

Deno.test("stringifyJson writes compact and pretty forms with bigint", () => {
  assert.equal(
    stringifyJson({ a: [1, 2n ** 64n], b: {} }),
    '{"a":[1,18446744073709551616],"b":{}}',
  );
  assert.equal(stringifyJson({ a: [1] }, 2), '{\n  "a": [\n    1\n  ]\n}');
});

Deno.test("formatJsonForTranscript uses one spaced line until the width is exceeded", () => {
  assert.equal(formatJsonForTranscript({ a: [1, 2] }, 100), '{"a": [1, 2]}');
  assert.ok(formatJsonForTranscript({ a: "x".repeat(200) }, 100).includes("\n"));
});

Deno.test("parseJson keeps a __proto__ member as data", () => {
  const v = parseJson('{"__proto__": 1}') as Record<string, unknown>;
  assert.equal(Object.keys(v).join(), "__proto__");
});

Deno.test("formatJsonForTranscript breaks only what does not fit, keeping small parts on one line", () => {
  const v = {
    "return": { "records": [{ "type": "add-capacity", "extent": { "dpa": 0, "len": 2 } }], "n": 1 },
  };
  assert.equal(
    formatJsonForTranscript(v, 70),
    '{\n  "return": {\n    "records": [\n      {"type": "add-capacity", "extent": {"dpa": 0, "len": 2}}\n    ],\n    "n": 1\n  }\n}',
  );
});
