import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { QmpClient, QmpCommandError } from "./client.ts";
import { QmpServer } from "./server.ts";
import { RawReader } from "./testing/raw_reader.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { loadCorpus, showBytes } from "./testing/corpus.ts";

async function withServer(
  fn: (server: QmpServer, addrs: { unix: string; tcp: string }, m: FakeMachine) => Promise<void>,
  opts: { maxMessageBytes?: number; maxOutputBytes?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "qmp-server-test-" });
  const m = new FakeMachine();
  const server = await QmpServer.listen({
    machine: m,
    listen: [`unix:${dir}/qmp.sock,server=on,wait=off`, "tcp:127.0.0.1:0,server,nowait"],
    concurrentClients: true, // these tests run several clients of one socket at once
    ...opts,
  });
  try {
    const [unix, tcp] = server.addresses;
    await fn(server, { unix: unix!, tcp: tcp! }, m);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

for (const transport of ["unix", "tcp"] as const) {
  Deno.test(`client over ${transport}: greeting, negotiation errors, id echo and events`, async () => {
    await withServer(async (_s, addrs) => {
      const c = await QmpClient.connect(addrs[transport], { connectTimeoutMs: 2000 });
      try {
        assertEquals((c.greeting.QMP as { capabilities: string[] }).capabilities, ["oob"]);
        await rejects(
          c.execute("query-status"),
          (e: unknown) =>
            e instanceof QmpCommandError && e.errorClass === "CommandNotFound" &&
            e.desc === "Expecting capabilities negotiation with 'qmp_capabilities'",
        );
        await c.negotiate();
        await rejects(
          c.negotiate(),
          /Capabilities negotiation is already complete, command ignored/,
        );
        assertEquals(await c.execute("query-status"), { running: true, status: "running" });
        await c.sendRaw('{"execute": "query-status", "id": {"a": [1, 2]}}\n');
        assertEquals(await c.receive(2000), {
          return: { status: "running", running: true },
          id: { a: [1, 2] },
        });
        await c.sendRaw('{"execute": "nope", "id": 42}\n');
        assertEquals(await c.receive(2000), {
          id: 42,
          error: { class: "CommandNotFound", desc: "The command nope has not been found" },
        });
        await c.execute("stop");
        await c.execute("cont");
        const stop = await c.waitEvent("STOP", 1000); // arrived before the call
        assertEquals(stop.event, "STOP");
        assertEquals((await c.waitEvent("RESUME", 1000)).event, "RESUME");
      } finally {
        await c.close();
      }
    });
  });
}

Deno.test("raw receive sees events and replies in wire order", async () => {
  await withServer(async (_s, addrs) => {
    const c = await QmpClient.connect(addrs.unix);
    try {
      await c.sendRaw('{"execute":"qmp_capabilities"}\n{"execute":"stop","id":1}\n');
      assertEquals(await c.receive(1000), { return: {} });
      assertEquals((await c.receive(1000)).event, "STOP");
      assertEquals(await c.receive(1000), { return: {}, id: 1 });
      await rejects(c.receive(50), /no QMP message from unix:.* within 50 ms/);
    } finally {
      await c.close();
    }
  });
});

Deno.test("a client sending garbage does not disturb another client", async () => {
  await withServer(async (_s, addrs) => {
    const good = await QmpClient.connect(addrs.unix);
    const bad = await QmpClient.connect(addrs.tcp);
    try {
      await good.negotiate();
      await bad.sendRaw('{"execute": query-status}\n\xff\x00[[[{"a"');
      assertEquals((await bad.receive(1000)).error, {
        class: "GenericError",
        desc: "JSON parse error, stray '-s'",
      });
      assertEquals(await good.execute("query-status"), { running: true, status: "running" });
      await bad.close();
      assertEquals(await good.execute("query-status"), { running: true, status: "running" });
    } finally {
      await good.close();
      await bad.close();
    }
  });
});

Deno.test("an oversized message gets QEMU's size error and the connection keeps serving", async () => {
  await withServer(async (_s, addrs) => {
    const c = await QmpClient.connect(addrs.unix);
    try {
      await c.negotiate();
      await c.sendRaw(`{"execute": "query-status", "id": "${"a".repeat(5000)}"}\n`);
      assertEquals(await c.receive(2000), {
        error: { class: "GenericError", desc: "JSON token size limit exceeded" },
      });
      // the rest of the giant token is junk; resynchronise on a newline
      while (true) {
        await c.sendRaw("\n");
        const r = await c.executeResult("query-status", undefined, { timeoutMs: 2000 });
        if ("return" in r) break;
      }
      assertEquals(await c.execute("query-status"), { running: true, status: "running" });
    } finally {
      await c.close();
    }
  }, { maxMessageBytes: 4096 });
});

Deno.test("a client that does not read is throttled, not dropped: others go on and it is served once it reads", async () => {
  await withServer(async (_s, addrs) => {
    const other = await QmpClient.connect(addrs.unix);
    const slow = await Deno.connect({ transport: "unix", path: addrs.unix.slice(5) });
    try {
      await other.negotiate();
      const input = '{"execute":"qmp_capabilities"}' + '{"execute":"query-commands"}'.repeat(2000);
      const w = slow.write(new TextEncoder().encode(input)).catch(() => 0);
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(await other.execute("query-status"), { running: true, status: "running" });
      // now read everything: every command gets its reply
      const r = new RawReader(slow);
      await r.readUntil(() => r.text.split("\r\n").length - 1 >= 2002, 10_000);
      await w;
      assertEquals(r.text.split("\r\n").length - 1, 2002, "greeting + 2001 replies");
    } finally {
      slow.close();
      await other.close();
    }
  }, { maxOutputBytes: 64 * 1024 });
});

Deno.test("a client that reads nothing while events flood past the output bound is dropped", async () => {
  await withServer(async (_s, addrs, m) => {
    const slow = await Deno.connect({ transport: "unix", path: addrs.unix.slice(5) });
    try {
      await slow.write(new TextEncoder().encode('{"execute":"qmp_capabilities"}\n'));
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 10000; i++) { // events nobody reads on `slow`
        m.execute("stop", undefined);
        m.execute("cont", undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
      const r = new RawReader(slow);
      await r.readUntil(() => false, 2000); // ends at EOF: the server closed it
      ok(
        r.text.length < 20000 * 80,
        `the slow client got only part of its events (${r.text.length} bytes)`,
      );
      const other = await QmpClient.connect(addrs.unix);
      await other.negotiate();
      assertEquals(await other.execute("query-status"), { running: true, status: "running" });
      await other.close();
    } finally {
      try {
        slow.close();
      } catch { /* closed by the reader's timer */ }
    }
  }, { maxOutputBytes: 64 * 1024 });
});

Deno.test("unix socket is owner-only, replaces a stale socket, refuses other files, and is removed on close", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qmp-server-test-" });
  try {
    const path = `${dir}/q.sock`;
    const stale = Deno.listen({ transport: "unix", path });
    stale.close(); // Deno removes nothing: the socket file stays, nobody listens
    const m = new FakeMachine();
    const s = await QmpServer.listen({ machine: m, listen: [`unix:${path},server=on,wait=off`] });
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    await rejects(
      QmpServer.listen({ machine: m, listen: [`unix:${path}`] }),
      /another server is listening there/,
    );
    await s.close();
    await rejects(Deno.lstat(path), Deno.errors.NotFound);
    await Deno.writeTextFile(path, "not a socket");
    await rejects(QmpServer.listen({ machine: m, listen: [`unix:${path}`] }), /not a socket/);
    assertEquals(await Deno.readTextFile(path), "not a socket");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("quit replies, then ends the server and removes its socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qmp-server-test-" });
  try {
    let quits = 0;
    const s = await QmpServer.listen({
      machine: new FakeMachine(),
      listen: [`unix:${dir}/q.sock`],
      onQuit: () => quits++,
    });
    const c = await QmpClient.connect(`unix:${dir}/q.sock`);
    await c.negotiate();
    assertEquals(await c.execute("quit"), {});
    await s.finished;
    assertEquals(quits, 1);
    await rejects(Deno.lstat(`${dir}/q.sock`), Deno.errors.NotFound);
    await rejects(
      c.receive(1000).then((m) => m.event === "SHUTDOWN" ? c.receive(1000) : m),
      /closed/,
    );
    await c.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the served fake machine answers the QEMU corpus byte-exactly over a socket", async () => {
  await withServer(async (_s, addrs) => {
    const dec = new TextDecoder("latin1");
    for (const c of loadCorpus()) {
      const conn = await Deno.connect({ transport: "unix", path: addrs.unix.slice(5) });
      try {
        const want = dec.decode(c.output);
        const r = new RawReader(conn);
        await r.readUntil(() => r.text.endsWith("\r\n"), 1000); // greeting
        if (c.negotiate) {
          r.clear();
          await conn.write(new TextEncoder().encode('{"execute":"qmp_capabilities"}\n'));
          await r.readUntil(() => r.text.endsWith("\r\n"), 1000);
        }
        r.clear();
        await conn.write(c.input);
        await r.readUntil(() => r.text.length >= want.length, want.length === 0 ? 30 : 2000);
        assertEquals(r.text, want, `input ${showBytes(c.input)}`);
      } finally {
        try {
          conn.close();
        } catch { /* closed by timer */ }
      }
    }
  });
});
