// The project's own conformance run as Deno tests: every fixture on the model
// under every release profile and the seed (in process, and served over a unix
// socket through the QMP wire layer), on every real QEMU build present (each
// with its expectations file; CXL_DCD_QEMU_BUILDS lists them, else QEMU_BINARY
// or qemu-system-x86_64 on PATH), and on the seed's own build when
// CXL_DCD_SEED_QEMU names it. Absent binaries are loud skips.
import { PROFILES, SEED, withSeed } from "../model/profile.ts";
import { defineFixtureTests } from "./deno_test.ts";
import { DEFAULT_EXPECTATIONS_DIR } from "./expectations.ts";
import { qemuBuilds, seedQemu } from "./qemu/test_util.ts";
import { modelTarget } from "./targets/model.ts";
import { modelSocketTarget } from "./targets/model_socket.ts";
import { qemuTarget } from "./targets/qemu.ts";

const jobs = Math.max(2, navigator.hardwareConcurrency || 2);

for (const profile of [...Object.values(PROFILES), withSeed(PROFILES["qemu-11.1"]!)]) {
  await defineFixtureTests({
    target: modelTarget({ profile }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
  });
}
await defineFixtureTests({
  target: modelSocketTarget({ profile: SEED }),
  expectations: DEFAULT_EXPECTATIONS_DIR,
});

const builds = qemuBuilds("the QEMU conformance run");
if (builds.length === 0) {
  Deno.test({ name: "qemu fixtures (skipped: QEMU binary absent)", ignore: true, fn() {} });
}
for (const build of builds) {
  await defineFixtureTests({
    target: qemuTarget({ binary: build.binary }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
    jobs,
    name: `qemu ${build.version} [${build.profile.name}]`,
  });
}

const seed = seedQemu("the catalogue on the seed's own build");
if (seed === undefined) {
  Deno.test({
    name: "qemu fixtures on the seed's own build (skipped: CXL_DCD_SEED_QEMU not set)",
    ignore: true,
    fn() {},
  });
} else {
  await defineFixtureTests({
    target: qemuTarget({ binary: seed }),
    expectations: DEFAULT_EXPECTATIONS_DIR,
    jobs,
    name: "qemu seed-build [seed]",
  });
}
