import assert from "node:assert/strict";
import { main, type TargetFactory, type TargetSpecOptions } from "./cli.ts";
import { fakeTarget } from "./testdata/fake_target.ts";
import { respond } from "./testdata/fake_responder.ts";

const dir = new URL("./testdata/fixtures", import.meta.url).pathname;

async function run(args: string[]) {
  const seen: TargetSpecOptions[] = [];
  const factory: TargetFactory = (spec, options) => {
    seen.push(options);
    if (spec !== "qemu") return Promise.reject(new TypeError(`unknown target '${spec}'`));
    return Promise.resolve([fakeTarget({ respond, profile: "seed" })]);
  };
  let out = "";
  let err = "";
  const code = await main(["conform", "--root", dir, ...args, `${dir}/status.qmp`], {
    createTargets: factory,
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    tty: false,
  });
  return { code, out, err, seen };
}

Deno.test("conform --bringup firmware reaches the qemu target's options; no --bringup leaves its default", async () => {
  const firmware = await run(["--target", "qemu", "--bringup", "firmware"]);
  assert.equal(firmware.code, 0, firmware.out + firmware.err);
  assert.deepEqual(firmware.seen.map((o) => o.bringup), ["firmware"]);
  const plain = await run(["--target", "qemu"]);
  assert.equal(plain.code, 0, plain.out + plain.err);
  assert.deepEqual(plain.seen.map((o) => o.bringup), [undefined]);
});

Deno.test("conform --bringup refuses an unknown mode and a target other than qemu (exit 2)", async () => {
  const bad = await run(["--target", "qemu", "--bringup", "bios"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--bringup 'bios': expected direct or firmware/);
  const model = await run(["--bringup", "direct"]);
  assert.equal(model.code, 2);
  assert.match(model.err, /--bringup applies to --target qemu/);
  assert.deepEqual([...bad.seen, ...model.seen], [], "no target was built");
});
