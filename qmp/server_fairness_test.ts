/**
 * One client's flood of malformed input does not hold the others' replies:
 * 8 clients each send 8 KB of `]` (8192 error replies) every 0.5 s and read
 * what comes back, while a good client pings with `query-version` every 50 ms
 * for 10 s.
 */
import { ok } from "node:assert/strict";
import { createMachine } from "../model/machine.ts";
import { QmpServer } from "./server.ts";
import { DCD_MACHINE } from "./testing/machines.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** Pings with `query-version` on a 50 ms schedule for `ms`; answers and the worst round trip. */
async function ping(path: string, ms: number, conns: Deno.Conn[]): Promise<{
  answers: number;
  worst: number;
}> {
  const good = await Deno.connect({ transport: "unix", path });
  conns.push(good);
  const dec = new TextDecoder();
  let text = "";
  const buf = new Uint8Array(65536);
  const readLine = async () => {
    for (;;) {
      const nl = text.indexOf("\r\n");
      if (nl >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 2);
        return line;
      }
      const n = await good.read(buf);
      if (n === null) throw new Error("closed");
      text += dec.decode(buf.subarray(0, n));
    }
  };
  await readLine();
  await writeAll(good, enc.encode('{"execute":"qmp_capabilities"}\n'));
  await readLine();
  let answers = 0;
  let worst = 0;
  const start = performance.now();
  const end = start + ms;
  for (let tick = 1; performance.now() < end; tick++) {
    const t0 = performance.now();
    await writeAll(good, enc.encode('{"execute":"query-version"}\n'));
    const line = await readLine();
    const dt = performance.now() - t0;
    ok(line.includes('"qemu"'), line);
    answers++;
    worst = Math.max(worst, dt);
    // Pings go out on a 50 ms schedule (the next tick, or at once when late).
    await sleep(Math.max(0, start + tick * 50 - performance.now()));
  }
  return { answers, worst };
}

/** What a fairness scenario gets: the socket, and lists it adds its connections and tasks to. */
interface Scene {
  path: string;
  conns: Deno.Conn[];
  tasks: Promise<void>[];
  /** True once the scenario is over: background writers stop. */
  stopped(): boolean;
}

/** Serves the DCD machine on a private socket for `fn`, then closes every connection and the server. */
async function scene(fn: (s: Scene) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "qmp-fair-" });
  const server = await QmpServer.listen({
    machine: createMachine(DCD_MACHINE),
    listen: [`unix:${dir}/q.sock,server=on,wait=off`],
    concurrentClients: true,
  });
  let stop = false;
  const s: Scene = { path: `${dir}/q.sock`, conns: [], tasks: [], stopped: () => stop };
  try {
    await fn(s);
  } finally {
    stop = true;
    for (const c of s.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.allSettled(s.tasks);
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads and drops whatever a connection sends until it closes. */
async function drain(c: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    while ((await c.read(buf)) !== null);
  } catch { /* closed */ }
}

Deno.test("8 flooding clients leave a pinging client >= 150 answers in 10 s, none slower than 250 ms", async () => {
  await scene(async ({ path, conns, tasks, stopped }) => {
    const flood = new Uint8Array(8192).fill(0x5d); // ]
    for (let i = 0; i < 8; i++) {
      const c = await Deno.connect({ transport: "unix", path });
      conns.push(c);
      tasks.push(drain(c));
      tasks.push((async () => {
        await writeAll(c, enc.encode('{"execute":"qmp_capabilities"}\n'));
        while (!stopped()) {
          await writeAll(c, flood).catch(() => {});
          await sleep(500);
        }
      })());
    }
    const { answers, worst } = await ping(path, 10_000, conns);
    console.log(`${answers} answers, worst ${worst.toFixed(1)} ms`);
    ok(answers >= 150, `${answers} answers`);
    ok(worst < 250, `worst ${worst.toFixed(1)} ms`);
  });
});

Deno.test("200 KB of '[' then 200 KB of ']' from one client delays a pinging client by < 250 ms", async () => {
  await scene(async ({ path, conns, tasks }) => {
    const c = await Deno.connect({ transport: "unix", path });
    conns.push(c);
    tasks.push(drain(c));
    tasks.push((async () => {
      await sleep(200);
      await writeAll(c, new Uint8Array(200 * 1024).fill(0x5b)).catch(() => {}); // [
      await writeAll(c, new Uint8Array(200 * 1024).fill(0x5d)).catch(() => {}); // ]
    })());
    const { answers, worst } = await ping(path, 3_000, conns);
    console.log(`${answers} answers, worst ${worst.toFixed(1)} ms`);
    ok(answers >= 45, `${answers} answers`);
    ok(worst < 250, `worst ${worst.toFixed(1)} ms`);
  });
});
