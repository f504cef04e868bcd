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

const old = builds.find((b) => b.profile.release.major === 10 && b.profile.release.minor === 0);
const recent = builds.find((b) => b.profile.release.major === 11 && b.profile.release.minor === 1);
if (old === undefined || recent === undefined) {
  console.warn(
    "\n!!! SKIPPING the build-vs-build differential test: it needs a 10.0.x and an 11.1.x build " +
      `in CXL_DCD_QEMU_BUILDS (have: ${builds.map((b) => b.version).join(", ") || "none"})\n`,
  );
} else {
  Deno.test(`${old.label} against ${recent.label}: the release differences, each in at most 3 steps`, async () => {
    const pair = await buildPair({ kind: "qemu", binary: old.binary }, {
      kind: "qemu",
      binary: recent.binary,
    });
    const r = await runDiff(pair, {
      programs: 40,
      seed: 1,
      steps: 12,
      topologies: parseTopologies("all"),
      exclusions: activeExclusions([]),
    });
    const keys = r.findings.map((f) => f.key);
    for (
      const field of [
        "records[].validity",
        "records[].host-id",
        "records[].extents-available",
        "get-dc-config: fields extents-available",
      ]
    ) ok(keys.some((k) => k.includes(field)), `no finding shows ${field}: ${keys.join("; ")}`);
    for (const f of r.findings) {
      ok(f.kind === "divergence", `${f.key}: ${f.steps.join("\n")}`);
      ok(f.steps.length <= 3, `${f.key} shrunk to ${f.steps.length} steps:\n${f.steps.join("\n")}`);
    }
  });
}
