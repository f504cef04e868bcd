import { ok, strictEqual } from "node:assert";
import { join } from "node:path";
import { QEMU_10_0, withDcd } from "../../model/profile.ts";
import { loadFixtures } from "../loader.ts";
import { runFixture } from "../runner.ts";
import { modelTarget } from "../targets/model.ts";
import { activeExclusions } from "./exclusions.ts";
import { runDiff } from "./run.ts";
import { parseTopologies } from "./topologies.ts";

Deno.test("a shrunk divergence loads as a fixture that passes on A and fails on B", async () => {
  const altered = { ...withDcd(QEMU_10_0, { eventHostIdFromQmp: false }), name: "altered" };
  const a = modelTarget({ profile: QEMU_10_0 });
  const b = modelTarget({ profile: altered });
  const r = await runDiff({ a: { label: "A", target: a }, b: { label: "B", target: b } }, {
    programs: 40,
    seed: 5,
    steps: 12,
    topologies: parseTopologies("all"),
    exclusions: activeExclusions([]),
  });
  strictEqual(r.findings.length, 1, r.findings.map((f) => f.key).join("; "));
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "found.qmp"), r.findings[0]!.fixture);
    const [fx] = await loadFixtures([dir], dir);
    ok(fx !== undefined && !(fx.transcript instanceof Error), String(fx?.transcript));
    strictEqual((await runFixture(fx, a, "A")).outcome, "passed");
    const onB = await runFixture(fx, b, "B");
    strictEqual(onB.outcome, "failed");
    ok(onB.failure?.diff?.includes("host-id"), onB.failure?.diff);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
