/**
 * The catalogue's `# endpoint:` marks are complete: every fixture that runs
 * on a shared `qmp:` endpoint (unmarked, on the endpoint's machine) leaves a
 * served model as it found it, with nobody answering the device (`--host
 * none`) and with a host that accepts every offer (`--host accept`), so the
 * fixture after it sees what a fresh machine shows.
 */
import assert from "node:assert/strict";
import { QmpClient } from "../qmp/client.ts";
import { STATE_COMMAND } from "../qmp/extension.ts";
import { serving } from "../qmp/testing/serving.ts";
import { loadFixtures } from "./loader.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "./machines.ts";
import { runSuite } from "./runner.ts";
import { qmpTarget } from "./targets/qmp.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;
const ENDPOINT_MACHINE = "dcd-1x2g";

/** Runs `serve` on a private socket until `fn` is done. */
async function servingEndpoint(
  host: string,
  profile: string,
  fn: (address: string) => Promise<void>,
): Promise<void> {
  const args = await new MachinePresets(DEFAULT_MACHINES_DIR).preset(ENDPOINT_MACHINE);
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

for (const profile of ["qemu-10.0", "qemu-11.1"]) {
  for (const host of ["none", "accept"]) {
    Deno.test(`every fixture run on a shared endpoint leaves it as it found it (serve --host ${host}, ${profile})`, async () => {
      const args = await new MachinePresets(DEFAULT_MACHINES_DIR).preset(ENDPOINT_MACHINE);
      const fixtures = await loadFixtures([FIXTURES], FIXTURES);
      const leaks: string[] = [];
      let ran = 0;
      const skipped = new Map<string, string>();
      await servingEndpoint(host, profile, async (address) => {
        const target = qmpTarget(address, { machine: args, machineName: ENDPOINT_MACHINE });
        for (const f of fixtures) {
          const before = await snapshot(address);
          const suite = await runSuite([f], [{ target }]);
          const r = suite.results[0]!;
          if (r.outcome === "skipped") {
            skipped.set(f.name, r.reason ?? "");
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
      assert.ok(ran > 40, `only ${ran} fixtures ran on the endpoint`);
      assert.match(
        skipped.get("topology/no-dcd-device-refuses-dc.qmp") ?? "",
        /written for another machine than the endpoint's \(dcd-1x2g; see --endpoint-machine\)/,
      );
      assert.deepEqual(leaks, [], `fixtures that leave state behind:\n${leaks.join("\n")}`);
    });
  }
}
