import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert";
import { decodeHostReply, encodeHostRequest, HOST_COMMANDS, HostFieldError } from "./codec.ts";
import { fromHex, toHex, uuidBytes, writeUint } from "./bytes.ts";
import { DC_EVENT_UUID } from "./layouts.ts";
import { parseReturnCode, returnCodeName } from "./return_codes.ts";

function hex(command: string, fields: Record<string, unknown>): string {
  // deno-lint-ignore no-explicit-any
  const r = encodeHostRequest(command, fields as any);
  return `${r.opcode.toString(16)}:${toHex(r.payload)}`;
}

Deno.test("every named command has the opcode of its layout", () => {
  const opcodes = Object.fromEntries(
    Object.entries(HOST_COMMANDS).map(([name, c]) => [name, c.opcode]),
  );
  assertEquals(opcodes, {
    "identify": 0x4000,
    "get-event-records": 0x0100,
    "clear-event-records": 0x0101,
    "get-event-interrupt-policy": 0x0102,
    "set-event-interrupt-policy": 0x0103,
    "get-timestamp": 0x0300,
    "set-timestamp": 0x0301,
    "get-dc-config": 0x4800,
    "get-dc-extent-list": 0x4801,
    "add-dc-response": 0x4802,
    "release-dc": 0x4803,
    "raw": undefined,
  });
});

Deno.test("inputs encode little-endian with the documented defaults", () => {
  assertEquals(hex("identify", {}), "4000:");
  assertEquals(hex("get-dc-config", {}), "4800:0800");
  assertEquals(hex("get-dc-config", { "region-count": 1, "start-region": 2 }), "4800:0102");
  assertEquals(hex("get-dc-extent-list", {}), "4801:3200000000000000");
  assertEquals(
    hex("get-dc-extent-list", { count: 0x01020304, "start-index": 5 }),
    "4801:0403020105000000",
  );
  assertEquals(hex("get-event-records", { log: "dynamic-capacity" }), "100:04");
  assertEquals(hex("get-event-records", { log: 7 }), "100:07");
  assertEquals(
    hex("clear-event-records", { log: 4, handles: [1, 0x102] }),
    "101:0400020000000100" + "0201",
  );
  assertEquals(
    hex("clear-event-records", { log: "informational", handles: [1], count: 3, flags: 1 }),
    "101:0001030000000100",
  );
  assertEquals(hex("set-timestamp", { timestamp: 0x0102030405060708n }), "301:0807060504030201");
  assertEquals(hex("set-event-interrupt-policy", { "dynamic-capacity": 1 }), "103:0000000001");
  assertEquals(
    hex("set-event-interrupt-policy", { informational: 1, "dynamic-capacity": null }),
    "103:01000000",
  );
});

Deno.test("add-dc-response and release-dc encode count, flags and 0x18-byte entries", () => {
  const expected = "02000000" + "00000000" +
    "0000000000000000" + "0000000400000000" + "0000000000000000" +
    "0000000800000000" + "0000200000000000" + "0000000000000000";
  const extents = [{ dpa: 0, len: 0x4000000 }, { dpa: 0x8000000, len: 0x200000 }];
  assertEquals(hex("add-dc-response", { extents }), `4802:${expected}`);
  assertEquals(hex("release-dc", { extents }), `4803:${expected}`);
  assertEquals(
    hex("add-dc-response", { extents: [], count: 1, flags: 0xff }),
    "4802:01000000ff000000",
  );
  assertEquals(
    hex("release-dc", { extents: [{ dpa: 18446744073709551615n, len: 1 }] }),
    "4803:0100000000000000" + "ffffffffffffffff" + "0100000000000000" + "0000000000000000",
  );
});

Deno.test("payload-length cuts or zero-pads the encoded input", () => {
  assertEquals(hex("get-dc-config", { "payload-length": 1 }), "4800:08");
  assertEquals(hex("get-dc-config", { "payload-length": 4 }), "4800:08000000");
  assertEquals(hex("identify", { "payload-length": 2 }), "4000:0000");
  assertEquals(
    hex("add-dc-response", { extents: [{ dpa: 0, len: 2097152 }], "payload-length": 7 }),
    "4802:01000000000000",
  );
});

Deno.test("raw sends the given opcode and payload and shows the output as hex", () => {
  assertEquals(hex("raw", { opcode: 0x4800, "payload-hex": "0x01 00" }), "4800:0100");
  assertEquals(hex("raw", { opcode: 0x4000 }), "4000:");
  assertEquals(
    decodeHostReply("raw", { rc: 3, payload: fromHex("beef") }),
    { rc: "UNSUPPORTED", output: { "payload-hex": "beef" } },
  );
});

