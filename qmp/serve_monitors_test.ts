import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { capture } from "./testing/capture.ts";
import { serving } from "./testing/serving.ts";
import { main } from "./serve_main.ts";
import { QmpServer } from "./server.ts";
import { RawReader } from "./testing/raw_reader.ts";
import { DCD_MACHINE } from "./testing/machines.ts";
import { FakeMachine } from "./testing/fake_machine.ts";

async function greeted(conn: Deno.Conn, ms: number): Promise<boolean> {
  const r = new RawReader(conn);
  await r.readUntil(() => r.text.includes("\r\n"), ms);
  return r.text.startsWith('{"QMP"');
}

Deno.test("one client at a time per socket by default: the next is greeted only when the first disconnects", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  await serving([], [...DCD_MACHINE, "-qmp", `unix:${path},server=on,wait=off`], async () => {
    const a = await Deno.connect({ transport: "unix", path });
    ok(await greeted(a, 1000));
    const b = await Deno.connect({ transport: "unix", path }); // accepted by the kernel
    const rb = new RawReader(b);
    await rb.readUntil(() => rb.text.length > 0, 300).catch(() => {});
    assertEquals(rb.text, "", "no greeting while the first client is connected");
    a.close();
    // RawReader closed b on its timeout; a third client waits behind nobody now
    const c = await Deno.connect({ transport: "unix", path });
    ok(await greeted(c, 2000));
    c.close();
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--concurrent-clients serves every client of a socket at once", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  await serving(["--concurrent-clients"], [
    ...DCD_MACHINE,
    "-qmp",
    `unix:${path},server=on,wait=off`,
  ], async () => {
    const a = await Deno.connect({ transport: "unix", path });
    const b = await Deno.connect({ transport: "unix", path });
    ok(await greeted(a, 1000));
    ok(await greeted(b, 1000));
    a.close();
    b.close();
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a client-mode -qmp socket nobody listens on fails at start-up with QEMU's exact message", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/nobody.sock`;
  for (
    const monitors of [
      ["-qmp", `unix:${path}`],
      ["-chardev", `socket,id=m0,path=${path}`, "-mon", "chardev=m0,mode=control"],
    ]
  ) {
    const c = capture();
    assertEquals(await main(["--", ...DCD_MACHINE, ...monitors], c.deps), 1);
    const where = monitors[0] === "-qmp"
      ? `-qmp unix:${path}`
      : `-chardev socket,id=m0,path=${path}`;
    // QEMU 10.0.2: qemu-system-x86_64 -machine none -display none -qmp unix:/tmp/nobody.sock
    assertEquals(c.err, [
      `qemu-system-x86_64: ${where}: Failed to connect to '${path}': No such file or directory`,
    ]);
  }
  const c = capture();
  assertEquals(await main(["--", ...DCD_MACHINE, "-mon", "chardev=nope,mode=control"], c.deps), 1);
  assertEquals(c.err, [
    'qemu-system-x86_64: -mon chardev=nope,mode=control: chardev "nope" not found',
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a client-mode -qmp socket connects out and is greeted", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fm.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const accepted = listener.accept();
  await serving([], [...DCD_MACHINE, "-qmp", `unix:${path}`], async () => {
    const conn = await accepted;
    ok(await greeted(conn, 1000));
  });
  listener.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("libvirt's -chardev socket,server=on -mon chardev=X,mode=control is a QMP socket; mode=readline is not", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/mon.sock`;
  await serving([], [
    ...DCD_MACHINE,
    "-chardev",
    `socket,id=charmonitor,path=${path},server=on,wait=off`,
    "-mon",
    "chardev=charmonitor,id=monitor,mode=control",
    "-chardev",
    `socket,id=hmp,path=${dir}/hmp.sock,server=on,wait=off`,
    "-mon",
    "chardev=hmp,mode=readline",
  ], async () => {
    const a = await Deno.connect({ transport: "unix", path });
    ok(await greeted(a, 1000));
    a.close();
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["mon.sock"]);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--listen-any binds both IPv4 and IPv6 for tcp::PORT", async () => {
  const server = await QmpServer.listen({
    machine: new FakeMachine(),
    listen: ["tcp::0,server=on,wait=off"],
    listenAny: true,
  });
  try {
    const port = Number(server.addresses[0]!.split(":").pop());
    for (const hostname of ["127.0.0.1", "::1"]) {
      const c = await Deno.connect({ hostname, port });
      ok(await greeted(c, 1000), hostname);
      c.close(); // one client at a time: the next family's client is greeted once this one left
    }
  } finally {
    await server.close();
  }
});

function spawnServe(monitors: string[], stdin: "piped" | "null" = "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./serve.ts", import.meta.url).pathname,
      "--from-source", // the same start whatever the bundle cache holds
      "--quiet",
      "--",
      ...DCD_MACHINE,
      ...monitors,
    ],
    stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("SIGHUP ends serve cleanly like SIGTERM: status 0 and the socket removed", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  const child = spawnServe(["-qmp", `unix:${path},server=on,wait=off`]);
  // Signal the moment the socket appears: serve's handlers must already be in place.
  for (let i = 0; i < 10_000; i++) {
    if (await Deno.lstat(path).then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 1));
  }
  child.kill("SIGHUP");
  const out = await child.output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals([...Deno.readDirSync(dir)], []);
  await Deno.remove(dir);
});

Deno.test("-qmp stdio speaks QMP on standard input and output", async () => {
  const child = spawnServe(["-qmp", "stdio"], "piped");
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode('{"execute":"qmp_capabilities","id":1}\n'));
  const reader = child.stdout.getReader();
  let text = "";
  const dec = new TextDecoder();
  while (!text.includes('"id": 1}')) {
    const r = await reader.read();
    if (r.done) break;
    text += dec.decode(r.value);
  }
  ok(text.startsWith('{"QMP": {"version"'), text);
  ok(text.includes('{"return": {}, "id": 1}\r\n'), text);
  reader.releaseLock();
  child.kill("SIGTERM");
  assertEquals((await child.output()).code, 0);
  await w.close().catch(() => {});
});
