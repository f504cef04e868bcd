/**
 * A number written as a float is a double in QEMU even when integral, and
 * integer members refuse it. The replies below were recorded from QEMU 10.0.2
 * and 11.1.3 (identical), with the DCD machine of `testing/machines.ts`.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../model/machine.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import { parseJson } from "./json_stream.ts";
import { QmpSession } from "./session.ts";
import { DCD_MACHINE } from "./testing/machines.ts";

const P = '"path": "/machine/peripheral/cxl-vmem0"';
const add = (hostId: string, region: string, offset: string, len: string) =>
  `{"execute": "cxl-add-dynamic-capacity", "arguments": {${P}, "host-id": ${hostId}, ` +
  `"selection-policy": "prescriptive", "region": ${region}, "extents": [{"offset": ${offset}, "len": ${len}}]}}`;
const err = (desc: string) => `{"error": {"class": "GenericError", "desc": "${desc}"}}\r\n`;

const CASES: [string, string][] = [
  [add("0", "0", "0", "2097152.0"), err("Parameter 'extents[0].len' expects uint64")],
  [add("0", "0", "0.0", "2097152"), err("Parameter 'extents[0].offset' expects uint64")],
  [add("0.0", "0", "0", "2097152"), err("Parameter 'host-id' expects uint64")],
  [add("0", "0.0", "0", "2097152"), err("Parameter 'region' expects uint64")],
  [add("0", "0", "0", "2e6"), err("Parameter 'extents[0].len' expects uint64")],
  [
    '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "m1", "size": 1048576.0}}',
    err("Parameter 'size' expects uint64"),
  ],
  [
    `{"execute": "cxl-inject-poison", "arguments": {${P}, "start": 0, "length": 64.0}}`,
    err("Parameter 'length' expects uint64"),
  ],
  [
    `{"execute": "cxl-inject-poison", "arguments": {${P}, "start": 0.0, "length": 64}}`,
    err("Parameter 'start' expects uint64"),
  ],
  // An integral float id is echoed as QEMU prints the double.
  [
    '{"execute": "query-status", "id": 1.0}',
    '{"return": {"status": "running", "running": true}, "id": 1}\r\n',
  ],
];

for (const dialect of ["qemu-10.0", "qemu-11.1"] as const) {
  Deno.test(`integral floats are refused for integer members as QEMU does (${dialect} parser)`, async () => {
    const profile = { ...QEMU_10_0, qmp: { ...QEMU_10_0.qmp, jsonErrors: dialect } };
    for (const [input, want] of CASES) {
      const out: string[] = [];
      const s = new QmpSession(createMachine(DCD_MACHINE, { profile }), (t) => out.push(t));
      s.start();
      s.feed('{"execute":"qmp_capabilities"}\n');
      await s.idle();
      out.length = 0;
      s.feed(input + "\n");
      await s.idle();
      assertEquals(out.join(""), want, input);
    }
  });
}

Deno.test("the same members as integers are accepted", async () => {
  const out: string[] = [];
  const s = new QmpSession(createMachine(DCD_MACHINE), (t) => out.push(t));
  s.start();
  s.feed('{"execute":"qmp_capabilities"}\n');
  s.feed(add("0", "0", "0", "2097152") + "\n");
  s.feed(
    '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-ram", "id": "m1", "size": 1048576}}\n',
  );
  await s.idle();
  assertEquals(out.slice(2), ['{"return": {}}\r\n', '{"return": {}}\r\n']);
});

Deno.test("parsed integral floats stay plain numbers for every other consumer", () => {
  assertEquals(parseJson('{"a": 2.0, "b": [1.0, 2], "c": 1e2}'), { a: 2, b: [1, 2], c: 100 });
});