Deno.test("bad input fields are refused with what was expected", () => {
  assertThrows(() => encodeHostRequest("nope", {}), HostFieldError);
  assertThrows(() => encodeHostRequest("nope", {}), /unknown host command .nope./);
  assertThrows(
    () => encodeHostRequest("get-dc-config", { region: 1 }),
    /get-dc-config: unknown field 'region'; expected only region-count, start-region/,
  );
  assertThrows(
    () => encodeHostRequest("get-dc-config", { "region-count": 256 }),
    /field 'region-count' is 256; expected an unsigned 8-bit integer/,
  );
  assertThrows(
    () => encodeHostRequest("get-event-records", { log: "dc" }),
    /field 'log' is "dc"; expected one of informational, warning/,
  );
  assertThrows(
    () => encodeHostRequest("add-dc-response", { extents: [{ dpa: 0 }] }),
    /add-dc-response: extents\[0\].len is missing/,
  );
  assertThrows(
    () => encodeHostRequest("add-dc-response", { extents: [{ dpa: 0, len: 1, tag: "x" }] }),
    /unknown member 'tag'/,
  );
  assertThrows(
    () => encodeHostRequest("raw", { "payload-hex": "00" }),
    /raw: field 'opcode' is missing/,
  );
  assertThrows(
    () => encodeHostRequest("raw", { opcode: 1, "payload-hex": "0" }),
    /invalid hex text/,
  );
});

Deno.test("get-dc-config output decodes regions and extent counts", () => {
  // 2 regions of 1 GiB, as QEMU 10.0.2 reports them (104 bytes).
  const p = new Uint8Array(104);
  p[0] = 2;
  p[1] = 2;
  for (let i = 0; i < 2; i++) {
    const at = 8 + 0x28 * i;
    writeUint(p, at, 8, BigInt(i) * 0x40000000n);
    writeUint(p, at + 8, 8, 4);
    writeUint(p, at + 0x10, 8, 0x40000000);
    writeUint(p, at + 0x18, 8, 0x200000);
    writeUint(p, at + 0x20, 4, i);
  }
  writeUint(p, 88, 4, 512);
  writeUint(p, 92, 4, 510);
  const region = (base: number, handle: number) => ({
    base,
    "decode-length": 4,
    "region-length": 1073741824,
    "block-size": 2097152,
    "dsmad-handle": handle,
    flags: 0,
  });
  assertEquals(decodeHostReply("get-dc-config", { rc: 0, payload: p }), {
    rc: "SUCCESS",
    output: {
      "num-regions": 2,
      "regions-returned": 2,
      regions: [region(0, 0), region(1073741824, 1)],
      "extents-supported": 512,
      "extents-available": 510,
      "tags-supported": 0,
      "tags-available": 0,
    },
  });
});

Deno.test("get-dc-extent-list output decodes extents with tags as UUID text", () => {
  const p = new Uint8Array(16 + 40 + 3);
  writeUint(p, 0, 4, 1);
  writeUint(p, 4, 4, 7);
  writeUint(p, 16, 8, 0x20000000000000n); // beyond 2^53
  writeUint(p, 24, 8, 0x200000);
  p.set(uuidBytes("5be13bce-ae34-4a77-b6c3-16df975fcf1a"), 32);
  writeUint(p, 48, 2, 9);
  p[56] = 0xaa;
  assertEquals(decodeHostReply("get-dc-extent-list", { rc: 0, payload: p }).output, {
    returned: 1,
    total: 7,
    generation: 0,
    extents: [{
      dpa: 0x20000000000000n,
      len: 2097152,
      tag: "5be13bce-ae34-4a77-b6c3-16df975fcf1a",
      "shared-seq": 9,
    }],
    "trailing-hex": "aa0000",
  });
});

