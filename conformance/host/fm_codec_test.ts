import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { decodeFmReply, encodeFmRequest, FmFieldError } from "./fm_codec.ts";
import { decodeHostReply, encodeHostRequest } from "./codec.ts";

Deno.test("an fm- host step encodes to an FM request and decodes the FM answer", () => {
  const r = encodeHostRequest("fm-initiate-dc-release", {
    "forced-removal": true,
    "extents": [{ "dpa": 2097152, "len": 2097152, "shared-seq": 5 }],
  });
  assertEquals([r.opcode, r.fm, r.payload.length, r.payload[2]], [0x5605, true, 0x48, 0x11]);
  assertEquals(r.payload[0x1c], 1);
  assertEquals(r.payload[0x20 + 32], 5);
  const list = new Uint8Array(0x18 + 0x28);
  list[8] = 1;
  list[0xc] = 1;
  list[0x18 + 8 + 2] = 0x20;
  assertEquals(decodeHostReply("fm-get-dc-region-extent-lists", { rc: 0, payload: list }).output, {
    "host-id": 0,
    "start-index": 0,
    "returned": 1,
    "total": 1,
    "generation": 0,
    "extents": [{
      "dpa": 0,
      "len": 2097152,
      "tag": "00000000-0000-0000-0000-000000000000",
      "shared-seq": 0,
    }],
  });
});

Deno.test("FM step fields are checked and a short answer decodes to its bytes", () => {
  throws(() => encodeFmRequest("fm-initiate-dc-add", { "policy": 2 }), FmFieldError);
  throws(
    () => encodeFmRequest("fm-initiate-dc-add", { "selection-policy": "bogus" }),
    /expected one of free, contiguous, prescriptive, enable-shared-access/,
  );
  throws(() => encodeFmRequest("fm-nope", {}), /unknown FM command 'fm-nope'/);
  const short = decodeFmReply("fm-get-dcd-info", { rc: 0, payload: new Uint8Array(3) }).output;
  assertEquals(short["payload-hex"], "000000");
  assertEquals(encodeFmRequest("fm-get-dcd-info", { "payload-length": 2 }).payload.length, 2);
});
