import assert from "node:assert/strict";
import { formatJunit } from "../report/junit.ts";
import { formatJsonReport } from "../report/json.ts";
import type { TargetCapabilities } from "../target_types.ts";
import { describeTarget } from "./summary.ts";
import type { SuiteResult } from "./types.ts";

const BASE: TargetCapabilities = {
  commands: new Set(),
  features: new Set(["host", "dcd"]),
  profile: "seed",
  release: { major: 10, minor: 1 },
  version: { major: 10, minor: 1, micro: 50, package: "" },
  hostSide: true,
};
const CAPS: TargetCapabilities = {
  ...BASE,
  profileNote: "QEMU 10.1.50 is a development tree after 10.1: judged as seed",
};

Deno.test("the banner names the binary that answered, its version, the profile and why, and the features", () => {
  assert.equal(
    describeTarget({
      label: "qemu[seed]",
      capabilities: { ...CAPS, binary: "/work/seed-qemu/qemu-system-x86_64" },
    }),
    "qemu[seed]: /work/seed-qemu/qemu-system-x86_64, QEMU 10.1.50, profile seed (release line 10.1), " +
      "features: dcd, host\n  NOTE: QEMU 10.1.50 is a development tree after 10.1: judged as seed",
  );
  assert.equal(
    describeTarget({
      label: "model[seed]",
      capabilities: BASE,
    }),
    "model[seed]: QEMU 10.1.50, profile seed (release line 10.1), features: dcd, host",
    "a target that runs no binary names none",
  );
});

Deno.test("JUnit and JSON reports carry the binary of a target that runs one", () => {
  const suite: SuiteResult = {
    ok: true,
    results: [],
    summaries: [{
      target: "qemu[qemu-10.0]",
      profile: "qemu-10.0",
      passed: 0,
      failed: 0,
      expectedFailures: 0,
      unexpectedPasses: 0,
      skipped: 0,
      skipReasons: {},
      durationMs: 1,
      version: "10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)",
      binary: "/usr/bin/qemu-system-x86_64",
    }],
  };
  assert.match(
    formatJunit(suite),
    /<property name="binary" value="\/usr\/bin\/qemu-system-x86_64"\/>/,
  );
  assert.equal(
    JSON.parse(formatJsonReport(suite)).summaries[0].binary,
    "/usr/bin/qemu-system-x86_64",
  );
});
