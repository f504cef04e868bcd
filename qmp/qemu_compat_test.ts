/**
 * Sends the same malformed/edge-case corpus to every real QEMU build the
 * tests know (`qemuBuilds()`: `CXL_DCD_QEMU_BUILDS`, else `QEMU_BINARY` or
 * the one on PATH) and to the model's session under that build's profile,
 * asserting identical bytes; the fake machine too on builds with 10.0's JSON
 * error dialect (its profile has that dialect). One test per build; when no
 * build is there the test is skipped loudly.
 */
import { type QemuBuild, qemuBuilds } from "../conformance/qemu/test_util.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../model/machine.ts";
import type { Machine } from "../model/machine_types.ts";
import { QmpSession } from "./session.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { loadCorpus, showBytes } from "./testing/corpus.ts";
import { DCD_MACHINE } from "./testing/machines.ts";
import { RawReader } from "./testing/raw_reader.ts";

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

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
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
      await writeAll(conn, enc.encode('{"execute":"qmp_capabilities"}\n'));
      await r.readUntil(() => r.text.endsWith("\r\n"), 5000);
    }
    r.clear();
    await writeAll(conn, input);
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

/** The sessions compared with `build`: the model under its profile, the fake machine on 10.0's dialect. */
function machines(build: QemuBuild): [string, () => Machine][] {
  const model: [string, () => Machine] = [
    `model (${build.profile.name})`,
    () => createMachine(MACHINE_ARGS, { profile: build.profile }),
  ];
  if (build.profile.qmp.jsonErrors !== "qemu-10.0") return [model];
  return [["fake machine", () => new FakeMachine()], model];
}

async function startQemu(binary: string, sock: string): Promise<Deno.ChildProcess> {
  const proc = new Deno.Command(binary, {
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
  for (let i = 0; i < 400; i++) {
    try {
      await Deno.lstat(sock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return proc;
}

async function greeting(sock: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path: sock });
  const r = new RawReader(conn);
  await r.readUntil(() => r.text.endsWith("\r\n"), 5000);
  try {
    conn.close();
  } catch { /* closed by the read timer */ }
  return r.text;
}

function versionOf(build: QemuBuild): string {
  const v = build.profile.version;
  return `${v.major}.${v.minor}.${v.micro}`;
}

const builds = qemuBuilds("the QMP malformed-input corpus tests");
if (builds.length === 0) {
  Deno.test({
    name:
      "real QEMU and the model's session answer the malformed-input corpus identically (no QEMU build)",
    ignore: true,
    fn: () => {},
  });
}

for (const build of builds) {
  Deno.test(
    `${build.label} and the model's session (profile ${build.profile.name}) answer the malformed-input corpus identically`,
    async (t) => {
      const dir = await Deno.makeTempDir({ prefix: "qmp-compat-" });
      const sock = `${dir}/qmp.sock`;
      const proc = await startQemu(build.binary, sock);
      try {
        await t.step({
          name: `greeting bytes (profile version ${versionOf(build)})`,
          // The profile carries one micro version and package string per release line.
          ignore: versionOf(build) !== build.version,
          fn: async () => {
            const real = await greeting(sock);
            const out: string[] = [];
            new QmpSession(
              createMachine(MACHINE_ARGS, { profile: build.profile }),
              (s) => out.push(s),
            )
              .start();
            assertEquals(out[0], real);
          },
        });
        const corpus = loadCorpus();
        for (const [name, make] of machines(build)) {
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
    },
  );
}
