import assert from "node:assert/strict";
import { DCD_1X2G } from "../../model/test_machines.ts";
import { createTargets } from "./mod.ts";
import { modelTarget } from "./model.ts";
import { modelSocketTarget } from "./model_socket.ts";

Deno.test("the model targets and createTargets take profiles by name", async () => {
  assert.equal(
    (await modelTarget({ profile: "qemu-11.1" }).capabilities(DCD_1X2G)).profile,
    "qemu-11.1",
  );
  assert.equal(
    (await modelSocketTarget({ profile: "qemu-10.0" }).capabilities(DCD_1X2G)).profile,
    "qemu-10.0",
  );
  const targets = await createTargets("model", { profiles: ["qemu-10.2", "seed"] });
  const names = await Promise.all(
    targets.map(async (t) => (await t.capabilities(DCD_1X2G)).profile),
  );
  assert.deepEqual(names, ["qemu-10.2", "seed"]);
  assert.throws(() => modelTarget({ profile: "nope" }), /unknown profile 'nope'/);
});
