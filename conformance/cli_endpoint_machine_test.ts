import assert from "node:assert/strict";
import { main, type TargetSpecOptions } from "./cli.ts";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "./machines.ts";

const FIXTURES = new URL("../fixtures", import.meta.url).pathname;

async function run(args: string[]) {
  let out = "";
  let err = "";
  const seen: TargetSpecOptions[] = [];
  const code = await main(args, {
    createTargets: (_spec, options) => {
      seen.push(options);
      return Promise.reject(new Error("stop after the targets were asked for"));
    },
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    tty: false,
  }).catch((e) => (err += String(e), -1));
  return { code, out, err, seen };
}

Deno.test("--endpoint-machine without a qmp: target is refused with exit 2 and what was meant", async () => {
  const r = await run(["conform", "--endpoint-machine", "dcd-2x1g", `${FIXTURES}/protocol`]);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /--endpoint-machine applies to qmp:ADDR targets; did you mean --target qmp:ADDR --endpoint-machine dcd-2x1g\?/,
  );
  assert.equal(r.seen.length, 0);
});

Deno.test("--endpoint-machine naming no preset is refused with exit 2, naming the preset file expected", async () => {
  const r = await run([
    "conform",
    "--target",
    "qmp:unix:/nonexistent.sock",
    "--endpoint-machine",
    "dcd-1x3g",
    `${FIXTURES}/protocol`,
  ]);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /--endpoint-machine: unknown machine preset 'dcd-1x3g': expected a file .*dcd-1x3g\.args/,
  );
});

Deno.test("a qmp: target is taken to run dcd-1x2g unless --endpoint-machine names a preset, arguments or any", async () => {
  const presets = new MachinePresets(DEFAULT_MACHINES_DIR);
  const q = ["conform", "--target", "qmp:unix:/nonexistent.sock"];
  const byDefault = await run([...q, `${FIXTURES}/protocol`]);
  assert.deepEqual(byDefault.seen[0]?.endpointMachine, {
    name: "dcd-1x2g",
    args: await presets.preset("dcd-1x2g"),
  });
  const named = await run([...q, "--endpoint-machine", "mixed", `${FIXTURES}/protocol`]);
  assert.deepEqual(named.seen[0]?.endpointMachine, {
    name: "mixed",
    args: await presets.preset("mixed"),
  });
  const given = await run([
    ...q,
    "--endpoint-machine=-machine q35 -m 2G",
    `${FIXTURES}/protocol`,
  ]);
  assert.deepEqual(given.seen[0]?.endpointMachine, {
    name: "the given arguments",
    args: ["-machine", "q35", "-m", "2G"],
  });
  const any = await run([...q, "--endpoint-machine", "any", `${FIXTURES}/protocol`]);
  assert.equal(any.seen[0]?.endpointMachine, undefined);
});
