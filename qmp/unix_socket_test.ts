import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { listenUnix, probeUnixSocket, unixPathError } from "./unix_socket.ts";
import { QmpServer } from "./server.ts";
import { FakeMachine } from "./testing/fake_machine.ts";

const fails = (e: Error) => () => Promise.reject(e);

Deno.test("a socket is stale only when the probe connect is refused (ECONNREFUSED)", async () => {
  assertEquals(
    await probeUnixSocket("x", fails(new Deno.errors.ConnectionRefused("refused"))),
    "stale",
  );
  assertEquals(await probeUnixSocket("x", fails(new Deno.errors.WouldBlock("EAGAIN"))), "live");
  assertEquals(
    await probeUnixSocket("x", fails(new Deno.errors.PermissionDenied("EACCES"))),
    "live",
  );
});

const python = (() => {
  try {
    return new Deno.Command("python3", { args: ["-c", "pass"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "a live socket whose accept backlog is full is not taken over",
  ignore: !python,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "qmp-unix-test-" });
    const path = `${dir}/full.sock`;
    // listen(0) and one connection that is never accepted: the backlog is full
    const child = new Deno.Command("python3", {
      args: [
        "-c",
        `import socket,sys,time
s=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1]);s.listen(0)
cs=[]
for i in range(4):
  c=socket.socket(socket.AF_UNIX);c.setblocking(False)
  try: c.connect(sys.argv[1]); cs.append(c)
  except BlockingIOError: break
print("full",flush=True);time.sleep(10)`,
        path,
      ],
      stdout: "piped",
    }).spawn();
    try {
      const reader = child.stdout.getReader();
      await reader.read();
      reader.releaseLock();
      await rejects(listenUnix(path), /another server is listening there/);
      assertEquals((await Deno.lstat(path)).isSocket, true, "the live socket is left alone");
    } finally {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("every path length QEMU accepts up to 107 bytes is served owner-only; longer ones get QEMU's message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "q" });
  try {
    for (const len of [86, 95, 107]) {
      const path = `${dir}/${"s".repeat(len - dir.length - 1)}`;
      assertEquals(new TextEncoder().encode(path).length, len);
      const server = await QmpServer.listen({
        machine: new FakeMachine(),
        listen: [`unix:${path}`],
      });
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600, `${len} bytes`);
      const c = await Deno.connect({ transport: "unix", path });
      c.close();
      await server.close();
      await rejects(Deno.lstat(path), Deno.errors.NotFound);
    }
    const long = `${dir}/${"s".repeat(120)}`;
    assertEquals(
      unixPathError(long),
      `UNIX socket path '${long}' is too long\nPath must be less than 108 bytes`,
    );
    await rejects(listenUnix(long), /is too long/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
