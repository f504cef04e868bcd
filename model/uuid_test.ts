import { deepStrictEqual as assertEquals, throws } from "node:assert";
import {
  formatUuid,
  isNilUuid,
  isUuid,
  NIL_UUID,
  parseUuid,
  tryParseUuid,
  uuidEquals,
} from "./uuid.ts";

Deno.test("parseUuid stores bytes in textual order", () => {
  const b = parseUuid("ca95afa7-f183-4018-8c2f-95268e101a2a");
  assertEquals(
    Array.from(b),
    [
      0xca,
      0x95,
      0xaf,
      0xa7,
      0xf1,
      0x83,
      0x40,
      0x18,
      0x8c,
      0x2f,
      0x95,
      0x26,
      0x8e,
      0x10,
      0x1a,
      0x2a,
    ],
  );
});

Deno.test("parseUuid ignores letter case and formatUuid writes lower case", () => {
  const upper = parseUuid("6BE13BCE-AE34-4A77-B6C3-16DF975FCF1A");
  assertEquals(formatUuid(upper), "6be13bce-ae34-4a77-b6c3-16df975fcf1a");
  assertEquals(uuidEquals(upper, parseUuid("6be13bce-ae34-4a77-b6c3-16df975fcf1a")), true);
});

Deno.test("parseUuid rejects text that is not a UUID, saying what was expected", () => {
  for (
    const bad of [
      "not-a-uuid",
      "",
      "6be13bce-ae34-4a77-b6c3-16df975fcf1",
      "6be13bceae344a77b6c316df975fcf1a",
      "6be13bce-ae34-4a77-b6c3-16df975fcf1g",
      " 6be13bce-ae34-4a77-b6c3-16df975fcf1a",
    ]
  ) {
    assertEquals(isUuid(bad), false);
    assertEquals(tryParseUuid(bad), undefined);
    throws(() => parseUuid(bad), { name: "SyntaxError", message: /expected the form/ });
  }
});

Deno.test("nil UUID is all zero and recognised", () => {
  assertEquals(formatUuid(NIL_UUID), "00000000-0000-0000-0000-000000000000");
  assertEquals(isNilUuid(NIL_UUID), true);
  assertEquals(isNilUuid(parseUuid("00000000-0000-0000-0000-000000000001")), false);
});

Deno.test("formatUuid rejects a byte array of the wrong length", () => {
  throws(() => formatUuid(new Uint8Array(15)), { name: "RangeError", message: /16 bytes/ });
});

Deno.test("uuidEquals compares every byte", () => {
  const a = parseUuid("6be13bce-ae34-4a77-b6c3-16df975fcf1a");
  const b = parseUuid("6be13bce-ae34-4a77-b6c3-16df975fcf1b");
  assertEquals(uuidEquals(a, b), false);
  assertEquals(uuidEquals(a, new Uint8Array(3)), false);
});