Deno.test("get-event-records output decodes the header and DC records", () => {
  const p = new Uint8Array(0x20 + 0x80 * 2);
  p[0] = 3;
  writeUint(p, 2, 2, 2);
  writeUint(p, 4, 8, 11);
  writeUint(p, 0xc, 8, 12);
  writeUint(p, 0x14, 2, 2);
  const dc = 0x20;
  p.set(uuidBytes(DC_EVENT_UUID), dc);
  p[dc + 0x10] = 0x80;
  writeUint(p, dc + 0x11, 3, 1);
  writeUint(p, dc + 0x14, 2, 1);
  writeUint(p, dc + 0x18, 8, 99);
  p[dc + 0x30] = 1;
  writeUint(p, dc + 0x32, 2, 5);
  p[dc + 0x35] = 1;
  writeUint(p, dc + 0x38, 8, 0x40000000);
  writeUint(p, dc + 0x40, 8, 0x8000000);
  writeUint(p, dc + 0x78, 4, 500);
  const other = dc + 0x80;
  p.set(uuidBytes("fbcd0a77-c260-417f-85a9-088b1621eba6"), other);
  p[other + 0x10] = 0x80;
  writeUint(p, other + 0x14, 2, 3);
  p[other + 0x30] = 0xab;
  const out = decodeHostReply("get-event-records", { rc: 0, payload: p }).output;
  assertEquals(out, {
    overflow: true,
    "more-records": true,
    "overflow-count": 2,
    "first-overflow-timestamp": 11,
    "last-overflow-timestamp": 12,
    "record-count": 2,
    records: [{
      uuid: DC_EVENT_UUID,
      length: 128,
      flags: 1,
      handle: 1,
      "related-handle": 0,
      timestamp: 99,
      "maintenance-class": 0,
      type: "release-capacity",
      validity: 0,
      "host-id": 5,
      "region-id": 0,
      more: true,
      extent: {
        dpa: 1073741824,
        len: 134217728,
        tag: "00000000-0000-0000-0000-000000000000",
        "shared-seq": 0,
      },
      "extents-available": 500,
      "tags-available": 0,
    }, {
      uuid: "fbcd0a77-c260-417f-85a9-088b1621eba6",
      length: 128,
      flags: 0,
      handle: 3,
      "related-handle": 0,
      timestamp: 0,
      "maintenance-class": 0,
      "data-hex": "ab" + "00".repeat(0x4f),
    }],
  });
});

Deno.test("identify, timestamp and interrupt policy outputs decode every field", () => {
  const id = new Uint8Array(0x45);
  id.set(new TextEncoder().encode("BWFW VERSION 00"), 0);
  writeUint(id, 0x18, 8, 0);
  writeUint(id, 0x28, 8, 0);
  writeUint(id, 0x30, 2, 8);
  writeUint(id, 0x43, 2, 8);
  const out = decodeHostReply("identify", { rc: 0, payload: id }).output;
  assertEquals(out["fw-revision"], "BWFW VERSION 00");
  assertEquals(out["informational-event-log-size"], 8);
  assertEquals(out["dynamic-capacity-event-log-size"], 8);
  assertEquals(Object.keys(out).length, 15);
  assertEquals(
    decodeHostReply("get-timestamp", { rc: 0, payload: fromHex("0100000000000000") }).output,
    { timestamp: 1 },
  );
  assertEquals(
    decodeHostReply("get-event-interrupt-policy", { rc: 0, payload: fromHex("0100000001") })
      .output,
    { informational: 1, warning: 0, failure: 0, fatal: 0, "dynamic-capacity": 1 },
  );
});

Deno.test("decoding is total: empty, short and over-long payloads stay visible", () => {
  assertEquals(decodeHostReply("get-dc-config", { rc: 2, payload: new Uint8Array(0) }), {
    rc: "INVALID_INPUT",
    output: {},
  });
  const short = decodeHostReply("get-dc-extent-list", { rc: 0, payload: fromHex("01000000") });
  assertEquals(short.output["payload-hex"], "01000000");
  assertEquals(
    short.output["decode-error"],
    "the Get DC Extent List header needs 16 bytes, but the output payload has 4",
  );
  assertEquals(
    decodeHostReply("add-dc-response", { rc: 0, payload: fromHex("00ff") }).output,
    { "trailing-hex": "00ff" },
  );
  assertEquals(decodeHostReply("release-dc", { rc: 0x1e, payload: new Uint8Array(0) }), {
    rc: "INVALID_EXTENT_LIST",
    output: {},
  });
});

Deno.test("return codes read and print by name or hex", () => {
  assertEquals(returnCodeName(0), "SUCCESS");
  assertEquals(returnCodeName(0x16), "INVALID_PAYLOAD_LENGTH");
  assertEquals(returnCodeName(0x1f), "0x1f");
  assertEquals(parseReturnCode("INVALID_PA"), 0x0f);
  assertEquals(parseReturnCode("0x1e"), 0x1e);
  assertThrows(() => parseReturnCode("BOGUS"), /unknown mailbox return code "BOGUS"/);
});
