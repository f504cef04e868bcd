// The project's own conformance run as Deno tests: every fixture on the model
// under both profiles (in process, and served over a unix socket through the
// QMP wire layer), and on the real QEMU when its binary is present (with
// the stock expectations), else a loud skip.
import { QEMU_10_0, SEED } from "../model/profile.ts";
import { defineFixtureTests } from "./deno_test.ts";
import { DEFAULT_EXPECTATIONS_DIR } from "./expectations.ts";
import { availableQemu } from "./qemu/test_util.ts";
import { modelTarget } from "./targets/model.ts";
import { modelSocketTarget } from "./targets/model_socket.ts";
import { qemuTarget } from "./targets/qemu.ts";

for (const profile of [QEMU_10_0, SEED]) {
  await defineFixtureTests({
    target: modelTarget({ profile }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
  });
}
await defineFixtureTests({
  target: modelSocketTarget({ profile: SEED }),
  expectations: DEFAULT_EXPECTATIONS_DIR,
});

const binary = availableQemu("the QEMU conformance run");
if (binary === undefined) {
  Deno.test({ name: "qemu fixtures (skipped: QEMU binary absent)", ignore: true, fn() {} });
} else {
  await defineFixtureTests({
    target: qemuTarget({ binary }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
    jobs: Math.max(2, navigator.hardwareConcurrency || 2),
  });
}
