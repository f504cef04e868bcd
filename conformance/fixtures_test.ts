// The project's own conformance run as Deno tests: every fixture on the model
// under both profiles (in process, and served over a unix socket through the
// QMP wire layer), and on the real QEMU when its binary is present (with
// the stock expectations), else a loud skip.
import { QEMU_10_0, SEED } from "../model/profile.ts";
import { defineFixtureTests } from "./deno_test.ts";
import { DEFAULT_EXPECTATIONS_DIR } from "./expectations.ts";
import { qemuBinary } from "./qemu/args.ts";
import { resolveBinary } from "./qemu/capabilities.ts";
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

function qemuPresent(): string | undefined {
  const path = resolveBinary(qemuBinary());
  if (path === undefined) return undefined;
  try {
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

const binary = qemuPresent();
if (binary === undefined) {
  console.warn(
    `\n!!! SKIPPING the QEMU conformance run: no QEMU binary '${qemuBinary()}' (set QEMU_BINARY or put qemu-system-x86_64 on PATH)\n`,
  );
  Deno.test({ name: "qemu fixtures (skipped: QEMU binary absent)", ignore: true, fn() {} });
} else {
  await defineFixtureTests({
    target: qemuTarget({ binary }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
    jobs: Math.max(2, navigator.hardwareConcurrency || 2),
  });
}
