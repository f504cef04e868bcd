import { deepStrictEqual as assertEquals, ok } from "node:assert";
import {
  buildDcEventRecord,
  DcEventType,
  EventLog,
  EventLogs,
  MAX_RECORDS_PER_GET,
} from "./event_log.ts";
import { toHex } from "./test_helpers.ts";

function rec(): Uint8Array {
  return buildDcEventRecord({
    type: DcEventType.RELEASE_CAPACITY,
    validityFlags: 1,
    hostId: 0x1234,
    regionId: 2,
    flags: 1,
    dpa: 0x40000000n,
    len: 0x200000n,
    tag: new Uint8Array(16).fill(0xab),
    sharedSeq: 7,
    extentsAvailable: 511,
    tagsAvailable: 3,
  });
}

Deno.test("DC event record layout puts every field at its CXL offset", () => {
  const r = rec();
  assertEquals(r.length, 128);
  assertEquals(toHex(r.subarray(0, 0x14)), "ca95afa7f18340188c2f95268e101a2a" + "80" + "010000");
  assertEquals(toHex(r.subarray(0x14, 0x30)), "00".repeat(0x1c), "handle, time, class zero");
  assertEquals(
    toHex(r.subarray(0x30, 0x60)),
    "01" + "01" + "3412" + "02" + "01" + "0000" + "0000004000000000" + "0000200000000000" +
      "ab".repeat(16) + "0700" + "00".repeat(6),
  );
  assertEquals(toHex(r.subarray(0x60, 0x80)), "00".repeat(0x18) + "ff010000" + "03000000");
});

Deno.test("insert assigns handles from 1 and timestamps; full log counts overflow", () => {
  const log = new EventLog(2);
  assertEquals(log.insert(rec(), 10n), true, "0 -> 1 raises");
  assertEquals(log.insert(rec(), 20n), false);
  assertEquals(log.insert(rec(), 30n), false);
  assertEquals(log.insert(rec(), 40n), false);
  assertEquals([log.count, log.overflowCount], [2, 2]);
  assertEquals([log.firstOverflowTimestamp, log.lastOverflowTimestamp], [30n, 40n]);
  const r1 = log.record(1);
  assertEquals(r1 === undefined ? -1 : r1[0x14]! | (r1[0x15]! << 8), 2);
  assertEquals(new DataView(log.record(0)!.buffer).getBigUint64(0x18, true), 10n);
});

Deno.test("handles wrap from 0xffff to 1, never 0", () => {
  const log = new EventLog(1);
  for (let i = 0; i < 0xffff; i++) {
    log.insert(rec(), 0n);
    log.deleteHead();
  }
  log.insert(rec(), 0n);
  const r = log.record(0)!;
  assertEquals(r[0x14]! | (r[0x15]! << 8), 1);
});

Deno.test("Get Event Records returns at most what fits in 2048 bytes", () => {
  const logs = new EventLogs(100);
  for (let i = 0; i < 20; i++) logs.log(4).insert(rec(), 0n);
  const out = logs.getRecords(new Uint8Array([4]));
  assertEquals(MAX_RECORDS_PER_GET, 15);
  assertEquals(out.payload.length, 0x20 + 15 * 0x80);
  assertEquals(new DataView(out.payload.buffer).getUint16(0x14, true), 15);
});

Deno.test("clear empties the log from the head and keeps later handles", () => {
  const logs = new EventLogs(8);
  for (let i = 0; i < 3; i++) logs.log(0).insert(rec(), 0n);
  const p = new Uint8Array([0, 0, 2, 0, 0, 0, 1, 0, 2, 0]);
  assertEquals(logs.clearRecords(p).rc, 0);
  assertEquals(logs.log(0).count, 1);
  assertEquals(logs.status(), 0x01);
});

Deno.test("insertDcEvent stores what insert(buildDcEventRecord(...)) stores, and counts overflow alike", () => {
  const fields = {
    type: DcEventType.ADD_CAPACITY,
    validityFlags: 1,
    hostId: 3,
    regionId: 0,
    flags: 0,
    dpa: 0x10000000n,
    len: 0x200000n,
    tag: new Uint8Array(16).fill(0x11),
    sharedSeq: 0,
    extentsAvailable: 9,
    tagsAvailable: 0,
  };
  const a = new EventLog(2);
  const b = new EventLog(2);
  for (const t of [1n, 2n, 3n, (1n << 64n) + 4n]) {
    assertEquals(a.insertDcEvent(fields, t), b.insert(buildDcEventRecord(fields), t));
  }
  assertEquals([a.count, a.overflowCount], [2, 2]);
  assertEquals(
    [a.firstOverflowTimestamp, a.lastOverflowTimestamp],
    [b.firstOverflowTimestamp, b.lastOverflowTimestamp],
  );
  for (let i = 0; i < 2; i++) assertEquals(toHex(a.record(i)!), toHex(b.record(i)!));
  // Each stored record has a buffer of its own, starting at offset 0.
  const r0 = a.record(0)!;
  assertEquals([r0.byteOffset, r0.buffer.byteLength], [0, 128]);
  ok(r0.buffer !== a.record(1)!.buffer);
});
