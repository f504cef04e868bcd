import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert";
import { TargetClosedError, TargetStartupError, TargetTimeoutError } from "../target_types.ts";
import { decodeHostReply, encodeHostRequest } from "../host/codec.ts";
import type { HostInterface } from "../../model/host_interface.ts";
import { launchQemu } from "./launcher.ts";
import { liveProcessCount } from "./process.ts";
import {
  availableQemu,
  DCD_1X2G,
  exists,
  runningSpawned,
  TWO_DEVICES,
  waitDead,
} from "./test_util.ts";

const binary = availableQemu();
const ignore = binary === undefined;

async function run(host: HostInterface, command: string, fields: Record<string, unknown> = {}) {
  // deno-lint-ignore no-explicit-any
  const req = encodeHostRequest(command, fields as any);
  return decodeHostReply(command, await host.mailbox(req.opcode, req.payload));
}

/** Nothing of ours may survive a test: no child process, no registered QEMU, no directory. */
function assertNothingLeft(dir?: string): void {
  assertEquals(runningSpawned(), [], "no QEMU of ours is still running");
  assertEquals(liveProcessCount(), 0, "no QEMU is still registered");
  if (dir !== undefined) ok(!exists(dir), `the socket directory ${dir} is gone`);
}

Deno.test({
  name: "host(id) reaches the right device when there are two, by id or QOM path",
  ignore,
  async fn() {
    const q = await launchQemu(TWO_DEVICES, { binary: binary as string });
    try {
      const a = await run(q.host("dev-a"), "get-dc-config");
      const b = await run(q.host("/machine/peripheral/dev-b"), "get-dc-config");
      assertEquals([a.output["num-regions"], b.output["num-regions"]], [1, 2]);
      // Concurrent commands on both devices share one qtest connection without mixing.
      const both = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => run(q.host(i % 2 ? "dev-b" : "dev-a"), "get-dc-config"),
        ),
      );
      assertEquals(both.map((r) => r.output["num-regions"]), both.map((_, i) => i % 2 ? 2 : 1));
      await rejects(
        q.host("nope").mailbox(0x4800, new Uint8Array([8, 0])),
        /no CXL type-3 device with id 'nope'; expected one of: dev-a, dev-b/,
      );
      assertEquals(q.exited(), undefined);
    } finally {
      const exit = await q.close();
      assertEquals(exit.unexpected, false);
    }
    assertNothingLeft(q.process.dir);
  },
});

Deno.test({
  name: "a QEMU crash mid-run (0x4802 with nothing pending) is reported with its signal",
  ignore,
  async fn() {
    const q = await launchQemu(DCD_1X2G, { binary: binary as string });
    try {
      await rejects(
        run(q.host("cxl-vmem0"), "add-dc-response", { extents: [] }),
        TargetClosedError,
      );
      const exit = await q.process.status;
      assertEquals(exit.signal, "SIGSEGV");
      assertEquals(exit.unexpected, true);
      assertEquals(q.exited()?.signal, "SIGSEGV");
    } finally {
      const exit = await q.close();
      assertEquals(exit.signal, "SIGSEGV");
    }
    assertNothingLeft(q.process.dir);
  },
});

Deno.test({
  name: "a QEMU killed from outside (SIGKILL) is detected and cleaned up",
  ignore,
  async fn() {
    const q = await launchQemu(DCD_1X2G, { binary: binary as string });
    try {
      Deno.kill(q.process.pid, "SIGKILL");
      await rejects(run(q.host("cxl-vmem0"), "identify"), TargetClosedError);
      await q.process.status;
      assertEquals(q.exited()?.signal, "SIGKILL");
      assertEquals(q.exited()?.unexpected, true);
    } finally {
      await q.close();
    }
    assertNothingLeft(q.process.dir);
  },
});

Deno.test({
  name: "a QEMU that hangs mid-run (SIGSTOP) makes host steps time out, and close() still ends it",
  ignore,
  async fn() {
    const q = await launchQemu(DCD_1X2G, { binary: binary as string, commandTimeoutMs: 300 });
    try {
      Deno.kill(q.process.pid, "SIGSTOP");
      await rejects(run(q.host("cxl-vmem0"), "identify"), (e: unknown) => {
        ok(e instanceof TargetTimeoutError, `expected TargetTimeoutError, got ${e}`);
        ok(/within 300 ms \(phase: host mailbox over qtest\)/.test(e.message), e.message);
        return true;
      });
    } finally {
      const t0 = Date.now();
      await q.close();
      ok(Date.now() - t0 < 1500, "close() did not need the SIGKILL grace period");
    }
    assertNothingLeft(q.process.dir);
  },
});

