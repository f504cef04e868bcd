/**
 * The catalogue's `# endpoint:` marks are complete: every fixture that runs
 * on a shared `qmp:` endpoint (unmarked, on the endpoint's machine) leaves a
 * served model as it found it, with nobody answering the device (`--host
 * none`) and with a host that accepts every offer (`--host accept`), so the
 * fixture after it sees what a fresh machine shows. This holds on every
 * machine such fixtures are written for, since `conform` also lets them
 * share a QEMU machine (see `run/machine_pool.ts`).
 */
import assert from "node:assert/strict";
import { createMachine } from "../model/machine.ts";
import { StartupError } from "../model/machine_types.ts";
import { resolveProfile } from "../model/profile_ref.ts";
import { QmpClient } from "../qmp/client.ts";
import { STATE_COMMAND } from "../qmp/extension.ts";
import { serving } from "../qmp/testing/serving.ts";
import { type FixtureFile, loadFixtures } from "./loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "./machines.ts";
import { ownMachineReason } from "./run/machine_pool.ts";
import { runSuite } from "./runner.ts";
import { qmpTarget } from "./targets/qmp.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;
const ENDPOINT_MACHINE = "dcd-1x2g";

/** Runs `serve` of the machine `args` on a private socket until `fn` is done. */
async function servingEndpoint(
  host: string,
  profile: string,
  args: readonly string[],
  fn: (address: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cxl-marks-" });
  try {
    await serving(
      ["--profile", profile, "--host", host],
      [...args, "-qmp", `unix:${dir}/q.sock,server=on,wait=off`],
      () => fn(`unix:${dir}/q.sock`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function snapshot(address: string): Promise<string> {
  const c = await QmpClient.connect(address);
  try {
    await c.negotiate();
    return JSON.stringify(await c.execute(STATE_COMMAND));
  } finally {
    await c.close();
  }
}

/**
 * A machine of the catalogue's sharing fixtures and the leaks found on it:
 * each fixture runs on one served endpoint, which must look the same after.
 */
async function leaksOn(
  host: string,
  profile: string,
  args: readonly string[],
  machineName: string,
  fixtures: readonly FixtureFile[],
  skipped: Map<string, string>,
): Promise<{ ran: number; leaks: string[] }> {
  const leaks: string[] = [];
  let ran = 0;
  await servingEndpoint(host, profile, args, async (address) => {
    const target = qmpTarget(address, { machine: args, machineName });
    for (const f of fixtures) {
      const before = await snapshot(address);
      const suite = await runSuite([f], [{ target }]);
      const r = suite.results[0]!;
      if (r.outcome === "skipped") {
        skipped.set(`${machineName}: ${f.name}`, r.reason ?? "");
        continue;
      }
      ran++;
      const after = await snapshot(address);
      if (after !== before) {
        leaks.push(`${f.name} (${r.outcome}): mark it '# endpoint: changes'`);
        break; // the state differs now: later comparisons would blame the wrong fixture
      }
    }
  });
  return { ran, leaks };
}

for (const profile of ["qemu-10.0", "qemu-11.1", "seed"]) {
  for (const host of ["none", "accept"]) {
    Deno.test(`every fixture run on a shared endpoint leaves it as it found it (serve --host ${host}, ${profile})`, async () => {
      const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
      const args = await presets.preset(ENDPOINT_MACHINE);
      const fixtures = await loadFixtures([FIXTURES], FIXTURES);
      const skipped = new Map<string, string>();
      const { ran, leaks } = await leaksOn(
        host,
        profile,
        args,
        ENDPOINT_MACHINE,
        fixtures,
        skipped,
      );
      assert.ok(ran > 40, `only ${ran} fixtures ran on the endpoint`);
      assert.match(
        skipped.get(`${ENDPOINT_MACHINE}: topology/no-dcd-device-refuses-dc.qmp`) ?? "",
        /written for another machine than the endpoint's \(dcd-1x2g; see --endpoint-machine\)/,
      );
      assert.deepEqual(leaks, [], `fixtures that leave state behind:\n${leaks.join("\n")}`);
    });
  }
}

Deno.test("every fixture that may share a machine written for another machine leaves it as it found it (serve --host none, qemu-11.1 and seed)", async () => {
  const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
  const endpointArgs = JSON.stringify(await presets.preset(ENDPOINT_MACHINE));
  const byMachine = new Map<string, { args: string[]; fixtures: FixtureFile[] }>();
  for (const f of await loadFixtures([FIXTURES], FIXTURES)) {
    const t = f.transcript;
    if (t instanceof Error || ownMachineReason(t) !== undefined) continue;
    const args = await presets.resolve(t.header.machine);
    const key = JSON.stringify(args);
    if (key === endpointArgs) continue; // the tests above
    const entry = byMachine.get(key) ?? { args, fixtures: [] };
    entry.fixtures.push(f);
    byMachine.set(key, entry);
  }
  assert.ok(byMachine.size >= 2, `only ${byMachine.size} other machine(s)`);
  const skipped = new Map<string, string>();
  let ran = 0;
  const leaks: string[] = [];
  const unserved: string[] = [];
  for (const { args, fixtures } of byMachine.values()) {
    const name = `the machine of ${fixtures[0]!.name}`;
    // Stock 11.1, and the seed's features (some machines need them, e.g. a lazy device).
    let served = 0;
    for (const profile of ["qemu-11.1", "seed"]) {
      // Only a machine the profile refuses to build is passed over; any other error fails the test.
      try {
        createMachine([...args], { profile: resolveProfile(profile) });
      } catch (e) {
        if (!(e instanceof StartupError)) throw e;
        skipped.set(`${profile}: ${name}`, e.stderr);
        continue;
      }
      const got = await leaksOn("none", profile, args, name, fixtures, skipped);
      ran += got.ran;
      leaks.push(...got.leaks.map((l) => `${profile}: ${l}`));
      served++;
    }
    if (served === 0) unserved.push(name);
  }
  assert.deepEqual(unserved, [], `machines no profile serves: ${[...skipped.values()].join("; ")}`);
  assert.ok(ran >= byMachine.size, `only ${ran} fixtures ran: ${[...skipped.values()].join("; ")}`);
  assert.deepEqual(leaks, [], `fixtures that leave state behind:\n${leaks.join("\n")}`);
});
