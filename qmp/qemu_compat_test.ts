/**
 * Sends the same malformed/edge-case corpus to a real QEMU 10.0.2 and to the
 * session over the fake machine and over the real model, asserting identical
 * bytes. Skips loudly only when
 * the QEMU binary is absent (`QEMU_BINARY` overrides the path).
 */
import { availableQemu } from "../conformance/qemu/test_util.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../model/machine.ts";
import type { Machine } from "../model/machine_types.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import { QmpSession } from "./session.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { loadCorpus, showBytes } from "./testing/corpus.ts";
import { DCD_MACHINE } from "./testing/machines.ts";
import { RawReader } from "./testing/raw_reader.ts";

// The binary (QEMU_BINARY or qemu-system-x86_64 on PATH); availableQemu() warns
// loudly, once, when it is absent and the tests below are skipped.
const QEMU = availableQemu() ?? "qemu-system-x86_64";

const MACHINE_ARGS = DCD_MACHINE;

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

async function sessionOutput(
  machine: Machine,
  input: Uint8Array,
  negotiate: boolean,
): Promise<string> {
  const out: string[] = [];
  const s = new QmpSession(machine, (t) => out.push(t));
  s.start();
  if (negotiate) s.feed('{"execute":"qmp_capabilities"}\n');
  await s.idle();
  out.length = 0;
  s.feed(input);
  await s.idle();
  s.close();
  return latin1.decode(enc.encode(out.join("")));
}

async function qemuOutput(
  path: string,
  input: Uint8Array,
  negotiate: boolean,
  want: number,
): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  const r = new RawReader(conn);
  try {
    await r.readUntil(() => r.text.endsWith("\r\n"), 5000);
    if (negotiate) {
      r.clear();
      await conn.write(enc.encode('{"execute":"qmp_capabilities"}\n'));
      await r.readUntil(() => r.text.endsWith("\r\n"), 5000);
    }
    r.clear();
    await conn.write(input);
    // Wait for as much as the model produced, then a little longer for extra output.
    await r.readUntil(() => r.text.length >= want, 3000);
    const tail = r.text.length;
    await r.readUntil(() => r.text.length > tail, want === 0 ? 300 : 60);
    return r.text;
  } finally {
    try {
      conn.close();
    } catch { /* closed by a timer */ }
  }
}

function machines(): [string, () => Machine][] {
  return [
    ["fake machine", () => new FakeMachine()],
    ["model (qemu-10.0)", () => createMachine(MACHINE_ARGS, { profile: QEMU_10_0 })],
  ];
}

Deno.test({
  name: "real QEMU 10.0.2 and the model's session answer the malformed-input corpus identically",
  ignore: availableQemu() === undefined,
}, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "qmp-compat-" });
  const sock = `${dir}/qmp.sock`;
  const proc = new Deno.Command(QEMU, {
    args: [
      ...MACHINE_ARGS,
      "-display",
      "none",
      "-nodefaults",
      "-qmp",
      `unix:${sock},server=on,wait=off`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    for (let i = 0; i < 200; i++) {
      try {
        await Deno.lstat(sock);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    await t.step("greeting bytes", async () => {
      const conn = await Deno.connect({ transport: "unix", path: sock });
      const r = new RawReader(conn);
      await r.readUntil(() => r.text.endsWith("\r\n"), 5000);
      const greeting = r.text;
      try {
        conn.close();
      } catch { /* closed by the read timer */ }
      for (const [name, make] of machines()) {
        if (name === "fake machine") continue;
        const out: string[] = [];
        new QmpSession(make(), (t) => out.push(t)).start();
        assertEquals(out[0], greeting, name);
      }
    });
    const corpus = loadCorpus();
    for (const [name, make] of machines()) {
      await t.step(name, async () => {
        for (const c of corpus) {
          const model = await sessionOutput(make(), c.input, c.negotiate);
          const real = await qemuOutput(sock, c.input, c.negotiate, model.length);
          if (latin1.decode(c.input).includes('"enable": ["oob"]')) {
            // With OOB enabled, QEMU runs in-band commands in its main loop and
            // out-of-band ones at once in its I/O thread: their interleaving is
            // timing-dependent, so only the set of replies is compared.
            const lines = (s: string) => s.split("\r\n").sort();
            assertEquals(lines(model), lines(real), `input ${showBytes(c.input)}`);
          } else {
            assertEquals(model, real, `input ${showBytes(c.input)}`);
          }
        }
      });
    }
  } finally {
    try {
      proc.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.status;
    await proc.stderr.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
