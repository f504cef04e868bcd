import assert from "node:assert/strict";
import { QEMU_10_0, SEED } from "../../model/profile.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import { TargetClosedError, TargetStartupError } from "../target_types.ts";
import { modelTarget } from "./model.ts";

const presets = new MachinePresets(DEFAULT_MACHINES_DIR);

Deno.test("the model target greets, negotiates and answers over QMP text", async () => {
  const inst = await modelTarget().start(await presets.preset("dcd-1x2g"));
  try {
    assert.ok("QMP" in inst.qmp.greeting);
    await inst.qmp.sendRaw('{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n');
    assert.deepEqual(await inst.qmp.receive(100), { return: {} });
    const status = await inst.qmp.receive(100);
    assert.deepEqual(status, { return: { status: "running", running: true } });
  } finally {
    await inst.close();
  }
});

Deno.test("the model target's capabilities follow the profile", async () => {
  const args = await presets.preset("dcd-1x2g");
  const seed = await modelTarget({ profile: SEED }).capabilities(args);
  const stock = await modelTarget({ profile: QEMU_10_0 }).capabilities(args);
  assert.equal(seed.profile, "seed");
  assert.ok(seed.features.has("release-status"));
  assert.ok(!stock.features.has("release-status"));
  assert.ok(stock.commands.has("cxl-add-dynamic-capacity"));
  assert.equal(seed.quietMs, 0);
});

Deno.test("the model target turns a start-up error into TargetStartupError with QEMU's text", async () => {
  const args = await presets.preset("seed-lazy");
  await assert.rejects(
    () => modelTarget({ profile: QEMU_10_0 }).start(args),
    (e) => e instanceof TargetStartupError && e.stderr.includes("dc-regions-total-size"),
  );
  const inst = await modelTarget({ profile: SEED }).start(args);
  await inst.close();
});

Deno.test("quit ends the model session and is reported by exited()", async () => {
  const inst = await modelTarget().start(await presets.preset("dcd-1x2g"));
  await inst.qmp.sendRaw('{"execute":"qmp_capabilities"}\n');
  await inst.qmp.receive(100);
  assert.equal(inst.exited(), undefined);
  await inst.qmp.sendRaw('{"execute":"quit"}\n');
  const msgs = [];
  for (;;) {
    try {
      msgs.push(await inst.qmp.receive(100));
    } catch (e) {
      assert.ok(e instanceof TargetClosedError);
      break;
    }
  }
  assert.ok(msgs.some((m) => "return" in m));
  assert.equal(inst.exited()?.unexpected, true);
  await inst.close();
});

Deno.test("the model target's host view runs mailbox commands on the device", async () => {
  const inst = await modelTarget().start(await presets.preset("dcd-1x2g"));
  try {
    const r = await inst.host("cxl-vmem0").mailbox(0x4800, new Uint8Array([1, 0]));
    assert.equal(r.rc, 0);
    assert.ok(r.payload.length > 0);
  } finally {
    await inst.close();
  }
});
