/**
 * Memory held for unfinished input is bounded per connection and released on
 * disconnect: `serve` runs in a child process (its RSS read from
 * /proc/PID/status) while 6 clients each park just under the 1 MiB message
 * bound of an unterminated `[1,1,1,...` and then leave.
 */
import { ok } from "node:assert/strict";
import { DCD_MACHINE } from "./testing/machines.ts";

const enc = new TextEncoder();
const CLIENTS = 6;
const BYTES = 999_999;

async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (m === null) throw new Error("no VmRSS");
  return Number(m[1]);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** Reads until `text` contains `want` (or `ms` passed). */
async function readUntil(conn: Deno.Conn, want: string, ms: number): Promise<string> {
  const buf = new Uint8Array(65536);
  let text = "";
  const deadline = Date.now() + ms;
  const dec = new TextDecoder();
  while (!text.includes(want) && Date.now() < deadline) {
    const timer = setTimeout(() => conn.close(), deadline - Date.now());
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    } finally {
      clearTimeout(timer);
    }
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

for (const profile of ["qemu-10.0", "qemu-11.1"]) {
  Deno.test({
    name:
      `6 clients parking ~1 MB of unterminated '[1,1,...' each (${profile}) grow serve's RSS < 200 MB, released after they leave`,
    ignore: Deno.build.os !== "linux",
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "qmp-mem-" });
      const sock = `${dir}/q.sock`;
      const proc = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("./serve.ts", import.meta.url).pathname,
          "--from-source", // no bundle build in the background of the measurement
          "--quiet",
          "--concurrent-clients",
          "--profile",
          profile,
          "--",
          ...DCD_MACHINE,
          "-qmp",
          `unix:${sock},server=on,wait=off`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const conns: Deno.Conn[] = [];
      try {
        for (let i = 0; i < 400; i++) {
          try {
            await Deno.lstat(sock);
            break;
          } catch {
            await sleep(25);
          }
        }
        // Warm up: one client negotiates and runs a command, then leaves.
        {
          const c = await Deno.connect({ transport: "unix", path: sock });
          await readUntil(c, "\r\n", 5000);
          await writeAll(
            c,
            enc.encode('{"execute":"qmp_capabilities"}\n{"execute":"query-status"}\n'),
          );
          await readUntil(c, "running", 5000);
          c.close();
        }
        await sleep(500);
        const before = await rssKiB(proc.pid);
        const payload = new Uint8Array(BYTES);
        payload[0] = 0x5b; // [
        for (let i = 1; i < BYTES; i += 2) {
          payload[i] = 0x31; // 1
          if (i + 1 < BYTES) payload[i + 1] = 0x2c; // ,
        }
        for (let i = 0; i < CLIENTS; i++) {
          const c = await Deno.connect({ transport: "unix", path: sock });
          conns.push(c);
          await readUntil(c, "\r\n", 5000);
          await writeAll(c, payload);
        }
        // Everything was parsed once a fresh client gets its answer behind them.
        const probe = await Deno.connect({ transport: "unix", path: sock });
        await readUntil(probe, "\r\n", 5000);
        await writeAll(probe, enc.encode('{"execute":"qmp_capabilities"}\n'));
        ok((await readUntil(probe, "return", 20000)).includes("return"));
        probe.close();
        let peak = await rssKiB(proc.pid);
        for (let i = 0; i < 10; i++) {
          await sleep(100);
          peak = Math.max(peak, await rssKiB(proc.pid));
        }
        for (const c of conns.splice(0)) c.close();
        let after = peak;
        for (let i = 0; i < 30 && after - before >= 20 * 1024; i++) {
          await sleep(100);
          after = await rssKiB(proc.pid);
        }
        const mb = (k: number) => (k / 1024).toFixed(1);
        console.log(`RSS before ${mb(before)} MB, peak ${mb(peak)} MB, after ${mb(after)} MB`);
        ok(peak - before < 200 * 1024, `growth ${mb(peak - before)} MB`);
        ok(after - before < 100 * 1024, `after leaving ${mb(after - before)} MB above start`);
      } finally {
        for (const c of conns) {
          try {
            c.close();
          } catch { /* closed */ }
        }
        proc.kill("SIGKILL");
        await proc.status;
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
