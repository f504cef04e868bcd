import { deepStrictEqual, ok, strictEqual } from "node:assert";
import { QEMU_10_0, QEMU_11_1, withDcd } from "../../model/profile.ts";
import { modelTarget } from "../targets/model.ts";
import { activeExclusions } from "./exclusions.ts";
import type { DiffPair } from "./execute.ts";
import { runDiff } from "./run.ts";
import { parseTopologies } from "./topologies.ts";
import type { Profile } from "../../model/profile.ts";

function modelPair(a: Profile, b: Profile): DiffPair {
  return {
    a: { label: `model[${a.name}]`, target: modelTarget({ profile: a }) },
    b: { label: `model[${b.name}]`, target: modelTarget({ profile: b }) },
  };
}

const base = {
  steps: 12,
  topologies: parseTopologies("all"),
  exclusions: activeExclusions([]),
};

Deno.test("model against the same profile finds nothing in 100 programs", async () => {
  for (const p of [QEMU_10_0, QEMU_11_1]) {
    const r = await runDiff(modelPair(p, p), { ...base, programs: 100, seed: 3 });
    strictEqual(r.programsRun, 100);
    ok(r.stepsRun > 600, `only ${r.stepsRun} steps ran`);
    deepStrictEqual(r.findings.map((f) => f.key), []);
  }
});

Deno.test("one changed DC encoding field (event validity) is found and shrunk to at most 3 steps", async () => {
  const altered = { ...withDcd(QEMU_10_0, { eventValidityFlags: 1 }), name: "qemu-10.0-altered" };
  const r = await runDiff(modelPair(QEMU_10_0, altered), { ...base, programs: 20, seed: 1 });
  strictEqual(r.findings.length, 1, r.findings.map((f) => f.key).join("; "));
  const f = r.findings[0]!;
  strictEqual(f.key, "divergence get-event-records: fields records[].validity");
  ok(f.steps.length <= 3, `shrunk to ${f.steps.length} steps:\n${f.steps.join("\n")}`);
  ok(f.originalSteps >= f.steps.length);
  ok(f.answerA.includes('"validity": 0'), f.answerA);
  ok(f.answerB.includes('"validity": 1'), f.answerB);
});

Deno.test("extents counted with pending ones (a changed Get DC Config field) are found and shrunk", async () => {
  const altered = {
    ...withDcd(QEMU_10_0, { totalCountIncludesPending: true }),
    name: "qemu-10.0-pending",
  };
  const r = await runDiff(modelPair(QEMU_10_0, altered), {
    ...base,
    programs: 30,
    seed: 2,
  });
  const f = r.findings.find((x) => x.key.includes("extents-available"));
  ok(f !== undefined, r.findings.map((x) => x.key).join("; "));
  ok(f.steps.length <= 3, f.steps.join("\n"));
});
