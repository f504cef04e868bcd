import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  type JsonStreamItem,
  type JsonStreamOptions,
  JsonStreamParser,
  parseJson,
} from "./json_stream.ts";

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
  // An unfinished token at the end is a stray, as `-blockdev` JSON shows on 10.0.2.
  throws(() => parseJson('{"a":"x'), /^SyntaxError: JSON parse error, stray '"x'$/);
  throws(() => parseJson('{"a":[1e'), /^SyntaxError: JSON parse error, stray '1e'$/);
});

Deno.test("after a stray the lexer resumes at a comma or colon too, as QEMU 10.0.2 does", () => {
  assertEquals(parseAll("%a,1\n"), [
    { error: "JSON parse error, stray '%'" },
    { error: "JSON parse error, expecting value" },
    { value: 1 },
  ]);
  assertEquals(parseAll("%a:1\n"), [
    { error: "JSON parse error, stray '%'" },
    { error: "JSON parse error, expecting value" },
    { value: 1 },
  ]);
  assertEquals(parseAll("%a 1\n"), [{ error: "JSON parse error, stray '%'" }]);
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

// ---- The qemu-11.1 dialect, each case verified on QEMU 11.1.3 over QMP (the
// ---- qmp_capabilities line is line 1 there, so these inputs start with one).

const NEG = '{"execute":"qmp_capabilities"}\n';

/** The error texts 11.1 gives for `input` after the negotiation line. */
function errors11(input: string | Uint8Array): string[] {
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((i) => items.push(i), { dialect: "qemu-11.1" });
  p.feed(NEG);
  p.feed(input);
  return items.slice(1).map((i) => "error" in i ? i.error : `value ${JSON.stringify(i.value)}`);
}

Deno.test("11.1: parse errors start with LINE:COLUMN of the offending token, lines counted over the stream", () => {
  assertEquals(errors11("}"), ["2:1: JSON parse error, expecting value"]);
  assertEquals(errors11("  }"), ["2:3: JSON parse error, expecting value"]);
  assertEquals(errors11("\n\n}"), ["4:1: JSON parse error, expecting value"]);
  assertEquals(errors11('{"execute": "query-status"}\n\n[1 2]\n  [3 4]\n').slice(1), [
    "4:4: JSON parse error, expected ',' or ']'",
    "5:6: JSON parse error, expected ',' or ']'",
  ]);
  // Without the negotiation line the first line is 1.
  const items: JsonStreamItem[] = [];
  new JsonStreamParser((i) => items.push(i), { dialect: "qemu-11.1" }).feed("}");
  assertEquals(items, [{ error: "1:1: JSON parse error, expecting value" }]);
});

Deno.test("11.1: columns count bytes; CR and TAB are one column, only LF ends a line", () => {
  assertEquals(errors11("\r}"), ["2:2: JSON parse error, expecting value"]);
  assertEquals(errors11("\t}"), ["2:2: JSON parse error, expecting value"]);
  assertEquals(errors11("\r\n}"), ["3:1: JSON parse error, expecting value"]);
  // "é" and "😀" are 2 and 4 bytes of UTF-8.
  assertEquals(errors11('["é" 1]'), ["2:7: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11('["😀" 1]'), ["2:9: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11(" ".repeat(70000) + "}"), ["2:70001: JSON parse error, expecting value"]);
});

Deno.test("11.1: a token starting on the byte that ended a number or keyword is one column further", () => {
  assertEquals(errors11("[1}"), ["2:4: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11("[12}"), ["2:5: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11("[1.5}"), ["2:6: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11("[true}"), ["2:7: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11('[-0"x"]'), ["2:5: JSON parse error, expected ',' or ']'"]);
  // Whitespace in between resynchronises; strings and brackets end on their last byte.
  assertEquals(errors11("[1 }"), ["2:4: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11('["a"}'), ["2:5: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11("[[]}"), ["2:4: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11('{"a":true"b"}'), ["2:11: JSON parse error, expected ',' or '}'"]);
});

Deno.test("11.1: after a stray the byte ending the skipped text is one column further, even after spaces", () => {
  assertEquals(errors11("%}"), [
    "2:1: JSON parse error, stray '%'",
    "2:3: JSON parse error, expecting value",
  ]);
  assertEquals(errors11("% }"), [
    "2:1: JSON parse error, stray '%'",
    "2:4: JSON parse error, expecting value",
  ]);
  assertEquals(errors11("%\n}"), [
    "2:1: JSON parse error, stray '%'",
    "3:1: JSON parse error, expecting value",
  ]);
  assertEquals(errors11(Uint8Array.of(0xfe, 0xfe, 0x7d)), [
    "2:1: JSON parse error, stray '\uFFFD'",
    "2:3: JSON parse error, stray '\uFFFD'",
    "2:4: JSON parse error, expecting value",
  ]);
  assertEquals(errors11('{"execute": "query-status", "id": trueX}'), [
    "2:40: JSON parse error, stray 'X'",
    "2:41: JSON parse error, expecting value",
  ]);
  assertEquals(errors11('"a\nb" }'), [
    "2:1: JSON parse error, stray '\"a\n'",
    "3:5: JSON parse error, expecting value",
  ]);
});

Deno.test("11.1: grammar errors have the new texts", () => {
  const first = (t: string) => errors11(t)[0];
  assertEquals(first("{1: 2}"), "2:2: JSON parse error, expecting key");
  assertEquals(first("{tru: 2}"), "2:2: JSON parse error, expecting key");
  assertEquals(first("{]"), "2:2: JSON parse error, expecting key");
  assertEquals(first('{"a":1,}'), "2:8: JSON parse error, expecting key");
  assertEquals(first('{"a"  1}'), "2:7: JSON parse error, expecting ':'");
  assertEquals(first('{"a" "\\x"}'), "2:6: JSON parse error, expecting ':'");
  assertEquals(first('{"a" :1 "b":2}'), "2:9: JSON parse error, expected ',' or '}'");
  assertEquals(first('{"a":1]'), "2:8: JSON parse error, expected ',' or '}'");
  assertEquals(first("[1  2]"), "2:5: JSON parse error, expected ',' or ']'");
  assertEquals(first("[}"), "2:2: JSON parse error, expecting value");
  assertEquals(first("[1,,2]"), "2:4: JSON parse error, expecting value");
  assertEquals(first('{"a": tru}'), "2:7: JSON parse error, invalid keyword 'tru'");
  assertEquals(first('["\\x" 1]'), "2:2: JSON parse error, invalid escape sequence in string");
  assertEquals(first('{"\\x":1}'), "2:2: JSON parse error, invalid escape sequence in string");
  assertEquals(
    first('["a\\ud800"]'),
    "2:2: JSON parse error, \\ud800 is not a valid Unicode character",
  );
});

Deno.test("11.1: a duplicate key is reported at the last token of the repeated member's value", () => {
  const first = (t: string) => errors11(t)[0];
  assertEquals(first('{"a":1,"a":2}'), "2:12: JSON parse error, duplicate key");
  assertEquals(first('{"a":1,  "a"  :  2  }'), "2:18: JSON parse error, duplicate key");
  assertEquals(first('{"a":1,"a":[]}'), "2:13: JSON parse error, duplicate key");
  assertEquals(first('{"a":1,"a":[1,2,3]}'), "2:19: JSON parse error, duplicate key");
  assertEquals(first('{"a":1,"a":{"b":1}}'), "2:19: JSON parse error, duplicate key");
  assertEquals(first('{"a":1,"a":[1,\n2,\n3]}'), "4:3: JSON parse error, duplicate key");
  // Known as soon as the value is: before the message ends.
  assertEquals(errors11('{"a":1,"a":2 3'), ["2:12: JSON parse error, duplicate key"]);
  assertEquals(errors11('{"a":1,"a":2'), []);
});

Deno.test("11.1: errors show token by token, then the rest of the message is skipped silently", () => {
  assertEquals(errors11('{"execute": quer '), ["2:13: JSON parse error, invalid keyword 'quer'"]);
  assertEquals(errors11("[1 2 [3"), ["2:4: JSON parse error, expected ',' or ']'"]);
  assertEquals(errors11('[1 2 [3]] {"a": 1}'), [
    "2:4: JSON parse error, expected ',' or ']'",
    'value {"a":1}',
  ]);
  // The message ends where 10.0's would: brackets balance or go negative.
  assertEquals(errors11("[1 2 }] [1]"), [
    "2:4: JSON parse error, expected ',' or ']'",
    "2:7: JSON parse error, expecting value",
    "value [1]",
  ]);
  assertEquals(errors11('{"a" 1}{"b" 2}'), [
    "2:6: JSON parse error, expecting ':'",
    "2:13: JSON parse error, expecting ':'",
  ]);
});

Deno.test("11.1: a stray inside a skipped message is silent and starts a new message", () => {
  // The parser sees the keyword `query` before the lexer sees `-s`.
  assertEquals(errors11('{"execute": query-status}'), [
    "2:13: JSON parse error, invalid keyword 'query'",
    "2:26: JSON parse error, expecting value",
  ]);
  assertEquals(errors11("[1 2 %] ]"), [
    "2:4: JSON parse error, expected ',' or ']'",
    "2:8: JSON parse error, expecting value",
    "2:9: JSON parse error, expecting value",
  ]);
  assertEquals(errors11("[tRue]"), [
    "2:2: JSON parse error, invalid keyword 't'",
    "2:7: JSON parse error, expecting value",
  ]);
  // Outside a skipped message the stray is reported and the message dropped.
  assertEquals(errors11('{"execute": "query-status", "id": -01}'), [
    "2:35: JSON parse error, stray '-01'",
    "2:39: JSON parse error, expecting value",
  ]);
});

Deno.test("11.1: the nesting limit error is unprefixed and skips the rest of the message", () => {
  assertEquals(errors11("[".repeat(1025) + "]".repeat(1025) + "]"), [
    "JSON nesting depth limit exceeded",
    "2:2051: JSON parse error, expecting value",
  ]);
  // No nesting error once the message is being skipped.
  assertEquals(errors11("[1 2 " + "[".repeat(1030) + "]".repeat(1031) + " ]"), [
    "2:4: JSON parse error, expected ',' or ']'",
    "2:2068: JSON parse error, expecting value",
  ]);
  assertEquals(errors11("[".repeat(1030) + "%]]"), [
    "JSON nesting depth limit exceeded",
    "2:1033: JSON parse error, expecting value",
    "2:1033: JSON parse error, expecting value",
  ]);
});

Deno.test("11.1: size and count limits are unprefixed and skip the message, as 11.1.3 does at 64 MiB and 2 Mi tokens", () => {
  const run = (input: string, options: JsonStreamOptions) => {
    const items: JsonStreamItem[] = [];
    new JsonStreamParser((i) => items.push(i), { dialect: "qemu-11.1", ...options }).feed(input);
    return items;
  };
  // A token outgrowing the bound: the rest of it and of the message are skipped silently.
  assertEquals(
    run(`{"execute": "query-status", "id": "${"a".repeat(110)}"}\n{"id": 2}\n`, {
      maxMessageBytes: 100,
    }),
    [{ error: "JSON token size limit exceeded" }, { value: { id: 2 } }],
  );
  assertEquals(
    run(`["${"b".repeat(40)}", "${"b".repeat(40)}", 1]\n{"id": 3}`, { maxMessageBytes: 64 }),
    [
      { error: "JSON token size limit exceeded" },
      { value: { id: 3 } },
    ],
  );
  assertEquals(run('[1,1,1,1] {"id": 4}', { maxTokenCount: 5 }), [
    { error: "JSON token count limit exceeded" },
    { value: { id: 4 } },
  ]);
});

Deno.test("11.1: valid input parses to the same values as in 10.0", () => {
  const text =
    `{"a": [1, 2.5, "x\\u00e9", 18446744073709551615, -0.0, 1e400, {"__proto__": null}]} 'sq' [] {}` +
    "\n";
  const values = (dialect: "qemu-10.0" | "qemu-11.1") => {
    const items: JsonStreamItem[] = [];
    new JsonStreamParser((i) => items.push(i), { dialect }).feed(text);
    return items;
  };
  assertEquals(values("qemu-11.1"), values("qemu-10.0"));
  assertEquals(values("qemu-11.1").length, 4);
});

Deno.test("11.1: at end of input an open message is a premature end one column after the last byte", () => {
  // As QEMU 11.1.3 reports `-blockdev` JSON (QMP connections never flush).
  const atEnd = (t: string) => {
    const items: JsonStreamItem[] = [];
    const p = new JsonStreamParser((i) => items.push(i), { dialect: "qemu-11.1" });
    p.feed(t);
    p.flush();
    return items;
  };
  assertEquals(atEnd('{"driver":'), [{ error: "1:11: JSON parse error, premature end of input" }]);
  assertEquals(atEnd('{"a" '), [{ error: "1:6: JSON parse error, premature end of input" }]);
  assertEquals(atEnd('{"a"\n'), [{ error: "2:1: JSON parse error, premature end of input" }]);
  assertEquals(atEnd('{"a":[1'), [{ error: "1:9: JSON parse error, premature end of input" }]);
  assertEquals(atEnd('{"a":[1.5'), [{ error: "1:11: JSON parse error, premature end of input" }]);
  assertEquals(atEnd('{"a":tru'), [{ error: "1:6: JSON parse error, invalid keyword 'tru'" }]);
  assertEquals(atEnd('{"a":"x'), [{ error: "1:6: JSON parse error, stray '\"x'" }]);
  assertEquals(atEnd('{"a":[1e'), [{ error: "1:7: JSON parse error, stray '1e'" }]);
  assertEquals(atEnd("1"), [{ value: 1 }]);
});
