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

/**
 * Connects by the socket's name from its directory (neither Deno nor Python
 * connects to a 108-byte path; QEMU's clients do) and returns the greeting line.
 */
async function greetingByPython(path: string): Promise<string> {
  const script = "import socket,sys\n" +
    "import os\nd,n=os.path.split(sys.argv[1])\nos.chdir(d)\n" +
    "s=socket.socket(socket.AF_UNIX)\ns.connect(n)\n" +
    "b=b''\nwhile b'\\r\\n' not in b:\n  d=s.recv(4096)\n  b+=d\n  if not d: break\n" +
    "sys.stdout.write(b.split(b'\\r\\n')[0].decode())\n";
  const out = await new Deno.Command("python3", { args: ["-c", script, path] }).output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test("every path length QEMU accepts, up to all 108 bytes of sun_path, is served owner-only; longer ones get QEMU's message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "q" });
  try {
    for (const len of [86, 95, 107, 108]) {
      const path = `${dir}/${"s".repeat(len - dir.length - 1)}`;
      assertEquals(new TextEncoder().encode(path).length, len);
      const server = await QmpServer.listen({
        machine: new FakeMachine(),
        listen: [`unix:${path}`],
      });
      assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600, `${len} bytes`);
      const greeting = await greetingByPython(path);
      assertEquals(greeting.startsWith('{"QMP"'), true, `${len} bytes: ${greeting}`);
      await server.close();
      await rejects(Deno.lstat(path), Deno.errors.NotFound);
      assertEquals([...Deno.readDirSync(dir)], [], "no private bind directory is left");
    }
    const long = `${dir}/${"s".repeat(108 - dir.length)}`;
    assertEquals(new TextEncoder().encode(long).length, 109);
    assertEquals(
      unixPathError(long),
      `UNIX socket path '${long}' is too long\nPath must be less than 108 bytes`,
    );
    await rejects(listenUnix(long), /is too long/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
