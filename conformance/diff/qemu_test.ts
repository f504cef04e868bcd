/**
 * A short fixed seed of the model against each Debian QEMU present (every
 * binary in CXL_DCD_QEMU_BUILDS, else QEMU_BINARY or qemu-system-x86_64):
 * no divergence and no crash outside the known classes. Skips loudly when
 * no build is there.
 */
import { deepStrictEqual, ok } from "node:assert";
import { qemuBuilds } from "../qemu/test_util.ts";
import { activeExclusions } from "./exclusions.ts";
import { runDiff } from "./run.ts";
import { buildPair } from "./sides.ts";
import { parseTopologies } from "./topologies.ts";

const builds = qemuBuilds("the differential programs against QEMU");

for (const build of builds) {
  Deno.test(`model against ${build.label}: a fixed seed of 12 programs finds nothing`, async () => {
    const pair = await buildPair({ kind: "model" }, { kind: "qemu", binary: build.binary });
    ok(
      pair.a.label.includes(build.profile.name),
      `${pair.a.label}: expected ${build.profile.name}`,
    );
    const r = await runDiff(pair, {
      programs: 12,
      seed: 20,
      steps: 12,
      topologies: parseTopologies("all"),
      exclusions: activeExclusions([]),
    });
    ok(r.stepsRun > 60, `only ${r.stepsRun} steps ran`);
    deepStrictEqual(r.findings.map((f) => `${f.key}\n${f.steps.join("\n")}`), []);
  });
}