Deno.test({
  name: "a bad machine description fails with QEMU's own message and exit status",
  ignore,
  async fn() {
    await rejects(
      launchQemu(["-machine", "q35,cxl=on", "-device", "cxl-type3,id=x,num-dc-regions=1"], {
        binary: binary as string,
      }),
      (e: unknown) => {
        ok(e instanceof TargetStartupError, `expected TargetStartupError, got ${e}`);
        assertEquals(e.code, 1);
        ok(e.stderr.startsWith("qemu-system-x86_64: -device cxl-type3"), e.stderr);
        return true;
      },
    );
    assertNothingLeft();
  },
});

Deno.test("a QEMU binary that does not exist is a start-up error naming the path", async () => {
  await rejects(
    launchQemu(["-machine", "q35"], { binary: "/nonexistent/qemu-system-x86_64" }),
    (e: unknown) => {
      ok(e instanceof TargetStartupError);
      assertEquals(e.code, null);
      ok(
        e.message.startsWith(
          "cannot start QEMU binary '/nonexistent/qemu-system-x86_64': no such file",
        ),
        e.message,
      );
      return true;
    },
  );
  assertNothingLeft();
});

Deno.test("a hung QEMU (never opens its socket) times out naming the phase", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/hung-qemu`;
    await Deno.writeTextFile(script, "#!/bin/sh\nexec sleep 30\n");
    await Deno.chmod(script, 0o755);
    const t0 = Date.now();
    await rejects(
      launchQemu(["-machine", "q35"], { binary: script, startTimeoutMs: 300 }),
      (e: unknown) => {
        ok(e instanceof TargetTimeoutError, `expected TargetTimeoutError, got ${e}`);
        ok(/within 300 ms \(phase: start\)/.test(e.message), e.message);
        return true;
      },
    );
    ok(Date.now() - t0 < 3000, "the timeout is honoured");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertNothingLeft();
});

Deno.test("a fake QEMU that exits at once reports its stderr and status", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/failing-qemu`;
    await Deno.writeTextFile(script, "#!/bin/sh\necho 'qemu: something is wrong' >&2\nexit 3\n");
    await Deno.chmod(script, 0o755);
    await rejects(launchQemu([], { binary: script }), (e: unknown) => {
      ok(e instanceof TargetStartupError);
      assertEquals([e.stderr, e.code], ["qemu: something is wrong", 3]);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assertNothingLeft();
});

Deno.test({
  name: "a machine started with -S launches, and host steps time out saying why",
  ignore,
  async fn() {
    const q = await launchQemu([...DCD_1X2G, "-S"], {
      binary: binary as string,
      deviceTimeoutMs: 300,
    });
    try {
      await rejects(run(q.host("cxl-vmem0"), "identify"), (e: unknown) => {
        ok(e instanceof TargetTimeoutError);
        ok(/phase: device discovery/.test(e.message), e.message);
        ok(/started with -S/.test(e.message), e.message);
        return true;
      });
    } finally {
      await q.close();
    }
    assertNothingLeft(q.process.dir);
  },
});

Deno.test({
  name: "an aborted launch kills QEMU and leaves nothing behind",
  ignore,
  async fn() {
    const controller = new AbortController();
    const launching = launchQemu(DCD_1X2G, { binary: binary as string, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 20);
    await rejects(launching);
    assertNothingLeft();
  },
});

/** Runs testdata/launch_and_wait.ts, reads the QEMU pid and dir it prints, then `act`s. */
async function runnerChild(
  mode: "wait" | "exit",
  act: (child: Deno.ChildProcess) => void,
): Promise<{ code: number; pid: number; dir: string }> {
  const script = new URL("./testdata/launch_and_wait.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", script, binary as string, mode],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += r.value;
  }
  const { pid, dir } = JSON.parse(text) as { pid: number; dir: string };
  act(child);
  const status = await child.status;
  await reader.cancel().catch(() => {});
  return { code: status.code, pid, dir };
}

Deno.test({
  name: "Ctrl-C of the runner kills its QEMU and removes the socket directory",
  ignore,
  async fn() {
    const { code, pid, dir } = await runnerChild("wait", (child) => child.kill("SIGINT"));
    assertEquals(code, 130);
    const state = await waitDead(pid);
    ok(state === "gone" || state === "Z", `QEMU ${pid} is ${state}; expected it dead`);
    ok(!exists(dir), "the socket directory was removed");
  },
});

Deno.test({
  name: "a runner that exits without closing still takes its QEMU down",
  ignore,
  async fn() {
    const { code, pid, dir } = await runnerChild("exit", () => {});
    assertEquals(code, 0);
    const state = await waitDead(pid);
    ok(state === "gone" || state === "Z", `QEMU ${pid} is ${state}; expected it dead`);
    ok(!exists(dir), "the socket directory was removed");
  },
});
