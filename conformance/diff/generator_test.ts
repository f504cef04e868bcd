import { deepStrictEqual, notDeepStrictEqual, ok } from "node:assert";
import { QEMU_10_0 } from "../../model/profile.ts";
import { MachinePresets } from "../machines.ts";
import { DEFAULT_MACHINES_DIR } from "../machines.ts";
import { modelTarget } from "../targets/model.ts";
import { activeExclusions } from "./exclusions.ts";
import { executeProgram } from "./execute.ts";
import { nextStep } from "./generator.ts";
import { Prng, programSeed } from "./prng.ts";
import { stepText } from "./program.ts";
import { TOPOLOGIES, TOPOLOGY_NAMES } from "./topologies.ts";

const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
const exclusions = activeExclusions([]);

/** The steps seed `seed` generates on each topology, against the model. */
async function traces(seed: number, generate = exclusions, check = exclusions) {
  const target = modelTarget({ profile: QEMU_10_0 });
  const pair = { a: { label: "a", target }, b: { label: "b", target } };
  const out = [];
  for (const [i, name] of TOPOLOGY_NAMES.entries()) {
    const topology = TOPOLOGIES[name]!;
    const rng = new Prng(programSeed(seed, i));
    const trace = await executeProgram(
      pair,
      topology,
      await presets.preset(topology.preset),
      (k, view) => (k < 30 ? nextStep(rng, topology, view, generate) : undefined),
      check,
    );
    out.push(trace);
  }
  return out;
}

async function programs(seed: number): Promise<string[][]> {
  return (await traces(seed)).map((t) => t.steps.map(stepText));
}

Deno.test("the generator is deterministic per seed: same seed, same steps; other seed, other steps", async () => {
  const one = await programs(11);
  ok(one.every((p) => p.length === 30), "every program ran its 30 steps");
  deepStrictEqual(await programs(11), one);
  notDeepStrictEqual(await programs(12), one);
});

Deno.test("programs mix QMP adds and releases with every host command", async () => {
  const text = (await Promise.all([1, 2, 3, 4].map(programs))).flat(2).join("\n");
  for (
    const needle of [
      "cxl-add-dynamic-capacity",
      "cxl-release-dynamic-capacity",
      '"selection-policy":"free"',
      '"removal-policy":"tag-based"',
      '"tag":',
      "get-event-records",
      "clear-event-records",
      "get-dc-config",
      "get-dc-extent-list",
      "add-dc-response",
      "release-dc",
      "set-timestamp",
      "cxl-static0",
      '"extents":[]',
    ]
  ) ok(text.includes(needle), `no generated step has ${needle}`);
});

Deno.test("no generated step belongs to an excluded known-crash class, which unexcluded do occur", async () => {
  const seeds = Array.from({ length: 40 }, (_, k) => k);
  const excluded = (await Promise.all(seeds.map((s) => traces(s))))
    .flat().filter((t) => t.outcome.kind === "excluded");
  deepStrictEqual(excluded.map((t) => t.outcome), []);
  const unexcluded = (await Promise.all(seeds.map((s) => traces(s, [], exclusions))))
    .flat().map((t) => t.outcome.kind === "excluded" ? t.outcome.name : "").filter((n) => n !== "");
  for (const name of ["empty-response-nothing-pending", "qmp-offset-wrap", "mailbox-range-wrap"]) {
    ok(unexcluded.includes(name), `no program drew a ${name} step: ${unexcluded.join(", ")}`);
  }
});
