import { ok, strictEqual } from "node:assert";
import { compareAnswers, maskEventTimestamps } from "./compare.ts";
import type { HostAnswer, HostStep } from "./program.ts";

function records(timestamp: number, validity = 0): HostAnswer {
  const p = new Uint8Array(0x20 + 0x80);
  p[0x14] = 1;
  p[0x20 + 0x18] = timestamp;
  p[0x20 + 0x30] = validity;
  return { kind: "host", rc: 0, payload: p };
}

const get: HostStep = {
  kind: "host",
  device: "cxl-vmem0",
  command: "get-event-records",
  input: { log: "dynamic-capacity" },
};

Deno.test("record timestamps are compared until the host sets the timestamp, masked after", () => {
  ok(compareAnswers(get, records(0), records(5), false) !== undefined, "unset: 0 vs 5 differ");
  strictEqual(compareAnswers(get, records(1), records(5), true), undefined);
  ok(
    compareAnswers(get, records(1, 0), records(5, 1), true) !== undefined,
    "only timestamps masked",
  );
});

Deno.test("timestamps are masked only on Get Event Records", () => {
  const other: HostStep = { ...get, command: "raw", input: { opcode: 0x100 } };
  ok(compareAnswers(other, records(1), records(5), true) !== undefined);
});

Deno.test("masking zeroes the overflow timestamps and each record's, nothing else", () => {
  const p = records(9).payload;
  p[4] = 1;
  p[0x13] = 1;
  p[0x20 + 0x20] = 7;
  const m = maskEventTimestamps(p);
  strictEqual(m[4], 0);
  strictEqual(m[0x13], 0);
  strictEqual(m[0x20 + 0x18], 0);
  strictEqual(m[0x20 + 0x20], 7);
  strictEqual(p[0x20 + 0x18], 9, "the input is not changed");
});

Deno.test("QMP replies are compared exactly, event timestamps aside", () => {
  const step = { kind: "qmp" as const, execute: "x", arguments: {} };
  const e = (s: number) => ({ event: "E", timestamp: { seconds: s, microseconds: 0 } });
  strictEqual(
    compareAnswers(step, { kind: "qmp", messages: [e(1), { return: {} }] }, {
      kind: "qmp",
      messages: [e(2), { return: {} }],
    }, false),
    undefined,
  );
  const d = compareAnswers(step, {
    kind: "qmp",
    messages: [{ error: { class: "G", desc: "a 1" } }],
  }, {
    kind: "qmp",
    messages: [{ error: { class: "G", desc: "b" } }],
  }, false);
  strictEqual(d?.signature, "x: A error 'a N', B error 'b'");
});
