import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { TargetClosedError, TargetTimeoutError } from "../conformance/target_types.ts";
import { QmpClient } from "./client.ts";
import { QmpServer } from "./server.ts";
import { FakeMachine } from "./testing/fake_machine.ts";

Deno.test("connect retries until the socket appears", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const connecting = QmpClient.connect(`unix:${dir}/late.sock`, { connectTimeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 150));
    const server = await QmpServer.listen({
      machine: new FakeMachine(),
      listen: [`unix:${dir}/late.sock`],
    });
    const c = await connecting;
    await c.negotiate();
    assertEquals(await c.execute("query-status"), { running: true, status: "running" });
    await c.close();
    await server.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connect and greeting failures say what was expected within how long", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejects(
      QmpClient.connect(`unix:${dir}/none.sock`, { connectTimeoutMs: 100 }),
      (e: unknown) =>
        e instanceof TargetTimeoutError &&
        /could not connect to unix:.*none\.sock within 100 ms/.test(e.message),
    );
    const mute = Deno.listen({ transport: "unix", path: `${dir}/mute.sock` });
    const accepted: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of mute) accepted.push(c);
    })();
    await rejects(
      QmpClient.connect(`unix:${dir}/mute.sock`, { greetingTimeoutMs: 100 }),
      (e: unknown) =>
        e instanceof TargetTimeoutError &&
        /no QMP greeting from unix:.*mute\.sock within 100 ms/.test(e.message),
    );
    mute.close();
    await accepting.catch(() => {});
    for (const c of accepted) c.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commands time out, and pending calls reject when the peer closes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = await QmpServer.listen({
      machine: new FakeMachine(),
      listen: [`unix:${dir}/q.sock`],
    });
    const c = await QmpClient.connect(`unix:${dir}/q.sock`, { commandTimeoutMs: 100 });
    await c.negotiate();
    await c.sendRaw('{"execute": "query-status"'); // unterminated: the next command is swallowed
    await rejects(
      c.execute("query-status"),
      /no reply to 'query-status' from unix:.* within 100 ms/,
    );
    const waiting = c.receive(5000);
    await server.close();
    await rejects(waiting, TargetClosedError);
    await rejects(c.execute("query-status"), TargetClosedError);
    await c.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waitEvent sees an event that arrived before the call, and times out otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const m = new FakeMachine();
    const server = await QmpServer.listen({ machine: m, listen: [`unix:${dir}/q.sock`] });
    const c = await QmpClient.connect(`unix:${dir}/q.sock`);
    await c.negotiate();
    m.emit("X1", { n: 1 });
    m.emit("X2");
    await c.execute("query-status");
    assertEquals((await c.waitEvent("X2", 100)).event, "X2");
    assertEquals((await c.waitEvent("X1", 100)).data, { n: 1 });
    await rejects(c.waitEvent("X1", 50), /no X1 event from unix:.* within 50 ms/);
    const later = c.waitEvent("X3", 2000);
    m.emit("X3");
    assertEquals((await later).event, "X3");
    await c.close();
    await server.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connect stops retrying at once when its signal aborts, leaving no timer behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "qmp-abort-" });
  try {
    const giveUp = new AbortController();
    const started = Date.now();
    const pending = QmpClient.connect(`unix:${dir}/never.sock`, {
      connectTimeoutMs: 10_000,
      signal: giveUp.signal,
    });
    setTimeout(() => giveUp.abort(new Error("QEMU exited")), 50);
    await rejects(
      pending,
      (e) => e instanceof TargetClosedError && e.message.includes("gave up connecting"),
    );
    const took = Date.now() - started;
    if (took > 2000) throw new Error(`connect took ${took} ms after the abort; expected at once`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
