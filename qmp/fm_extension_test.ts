import { deepStrictEqual as assertEquals } from "node:assert";
import { createMachine } from "../model/machine.ts";
import { QEMU_11_1 } from "../model/profile.ts";
import { SWITCH_MACHINE } from "../model/testdata/switch_machines.ts";
import { FM_API_COMMAND, HostExtension } from "./extension.ts";

Deno.test("the fm-api extension command runs an FM-API command through the switch CCI's tunnel", () => {
  const ext = new HostExtension(createMachine(SWITCH_MACHINE, { profile: QEMU_11_1 }), "manual");
  const info = ext.execute(FM_API_COMMAND, { device: "cxl-vmem0", opcode: 0x5600 });
  const r = (info as { return: { rc: number; "payload-hex": string } }).return;
  assertEquals([r.rc, r["payload-hex"].length, r["payload-hex"].slice(0, 4)], [
    0,
    0x54 * 2,
    "0102",
  ]);
  const bad = ext.execute(FM_API_COMMAND, {
    device: "cxl-vmem0",
    opcode: 0x5601,
    "payload-hex": "00",
  });
  assertEquals((bad as { return: { rc: number } }).return.rc, 0x16);
});
