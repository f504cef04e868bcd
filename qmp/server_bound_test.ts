import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import { QmpClient } from "./client.ts";
import { bindSockets, QmpServer } from "./server.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { inTempDir, isGone } from "./testing/files.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tempDir = (fn: (dir: string) => Promise<void>) => inTempDir("qmp-bound-test-", fn);

Deno.test("clients that connect to bound sockets before the server exists are greeted by it once it exists", async () => {
  await tempDir(async (dir) => {
    const bound = await bindSockets([`unix:${dir}/q.sock,server=on,wait=off`, "tcp:127.0.0.1:0"]);
    assertEquals(bound.addresses[0], `unix:${dir}/q.sock`);
    ok(/^tcp:127\.0\.0\.1:[1-9][0-9]*$/.test(bound.addresses[1]!), bound.addresses[1]);
    ok(
      Deno.lstatSync(`${dir}/q.sock`).isSocket === true,
      "the unix socket exists before the server",
    );
    // Connected while nothing accepts: they wait in the kernel's backlog.
    const unix = QmpClient.connect(bound.addresses[0]!);
    const tcp = QmpClient.connect(bound.addresses[1]!);
    await tick(30);
    const server = await QmpServer.listen({
      machine: new FakeMachine(),
      bound,
      concurrentClients: true,
    });
    try {
      assertEquals(server.addresses, bound.addresses);
      for (const c of [await unix, await tcp]) {
        await c.negotiate();
        assertEquals(await c.execute("query-status"), { status: "running", running: true });
        await c.close();
      }
    } finally {
      await server.close();
    }
    ok(isGone(`${dir}/q.sock`), "the server removes the socket it was handed on close");
  });
});

Deno.test("closing bound sockets no server took removes the socket file and ends a waiting client's connection", async () => {
  await tempDir(async (dir) => {
    const path = `${dir}/q.sock`;
    const bound = await bindSockets([`unix:${path},server=on,wait=off`]);
    const conn = await Deno.connect({ transport: "unix", path });
    await bound.close();
    await bound.close(); // twice is harmless
    ok(isGone(path), "socket file removed");
    const buf = new Uint8Array(16);
    let ended: boolean;
    try {
      ended = await conn.read(buf) === null;
    } catch (e) {
      ended = e instanceof Deno.errors.ConnectionReset;
    }
    ok(ended, "the waiting client sees its connection end, not a greeting");
    conn.close();
  });
});

Deno.test("bound sockets go to one server only, and never together with listen addresses", async () => {
  await tempDir(async (dir) => {
    const bound = await bindSockets([`unix:${dir}/a.sock,server=on,wait=off`]);
    await rejects(
      QmpServer.listen({ machine: new FakeMachine(), bound, listen: [`unix:${dir}/b.sock`] }),
      /both listen and bound given: expected one of them/,
    );
    const server = await QmpServer.listen({ machine: new FakeMachine(), bound });
    try {
      await rejects(
        QmpServer.listen({ machine: new FakeMachine(), bound }),
        /closed or handed to a server already/,
      );
      await bound.close(); // owned by the server now: does nothing
      ok(Deno.lstatSync(`${dir}/a.sock`).isSocket === true, "the server's socket stays");
    } finally {
      await server.close();
    }
    const closed = await bindSockets([`unix:${dir}/c.sock,server=on,wait=off`]);
    await closed.close();
    await rejects(
      QmpServer.listen({ machine: new FakeMachine(), bound: closed }),
      /closed or handed to a server already/,
    );
  });
});

Deno.test("bindSockets binds nothing when one address fails: the sockets bound before it are released", async () => {
  await tempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/taken`, "not a socket");
    await rejects(
      bindSockets([`unix:${dir}/first.sock,server=on,wait=off`, `unix:${dir}/taken,server=on`]),
      /a file that is not a socket is in the way/,
    );
    ok(isGone(`${dir}/first.sock`), "the first socket was removed again");
    assertEquals(await Deno.readTextFile(`${dir}/taken`), "not a socket");
  });
});
