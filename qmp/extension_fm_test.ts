import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../model/mod.ts";
import { QEMU_11_1 } from "../model/profile.ts";
import { SWITCH_MACHINE } from "../model/testdata/switch_machines.ts";
import { FM_API_COMMAND, HostExtension, type HostMode } from "./extension.ts";
import { QmpSession } from "./session.ts";

const MiB = 1024 * 1024;

async function session(mode: HostMode) {
  const m = createMachine(SWITCH_MACHINE, { profile: QEMU_11_1 });
  const out: string[] = [];
  const ext = new HostExtension(m, mode);
  const s = new QmpSession(m, (t) => out.push(t), { extension: ext });
  s.start();
  s.feed('{"execute":"qmp_capabilities"}');
  await s.idle();
  out.length = 0;
  const run = async (command: string, args: Record<string, unknown>) => {
    s.feed(JSON.stringify({ execute: command, arguments: args }));
    await s.idle();
    return JSON.parse(out.splice(0).join(""));
  };
  const fm = (command: string, fields?: Record<string, unknown>) =>
    run(FM_API_COMMAND, { device: "cxl-vmem0", command, ...(fields ? { fields } : {}) });
  return { m, ext, run, fm };
}

Deno.test("the FM-API extension takes an fm- command with named fields and returns the decoded output beside rc and payload-hex", async () => {
  const { fm, run } = await session("none");
  const info = await fm("fm-get-dcd-info");
  assertEquals(info.return.rc, 0);
  assertEquals(info.return["payload-hex"].length, 0x54 * 2);
  assertEquals(info.return.output["num-regions"], 2);
  assertEquals(info.return.output["region-block-sizes"].slice(0, 3), [2 * MiB, 2 * MiB, 0]);
  const raw = await run(FM_API_COMMAND, { device: "cxl-vmem0", opcode: 0x5600 });
  assertEquals(raw.return["payload-hex"], info.return["payload-hex"]);
  const bad = await fm("fm-initiate-dc-add", { "extents": [{ "dpa": 4096, "len": 2 * MiB }] });
  assertEquals([bad.return.rc, bad.return.output], [0x1e, {}]);
  const sw = await fm("fm-switch-cci-raw", { "opcode": 0x0001 });
  assertEquals(sw.return.output["payload-hex"], "e51928a100000000ffffffffffffffff0b00");
});

Deno.test("the decoded FM-API form checks its arguments and fields and says what was expected", async () => {
  const { fm, run } = await session("none");
  const desc = (r: { error: { desc: string } }) => r.error.desc;
  assertEquals(
    desc(await fm("fm-nope")),
    "Parameter 'command': unknown FM command 'fm-nope'; expected one of " +
      "fm-get-dcd-info, fm-get-host-dc-region-config, fm-set-dc-region-config, " +
      "fm-get-dc-region-extent-lists, fm-initiate-dc-add, fm-initiate-dc-release, fm-raw, " +
      "fm-switch-cci-raw",
  );
  assertEquals(
    desc(await fm("fm-set-dc-region-config", { "region": 0 })),
    "Parameter 'fields': fm-set-dc-region-config: field 'block-size' is missing; expected an " +
      "unsigned 64-bit integer",
  );
  assertEquals(
    desc(await run(FM_API_COMMAND, { device: "cxl-vmem0", command: "fm-get-dcd-info", opcode: 1 })),
    "Parameter 'opcode' is unexpected",
  );
  assertEquals(
    desc(await run(FM_API_COMMAND, { device: "cxl-vmem0", command: "fm-get-dcd-info", fields: 1 })),
    "Invalid parameter type for 'fields', expected: object",
  );
});

Deno.test("in accept mode the device's host answers an FM Initiate DC Add and Release at once, as for QMP ones", async () => {
  const { fm, run, ext } = await session("accept");
  const extents = [{ "dpa": 0, "len": 4 * MiB }];
  assertEquals((await fm("fm-initiate-dc-add", { extents })).return.rc, 0);
  const list = await fm("fm-get-dc-region-extent-lists");
  assertEquals(list.return.output.total, 1, "accepted before the next command");
  // raw opcode form, then a QMP add: one host, serialised, in order
  const release = "0000010000000000000000000000000000000000000000000000000001000000" +
    "0000000000000000" + "0000200000000000" + "00".repeat(24);
  assertEquals(
    (await run(FM_API_COMMAND, { device: "cxl-vmem0", opcode: 0x5605, "payload-hex": release }))
      .return.rc,
    0,
  );
  assertEquals((await fm("fm-get-dc-region-extent-lists")).return.output.extents, [
    {
      "dpa": 2 * MiB,
      "len": 2 * MiB,
      "tag": "00000000-0000-0000-0000-000000000000",
      "shared-seq": 0,
    },
  ]);
  assertEquals(
    await run("cxl-add-dynamic-capacity", {
      path: "/machine/peripheral/cxl-vmem0",
      "host-id": 0,
      "selection-policy": "prescriptive",
      region: 0,
      extents: [{ offset: 8 * MiB, len: 2 * MiB }],
    }),
    { return: {} },
  );
  assertEquals((await fm("fm-get-dc-region-extent-lists")).return.output.total, 2);
  assertEquals(
    ext.actions.filter((a) => a.action !== "clear").map((a) => [a.action, a.rc]),
    [["add-response", 0], ["release", 0], ["add-response", 0]],
  );
  // a refused add queues nothing and the host does nothing
  assertEquals(
    (await fm("fm-initiate-dc-add", { "selection-policy": "free", extents })).return.rc,
    2,
  );
  assertEquals(ext.actions.filter((a) => a.action !== "clear").length, 3);
});

Deno.test("in accept mode an Initiate DC Add sent as a raw 0x5300 envelope to the switch CCI is answered too", async () => {
  const { fm, ext } = await session("accept");
  const add = "02005400" + "00000004" + "56480000" + "00000000" +
    "0000020000000000000000000000000000000000000000000000000001000000" +
    "0000000000000000" + "0000200000000000" + "00".repeat(24);
  const r = await fm("fm-switch-cci-raw", { "opcode": 0x5300, "payload-hex": add });
  assertEquals(r.return.rc, 0);
  assertEquals(r.return.output["payload-hex"].slice(24, 28), "0000", "tunnelled rc 0");
  assertEquals((await fm("fm-get-dc-region-extent-lists")).return.output.total, 1);
  assertEquals(ext.actions.filter((a) => a.action === "add-response").length, 1);
});
