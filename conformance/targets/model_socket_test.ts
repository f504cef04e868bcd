import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { Opcode } from "../../model/host_interface.ts";
import { QEMU_10_0 } from "../../model/profile.ts";
import { DCD_MACHINE } from "../../qmp/testing/machines.ts";
import { TargetStartupError } from "../target_types.ts";
import { modelSocketTarget } from "./model_socket.ts";

Deno.test("model-socket serves the model over a private socket, with host steps through the extension command", async () => {
  const target = modelSocketTarget({ profile: QEMU_10_0 });
  const caps = await target.capabilities(DCD_MACHINE);
  ok(caps.commands.has("cxl-add-dynamic-capacity"));
  const inst = await target.start(DCD_MACHINE);
  try {
    ok("QMP" in inst.qmp.greeting);
    await inst.qmp.sendRaw('{"execute": "qmp_capabilities"}\n');
    assertEquals(await inst.qmp.receive(2000), { return: {} });
    await inst.qmp.sendRaw(
      '{"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "/machine/peripheral/cxl-vmem0", "host-id": 0, "selection-policy": "prescriptive", "region": 0, "extents": [{"offset": 0, "len": 2097152}]}}\n',
    );
    assertEquals(await inst.qmp.receive(2000), { return: {} });
    const r = await inst.host("cxl-vmem0").mailbox(Opcode.EVENTS_GET_RECORDS, Uint8Array.of(4));
    assertEquals(r.rc, 0);
    assertEquals(r.payload[0x14], 1, "one DC event record");
    await rejects(
      inst.qmp.receive(100),
      /within 100 ms/,
      "host steps leave the runner's channel untouched",
    );
    assertEquals(inst.exited(), undefined);
  } finally {
    await inst.close();
  }
});

Deno.test("model-socket reports quit as an unexpected exit", async () => {
  const inst = await modelSocketTarget().start(DCD_MACHINE);
  await inst.qmp.sendRaw('{"execute": "qmp_capabilities"}{"execute": "quit"}\n');
  assertEquals(await inst.qmp.receive(2000), { return: {} });
  assertEquals((await inst.qmp.receive(2000)).event, "SHUTDOWN");
  assertEquals(await inst.qmp.receive(2000), { return: {} });
  for (let i = 0; i < 100 && inst.exited() === undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(inst.exited()?.unexpected, true);
  await inst.close();
});

Deno.test("model-socket rejects a bad machine with QEMU's start-up message", async () => {
  await rejects(
    modelSocketTarget().start([
      ...DCD_MACHINE.slice(0, -1),
      "cxl-type3,bus=root_port13,id=d,num-dc-regions=1",
    ]),
    (e: unknown) =>
      e instanceof TargetStartupError &&
      e.stderr.includes("dynamic capacity must have a backing device"),
  );
});
