/**
 * The order of `serve`'s start-up, against QEMU's: QEMU creates its QMP
 * monitor's socket before it builds the machine and its devices (a `-device`
 * error or a machine property error comes with the socket already bound, and
 * QEMU leaves the socket file behind; an unknown machine type or a bad
 * `-object` fails before it), and `serve` binds its sockets before it builds
 * the machine (it removes the socket after a start-up error). The QEMU half
 * runs on every build the tests know (`qemuBuilds()`), skipped loudly when
 * there is none.
 *
 * @module
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { type QemuBuild, qemuBuilds } from "../conformance/qemu/test_util.ts";
import { createMachine } from "../model/machine.ts";
import { StartupError } from "../model/machine_types.ts";
import { QmpClient } from "./client.ts";
import { main } from "./serve_main.ts";
import { capture } from "./testing/capture.ts";
import { inTempDir, isSocket } from "./testing/files.ts";
import { DCD_MACHINE, quietServeArgs } from "./testing/machines.ts";

/** The DCD machine with its type-3 device's memdev misspelt. */
const BAD_DEVICE: readonly string[] = [
  ...DCD_MACHINE.slice(0, -1),
  DCD_MACHINE.at(-1)!.replace("volatile-dc-memdev=vmem0", "volatile-dc-memdev=nope"),
];

const tempDir = (fn: (dir: string) => Promise<void>) => inTempDir("serve-order-test-", fn);

Deno.test("serve binds its QMP socket before it builds the machine, and greets a client that connected meanwhile", async () => {
  await tempDir(async (dir) => {
    const sock = `${dir}/q.sock`;
    let boundFirst = false;
    let early: Promise<QmpClient> | undefined;
    const stop = Promise.withResolvers<void>();
    const listening = Promise.withResolvers<void>();
    const c = capture();
    const done = main(quietServeArgs(sock), {
      ...c.deps,
      stopSignal: stop.promise,
      onListening: () => listening.resolve(),
      createMachine: (args, options) => {
        boundFirst = isSocket(sock);
        early = QmpClient.connect(`unix:${sock}`);
        return createMachine(args, options);
      },
    });
    try {
      await listening.promise;
      ok(boundFirst, "the socket existed when the machine was built");
      const client = await early!;
      await client.negotiate();
      assertEquals(await client.execute("query-status"), { status: "running", running: true });
      await client.close();
    } finally {
      stop.resolve();
    }
    assertEquals(await done, 0, c.err.join("\n"));
  });
});

Deno.test("a start-up error after the socket is bound exits 1 with QEMU's message and removes the socket", async () => {
  await tempDir(async (dir) => {
    const sock = `${dir}/q.sock`;
    let boundFirst = false;
    const c = capture();
    const status = await main(["--", ...BAD_DEVICE, "-qmp", `unix:${sock},server=on,wait=off`], {
      ...c.deps,
      createMachine: (args, options) => {
        boundFirst = isSocket(sock);
        return createMachine(args, options);
      },
    });
    assertEquals(status, 1);
    ok(boundFirst, "the socket existed when the machine was built");
    assertEquals(c.err, [
      `qemu-system-x86_64: -device ${BAD_DEVICE.at(-1)}: Device 'nope' not found`,
    ]);
    ok(!isSocket(sock), "serve removed its socket (QEMU leaves it behind)");
  });
});

Deno.test("an unexpected failure while building the machine releases the bound socket and is rethrown", async () => {
  await tempDir(async (dir) => {
    const sock = `${dir}/q.sock`;
    const c = capture();
    let threw: unknown;
    try {
      await main(["--", ...DCD_MACHINE, "-qmp", `unix:${sock},server=on,wait=off`], {
        ...c.deps,
        stopSignal: new Promise(() => {}),
        createMachine: () => {
          throw new RangeError("model bug");
        },
      });
    } catch (e) {
      threw = e;
    }
    ok(threw instanceof RangeError && threw.message === "model bug", String(threw));
    ok(!isSocket(sock), "no socket left behind");
    ok(!(threw instanceof StartupError));
  });
});

async function qemuOrder(build: QemuBuild, dir: string, args: readonly string[]) {
  const sock = `${dir}/q.sock`;
  const out = await new Deno.Command(build.binary, {
    args: [
      ...args,
      "-display",
      "none",
      "-nodefaults",
      "-S",
      "-qmp",
      `unix:${sock},server=on,wait=off`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    socketLeft: isSocket(sock),
  };
}

const builds = qemuBuilds("the test of QEMU's start-up order (QMP socket before devices)");
if (builds.length === 0) {
  Deno.test({
    name: "QEMU binds its QMP socket before it reports a -device error (no QEMU build)",
    ignore: true,
    fn: () => {},
  });
}
for (const build of builds) {
  Deno.test(`${build.label} binds its QMP socket before it reports a -device error, and the model's message is the same`, async () => {
    await tempDir(async (dir) => {
      const r = await qemuOrder(build, dir, BAD_DEVICE);
      assertEquals(r.code, 1, r.stderr);
      ok(r.socketLeft, `QEMU's socket file is there after its -device error: ${r.stderr}`);
      let model = "";
      try {
        createMachine(BAD_DEVICE, { profile: build.profile });
      } catch (e) {
        model = e instanceof StartupError ? e.stderr : String(e);
      }
      assertEquals(r.stderr.trimEnd(), model);
    });
  });
}
