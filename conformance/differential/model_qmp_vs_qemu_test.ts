/**
 * Runs QMP command lists on each real QEMU build (over `-qmp stdio`, no
 * sockets; every binary in CXL_DCD_QEMU_BUILDS, else QEMU_BINARY or
 * qemu-system-x86_64 on PATH) and on the model under the profile the runner
 * picks for that build, and checks that every reply and event is the same
 * (timestamps aside). Skips loudly when no build is there.
 */
import { qemuBuilds } from "../qemu/test_util.ts";
import { deepStrictEqual } from "node:assert";
import { createMachine } from "../../model/machine.ts";
import type { Profile } from "../../model/profile.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import { DCD_1X2G, MIXED } from "../../model/test_machines.ts";

type Command = { execute: string; arguments?: QmpObject };

function parse(line: string): QmpObject {
  return JSON.parse(
    line,
    (_k, v, ctx?: { source?: string }) =>
      typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source !== undefined &&
        /^-?[0-9]+$/.test(ctx.source)
        ? BigInt(ctx.source)
        : v,
  ) as QmpObject;
}

function normalise(o: QmpObject): QmpValue {
  const copy: QmpObject = { ...o };
  if ("timestamp" in copy) copy["timestamp"] = "T";
  return copy;
}

/** Every message QEMU sends after each command (events, then the reply). */
async function real(
  binary: string,
  args: readonly string[],
  commands: readonly Command[],
): Promise<QmpValue[]> {
  const child = new Deno.Command(binary, {
    args: [...args, "-display", "none", "-nodefaults", "-qmp", "stdio"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const nextLine = async (): Promise<string> => {
    while (!buffer.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`QEMU closed its QMP stream (buffer: ${buffer})`);
      buffer += value;
    }
    const i = buffer.indexOf("\n");
    const line = buffer.slice(0, i).trim();
    buffer = buffer.slice(i + 1);
    return line;
  };
  const send = (o: unknown) => writer.write(new TextEncoder().encode(`${JSON.stringify(o)}\n`));
  const out: QmpValue[] = [];
  try {
    await nextLine();
    await send({ execute: "qmp_capabilities" });
    await nextLine();
    for (const c of commands) {
      await send(c);
      for (;;) {
        const msg = parse(await nextLine());
        out.push(normalise(msg));
        if ("return" in msg || "error" in msg) break;
      }
    }
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone: a session that ends with `quit` races QEMU's own exit
    }
    await writer.close().catch(() => {});
    await lines.cancel().catch(() => {});
    await child.status;
  }
  return out;
}

function model(
  profile: Profile,
  args: readonly string[],
  commands: readonly Command[],
): QmpValue[] {
  // `-qmp stdio` gives QEMU one monitor; the model gets the same.
  const m = createMachine([...args, "-qmp", "stdio"], { profile });
  const out: QmpValue[] = [];
  m.subscribe((e) => out.push(normalise(e as unknown as QmpObject)));
  for (const c of commands) out.push(normalise(m.execute(c.execute, c.arguments) as QmpObject));
  return out;
}

const P = "/machine/peripheral/cxl-vmem0";
const add = (over: QmpObject = {}): Command => ({
  execute: "cxl-add-dynamic-capacity",
  arguments: {
    path: P,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: [{ offset: 0, len: 134217728 }],
    ...over,
  },
});
const rel = (over: QmpObject = {}): Command => ({
  execute: "cxl-release-dynamic-capacity",
  arguments: {
    path: P,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: [{ offset: 0, len: 134217728 }],
    ...over,
  },
});
const qomGet = (path: string, property: string): Command => ({
  execute: "qom-get",
  arguments: { path, property },
});

const SESSIONS: [string, readonly string[], Command[]][] = [
  ["DC add/release checks and QOM on the mixed machine", MIXED, [
    add(),
    add(),
    add({ "selection-policy": "contiguous", path: "/nonexistent" }),
    add({ path: "/machine/peripheral/cxl-static0" }),
    add({ path: "cxl-vmem0", region: 1 }),
    add({ extents: [{ offset: 1073741824, len: 0 }] }),
    add({ extents: [{ offset: 1073745920, len: 2097152 }] }),
    add({ extents: [{ offset: 1071644672, len: 4194304 }] }),
    add({ extents: [{ offset: 536870912, len: 4194304 }, { offset: 538968064, len: 2097152 }] }),
    add({ extents: [{ offset: -1, len: 2097152 }] }),
    add({ extents: [], "host-id": 7, tag: "not-a-uuid" }),
    add({ region: 256, foo: 1, bar: 2 }),
    add({ foo: 1, bar: 2 }),
    rel(),
    rel({ extents: [{ offset: 536870912, len: 2097152 }] }),
    rel({ "forced-removal": true, "removal-policy": "tag-based" }),
    rel({ "removal-policy": "tag-based" }),
    qomGet(P, "num-dc-regions"),
    qomGet("cxl-static0", "volatile-memdev"),
    qomGet("root_port13", "type"),
    qomGet("cxl.1", "type"),
    qomGet("/machine/peripheral/nope", "type"),
    { execute: "qom-list", arguments: { path: "/machine/peripheral" } },
    { execute: "qom-list", arguments: { path: "/" } },
    { execute: "qom-set", arguments: { path: P, property: "num-dc-regions", value: 2 } },
  ]],
  ["objects, run state and inject commands on the one-device machine", DCD_1X2G, [
    {
      execute: "object-add",
      arguments: { "qom-type": "memory-backend-ram", id: "x1", size: 1048576 },
    },
    {
      execute: "object-add",
      arguments: { "qom-type": "memory-backend-ram", id: "x1", size: 1048576 },
    },
    { execute: "object-add", arguments: { "qom-type": "memory-backend-tagged", id: "t", size: 1 } },
    { execute: "object-add", arguments: { "qom-type": "memory-backend-ram", id: "x2", size: 0 } },
    { execute: "qom-list", arguments: { path: "/objects" } },
    { execute: "object-del", arguments: { id: "vmem0" } },
    { execute: "object-del", arguments: { id: "x1" } },
    { execute: "object-del", arguments: { id: "x1" } },
    { execute: "device-list-properties", arguments: { typename: "cxl-type3" } },
    { execute: "query-status" },
    { execute: "stop" },
    { execute: "stop" },
    { execute: "cont" },
    { execute: "cxl-inject-poison", arguments: { path: "cxl-vmem0", start: 1, length: 64 } },
    { execute: "cxl-inject-poison", arguments: { path: "nope", start: 0, length: 64 } },
    { execute: "cxl-release-dynamic-capacity-status", arguments: { path: P } },
    { execute: "query-version" },
    { execute: "quit" },
  ]],
];

const builds = qemuBuilds("the model-vs-QEMU QMP tests");
if (builds.length === 0) {
  Deno.test({ name: "model QMP answers equal real QEMU's (no QEMU build)", ignore: true, fn() {} });
}
for (const build of builds) {
  for (const [what, args, commands] of SESSIONS) {
    Deno.test({
      name: `model[${build.profile.name}] QMP answers equal ${build.label}'s: ${what}`,
      sanitizeResources: false,
      fn: async () => {
        const got = model(build.profile, args, commands);
        const want = await real(build.binary, args, commands);
        const dump = Deno.env.get("CXL_DCD_DIFF_DUMP");
        if (dump) {
          const show = (v: QmpValue[]) =>
            v.map((m) => JSON.stringify(m, (_k, x) => typeof x === "bigint" ? `${x}n` : x, 1))
              .join("\n");
          Deno.writeTextFileSync(`${dump}.model`, show(got));
          Deno.writeTextFileSync(`${dump}.qemu`, show(want));
        }
        deepStrictEqual(got, want);
      },
    });
  }
}
