import assert from "node:assert/strict";
import { DEFAULT_MACHINES_DIR, MachinePresets, parseMachineArgs } from "./machines.ts";
import { availableQemu } from "./qemu/test_util.ts";
import { qemuTarget } from "./targets/qemu.ts";

Deno.test("parseMachineArgs splits each line into option and value, keeping spaces in values", () => {
  assert.deepEqual(
    parseMachineArgs("# comment\n\n-append console=ttyS0 root=/dev/vda1\n-nographic\n"),
    ["-append", "console=ttyS0 root=/dev/vda1", "-nographic"],
  );
  assert.throws(
    () => parseMachineArgs("q35\n", "x.args"),
    /x\.args:1: expected an option starting with '-'/,
  );
});

Deno.test("every stock preset parses and names a cxl=on q35 machine with a type-3 device", async () => {
  const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
  const names = [
    "dcd-1x2g",
    "dcd-2x1g",
    "dcd-two-devices",
    "no-dcd",
    "seed-lazy",
    "seed-cmdline",
    "mixed",
  ];
  for (const name of names) {
    const args = await presets.preset(name);
    const joined = args.join(" ");
    assert.match(joined, /q35/, name);
    assert.match(joined, /cxl=on/, name);
    assert.match(joined, /-device cxl-type3,/, name);
  }
  await assert.rejects(() => presets.preset("nope"), /unknown machine preset 'nope'/);
});

Deno.test("MachinePresets resolves inline machines as given", async () => {
  const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
  assert.deepEqual(await presets.resolve({ kind: "inline", args: ["-m", "1G"] }), ["-m", "1G"]);
});

const qemu = availableQemu("the preset start-up test");

Deno.test({
  name: "every non-seed preset starts on the real QEMU and its type-3 devices answer the mailbox",
  ignore: qemu === undefined,
  async fn() {
    const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
    const target = qemuTarget({ binary: qemu! });
    const devices: Record<string, string[]> = {
      "dcd-1x2g": ["cxl-vmem0"],
      "dcd-2x1g": ["cxl-vmem0"],
      "dcd-two-devices": ["cxl-vmem0", "cxl-vmem1"],
      "no-dcd": ["cxl-vmem0"],
      "mixed": ["cxl-vmem0", "cxl-static0"],
    };
    for (const [name, ids] of Object.entries(devices)) {
      const inst = await target.start(await presets.preset(name));
      try {
        for (const id of ids) {
          const r = await inst.host(id).mailbox(0x4000, new Uint8Array());
          assert.equal(r.rc, 0, `${name} ${id}: identify`);
        }
      } finally {
        await inst.close();
      }
    }
  },
});
