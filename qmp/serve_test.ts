import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { QmpClient } from "./client.ts";
import { STATE_COMMAND } from "./extension.ts";
import { capture } from "./testing/capture.ts";
import { main } from "./serve_main.ts";
import type { QmpServer } from "./server.ts";
import { addArgs, DCD_MACHINE } from "./testing/machines.ts";

Deno.test("--help prints usage with examples and exits 0", async () => {
  const c = capture();
  assertEquals(await main(["--help"], c.deps), 0);
  ok(c.out.join("\n").includes("Examples:"));
});

Deno.test("bad options exit 2 saying what was expected", async () => {
  let c = capture();
  assertEquals(await main(["--host", "maybe", "--", "-qmp", "unix:x"], c.deps), 2);
  ok(c.err[0]!.includes("expected one of none, accept, manual"));
  c = capture();
  assertEquals(await main(["--profile", "nope", "--", "-qmp", "unix:x"], c.deps), 2);
  ok(c.err[0]!.includes("unknown profile 'nope'"));
  c = capture();
  assertEquals(await main(["--", ...DCD_MACHINE], c.deps), 2);
  ok(c.err[0]!.includes("no -qmp option"));
});

Deno.test("a bad machine exits 1 with QEMU's start-up message", async () => {
  const c = capture();
  const dir = await Deno.makeTempDir();
  try {
    const status = await main([
      "--",
      ...DCD_MACHINE.slice(0, -1),
      "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1",
      "-qmp",
      `unix:${dir}/q.sock,server=on,wait=off`,
    ], c.deps);
    assertEquals(status, 1);
    assertEquals(
      c.err.join("\n").includes("dynamic capacity must have a backing device"),
      true,
      c.err.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve listens on every -qmp socket, hosts in accept mode, and stops on quit removing its socket", async () => {
  const dir = await Deno.makeTempDir();
  const c = capture();
  let server: QmpServer | undefined;
  const listening = Promise.withResolvers<void>();
  const done = main([
    "--host",
    "accept",
    "--profile",
    "qemu-10.0",
    "--",
    ...DCD_MACHINE,
    "-display",
    "none",
    "-qmp",
    `unix:${dir}/a.sock,server=on,wait=off`,
    "-qmp",
    "tcp:127.0.0.1:0,server,nowait",
  ], { ...c.deps, onListening: (s) => (server = s, listening.resolve()) });
  await listening.promise;
  assertEquals(c.out.length, 2);
  ok(c.out[0]!.includes(`QMP listening on unix:${dir}/a.sock`));
  ok(c.err.some((l) => l.includes("-display")), "the model's notices are printed");
  const tcp = await QmpClient.connect(server!.addresses[1]!);
  const unix = await QmpClient.connect(`unix:${dir}/a.sock`);
  await tcp.negotiate();
  await unix.negotiate();
  assertEquals(await tcp.execute("cxl-add-dynamic-capacity", addArgs([[0, 2097152]])), {});
  const state = await unix.execute(STATE_COMMAND) as {
    devices: { "accepted-extents": unknown[] }[];
  };
  assertEquals(state.devices[0]!["accepted-extents"].length, 1);
  await unix.execute("stop");
  await unix.execute("cont");
  // every negotiated client sees the model's events
  for (const c of [unix, tcp]) {
    assertEquals((await c.waitEvent("STOP", 1000)).event, "STOP");
    assertEquals((await c.waitEvent("RESUME", 1000)).event, "RESUME");
  }
  await unix.execute("quit");
  assertEquals(await done, 0);
  await Promise.all([tcp.close(), unix.close()]);
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir);
});

Deno.test("serve stops on its stop signal", async () => {
  const dir = await Deno.makeTempDir();
  const stop = Promise.withResolvers<void>();
  const c = capture();
  const done = main([
    "--quiet",
    "--",
    ...DCD_MACHINE,
    "-qmp",
    `unix:${dir}/q.sock,server=on,wait=off`,
  ], {
    ...c.deps,
    stopSignal: stop.promise,
    onListening: () => stop.resolve(),
  });
  assertEquals(await done, 0);
  assertEquals(c.out, []);
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir);
});

Deno.test("serve's own options: --name=value, -h, and clear errors for unknown or valueless options", async () => {
  let c = capture();
  assertEquals(await main(["-h"], c.deps), 0);
  ok(c.out.join("\n").includes("Usage: serve"));
  c = capture();
  assertEquals(await main(["--host=maybe", "--", "-qmp", "unix:x"], c.deps), 2);
  ok(c.err[0]!.includes("unknown host mode 'maybe'"));
  c = capture();
  assertEquals(await main(["--bogus", "--", "-qmp", "unix:x"], c.deps), 2);
  assertEquals(
    c.err[0],
    "serve: unknown option '--bogus'; QEMU arguments go after '--' (see --help)",
  );
  c = capture();
  assertEquals(await main(["--profile"], c.deps), 2);
  ok(c.err[0]!.includes("option '--profile' needs a value"));
  c = capture();
  assertEquals(await main(["-M", "q35"], c.deps), 2);
  ok(c.err[0]!.includes("unknown option '-M'; QEMU arguments go after '--'"));
});

Deno.test("deno task serve starts with the permissions deno.json grants it (--help answers)", async () => {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "--config", config, "serve", "--help"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertEquals(/--profile NAME/.test(text), true, text);
});
