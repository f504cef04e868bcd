import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { type JsonStreamItem, JsonStreamParser, parseJson } from "./json_stream.ts";

function parseAll(input: string | Uint8Array, options = {}): JsonStreamItem[] {
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((i) => items.push(i), options);
  p.feed(input);
  return items;
}

Deno.test("feeding byte by byte gives the same items as feeding at once", () => {
  const text = `{"a": [1, 2.5, "x\\u00e9"]} {"execute": query-status} 'sq' [1 2] }` + "\n";
  const whole = parseAll(text);
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((i) => items.push(i));
  for (const b of new TextEncoder().encode(text)) p.feed(Uint8Array.of(b));
  assertEquals(items, whole);
  assertEquals(whole.length, 6);
});

Deno.test("one malformed line produces QEMU's two errors and recovery skips to the closing brace", () => {
  assertEquals(parseAll('{"execute": query-status}'), [
    { error: "JSON parse error, stray '-s'" },
    { error: "JSON parse error, expecting value" },
  ]);
});

Deno.test("an unterminated object produces nothing until it completes", () => {
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((i) => items.push(i));
  p.feed('{"execute": "query-status"');
  assertEquals(items, []);
  assertEquals(p.pendingBytes > 0, true);
  p.feed("}");
  assertEquals(items, [{ value: { execute: "query-status" } }]);
  assertEquals(p.pendingBytes, 0);
});

Deno.test("integers stay exact: safe ones as number, int64/uint64 beyond as bigint, larger as double", () => {
  assertEquals(
    parseJson("[9007199254740991, 9007199254740992, 18446744073709551615, -9223372036854775808]"),
    [
      9007199254740991,
      9007199254740992n,
      18446744073709551615n,
      -9223372036854775808n,
    ],
  );
  assertEquals(parseJson("18446744073709551616"), 18446744073709551616);
  assertEquals(parseJson("-0"), 0);
  assertEquals(Object.is(parseJson("-0.0"), -0), true);
  assertEquals(parseJson("1e400"), Infinity);
});

Deno.test("single-quoted strings, escapes and NUL are accepted as QEMU accepts them", () => {
  assertEquals(parseJson(`'a"b\\''`), `a"b'`);
  assertEquals(parseJson(`"\\u0000\\/\\ud83d\\ude00"`), "\0/\u{1F600}");
  assertEquals(parseJson(Uint8Array.of(0x22, 0xc0, 0x80, 0x22)), "\0");
});

Deno.test("string errors use QEMU's texts", () => {
  throws(
    () => parseJson(`"\\x"`),
    /^SyntaxError: JSON parse error, invalid escape sequence in string$/,
  );
  throws(
    () => parseJson(`"\\ud800"`),
    /JSON parse error, \\ud800 is not a valid Unicode character/,
  );
  throws(() => parseJson(`"\\u12"`), /JSON parse error, \\u12" is not a valid Unicode character/);
  throws(
    () => parseJson(Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22)),
    /invalid UTF-8 sequence in string/,
  );
  assertEquals(parseAll(Uint8Array.of(0x22, 0x61, 0xff, 0x22)), [{
    error: "JSON parse error, stray '\"a\uFFFD'",
  }]);
});

Deno.test("structural errors use QEMU's texts", () => {
  const err = (t: string) => (parseAll(t)[0] as { error: string }).error;
  assertEquals(err("{1: 2}"), "JSON parse error, key is not a string in object");
  assertEquals(err('{"a" 1}'), "JSON parse error, missing : in object pair");
  assertEquals(err('{"a": 1 2}'), "JSON parse error, expected separator in dict");
  assertEquals(err("[1 2]"), "JSON parse error, expected separator in list");
  assertEquals(err('{"a": 1, "a": 2}'), "JSON parse error, duplicate key");
  assertEquals(err('{"a": tru}'), "JSON parse error, invalid keyword 'tru'");
  assertEquals(err("}"), "JSON parse error, expecting value");
});

Deno.test("nesting above 1024 is refused with QEMU's error, 1024 is fine", () => {
  assertEquals(parseAll("[".repeat(1024) + "]".repeat(1024)).length, 1);
  assertEquals(parseAll("[".repeat(1025))[0], { error: "JSON nesting depth limit exceeded" });
});

Deno.test("a message above the size bound gets QEMU's size error, also while a token grows", () => {
  assertEquals(parseAll(`["${"a".repeat(100)}", 1]`, { maxMessageBytes: 50 })[0], {
    error: "JSON token size limit exceeded",
  });
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((i) => items.push(i), { maxMessageBytes: 1000 });
  p.feed('"');
  for (let i = 0; i < 100; i++) p.feed("a".repeat(100));
  assertEquals(items[0], { error: "JSON token size limit exceeded" });
  assertEquals(p.pendingBytes <= 1000, true);
});

Deno.test("a __proto__ member is an ordinary own member", () => {
  const v = parseJson('{"__proto__": {"x": 1}}') as Record<string, unknown>;
  assertEquals(Object.keys(v), ["__proto__"]);
  assertEquals(Object.getPrototypeOf(v), Object.prototype);
});

Deno.test("parseJson refuses empty input, several values and incomplete input", () => {
  throws(() => parseJson("  "), /expected one JSON value, got empty input/);
  throws(() => parseJson("1 2"), /got 2 messages/);
  throws(() => parseJson('{"a": 1'), /premature EOI/);
});

Deno.test("after the size error the rest of the giant token is lexed afresh, as QEMU 10.0.2 does at 64 MiB", () => {
  // Verified on QEMU with a 64 MiB + 10 string: the same four answers.
  const items = parseAll(`{"execute": "query-status", "id": "${"a".repeat(110)}"}\n{"id": 2}\n`, {
    maxMessageBytes: 100,
  });
  assertEquals(items, [
    { error: "JSON token size limit exceeded" },
    { error: "JSON parse error, invalid keyword 'aaaaaaaaaa'" },
    { error: "JSON parse error, stray '\"}\n'" },
    { value: { id: 2 } },
  ]);
});
