import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { QmpServer } from "./server.ts";
import { RawReader } from "./testing/raw_reader.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { DCD_MACHINE } from "./testing/machines.ts";

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch { /* RawReader closed it on its timeout */ }
}

async function firstLine(conn: Deno.Conn, ms = 2000): Promise<string> {
  const r = new RawReader(conn);
  await r.readUntil(() => r.text.includes("\r\n"), ms);
  return r.text.includes("\r\n") ? r.text.slice(0, r.text.indexOf("\r\n")) : r.text;
}

async function ask(conn: Deno.Conn, line: string): Promise<string> {
  await conn.write(new TextEncoder().encode(line + "\n"));
  return await firstLine(conn);
}

Deno.test("a client past maxClients gets one QMP error line saying so and is disconnected; the connected ones are not disturbed", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  const server = await QmpServer.listen({
    machine: new FakeMachine(),
    listen: [`unix:${path},server=on,wait=off`],
    concurrentClients: true,
    maxClients: 2,
  });
  try {
    const a = await Deno.connect({ transport: "unix", path });
    const b = await Deno.connect({ transport: "unix", path });
    ok((await firstLine(a)).startsWith('{"QMP"'));
    ok((await firstLine(b)).startsWith('{"QMP"'));
    const c = await Deno.connect({ transport: "unix", path });
    const r = new RawReader(c);
    await r.readUntil(() => false, 2000); // until the server closes it
    assertEquals(
      r.text,
      '{"error": {"class": "GenericError", "desc": "too many QMP clients: 2 are connected, ' +
        "the server's limit (maxClients, serve --max-clients); disconnect one or raise the " +
        'limit"}}\r\n',
    );
    assertEquals(await ask(a, '{"execute": "qmp_capabilities"}'), '{"return": {}}');
    assertEquals(await ask(b, '{"execute": "qmp_capabilities"}'), '{"return": {}}');
    a.close();
    for (let i = 0; i < 100 && server.clientCount > 1; i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    const d = await Deno.connect({ transport: "unix", path });
    ok((await firstLine(d)).startsWith('{"QMP"'), "a place freed is served again");
    b.close();
    d.close();
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("out of file descriptors, serve keeps listening and greets a client once descriptors are free again", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  const serve = new URL("./serve.ts", import.meta.url).pathname;
  const deno = Deno.execPath();
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const cmd = [
    "ulimit -n 48;",
    "exec",
    quote(deno),
    "run -A",
    quote(serve),
    "--from-source --concurrent-clients --max-clients 1000 --", // no bundle build competing for fds
    ...DCD_MACHINE.map(quote),
    "-qmp",
    quote(`unix:${path},server=on,wait=off`),
  ].join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", cmd],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const held: Deno.Conn[] = [];
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let said = "";
    while (!said.includes("listening")) {
      const r = await reader.read();
      if (r.done) throw new Error(`serve ended before listening: ${said}`);
      said += r.value;
    }
    reader.releaseLock();
    // Fill the server's descriptor table: past it, clients wait un-greeted.
    let starved = false;
    for (let i = 0; i < 80 && !starved; i++) {
      const c = await Deno.connect({ transport: "unix", path });
      held.push(c);
      starved = !(await firstLine(c, 300)).startsWith('{"QMP"');
    }
    ok(starved, "48 descriptors should run out before 80 clients");
    for (const c of held) closeQuietly(c);
    held.length = 0;
    const late = await Deno.connect({ transport: "unix", path });
    held.push(late);
    ok((await firstLine(late, 3000)).startsWith('{"QMP"'), "accepting resumed");
  } finally {
    for (const c of held) closeQuietly(c);
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("QmpServer serves one client of a socket at a time by default, as QEMU: the next is greeted when the first leaves", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/q.sock`;
  const server = await QmpServer.listen({ machine: new FakeMachine(), listen: [`unix:${path}`] });
  try {
    const a = await Deno.connect({ transport: "unix", path });
    ok((await firstLine(a)).startsWith('{"QMP"'));
    const b = await Deno.connect({ transport: "unix", path });
    const rb = new RawReader(b);
    const waiting = rb.readUntil(() => rb.text.includes("\r\n"), 3000);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(rb.text, "", "no greeting while the first client is connected");
    closeQuietly(a);
    await waiting;
    ok(rb.text.startsWith('{"QMP"'), "greeted once the first client left");
    closeQuietly(b);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
