import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert";
import { PROFILES, withSeed } from "../../model/profile.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import type { FixtureFile } from "../loader.ts";
import { qemuBuilds } from "../qemu/test_util.ts";
import { runFixture } from "../runner.ts";
import { modelTarget } from "../targets/model.ts";
import { qemuTarget } from "../targets/qemu.ts";
import { parseTranscript } from "../transcript/parse.ts";
import { uuidBytes, writeUint } from "./bytes.ts";
import {
  encodeHostRequest,
  HOST_COMMANDS,
  type HostCommand,
  type HostField,
  HostFieldError,
} from "./codec.ts";
import { DC_EVENT_UUID } from "./layouts.ts";
import {
  exampleLine,
  formatMarkdown,
  HOST_REFERENCE_PATH,
  renderHostReference,
} from "./reference.ts";

const WIDTHS: Record<string, number> = { u8: 8, u16: 16, u24: 24, u32: 32, u64: 64 };

function without(fields: QmpObject, name: string): QmpObject {
  const out = { ...fields };
  delete out[name];
  return out;
}

function hex(command: string, fields: QmpObject): string {
  const r = encodeHostRequest(command, fields);
  return `${r.opcode}:${[...r.payload].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function maxOf(bits: number): QmpValue {
  const v = (1n << BigInt(bits)) - 1n;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function beyond(bits: number): QmpValue {
  const v = 1n << BigInt(bits);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

Deno.test("the committed fixtures/HOST_COMMANDS.md is what the codec's table renders", async () => {
  const committed = await Deno.readTextFile(HOST_REFERENCE_PATH);
  const rendered = await formatMarkdown(renderHostReference());
  assert(
    committed === rendered,
    "fixtures/HOST_COMMANDS.md differs from the rendering of HOST_COMMANDS: " +
      "run `deno task host-reference` and commit the result",
  );
  for (const [name, command] of Object.entries(HOST_COMMANDS)) {
    assert(committed.includes(`## \`${name}\``), `no section for ${name}`);
    assert(committed.includes(exampleLine(command)), `no example line for ${name}`);
  }
});

Deno.test("a table that drifts renders a different reference", () => {
  const identify = HOST_COMMANDS["identify"]!;
  const renamed: HostCommand = { ...identify, output: identify.output.slice(1) };
  assert(
    renderHostReference({ ...HOST_COMMANDS, identify: renamed }) !== renderHostReference(),
    "dropping a reply field must change the reference",
  );
});

Deno.test("every request field's default is what the encoder writes when it is absent", () => {
  let checked = 0;
  for (const [name, command] of Object.entries(HOST_COMMANDS)) {
    for (const field of command.input) {
      if (field.default === undefined) continue;
      const base = without(command.example, field.name);
      assertEquals(
        hex(name, { ...base, [field.name]: field.default }),
        hex(name, base),
        `${name}: ${field.name} absent must encode as ${JSON.stringify(field.default)}`,
      );
      checked++;
    }
  }
  assert(checked >= 10, `only ${checked} defaults checked`);
});

Deno.test("every integer request field takes exactly the width the table gives it", () => {
  let checked = 0;
  const tryWidth = (
    name: string,
    example: QmpObject,
    path: string,
    set: (v: QmpValue) => QmpObject,
    bits: number,
  ) => {
    encodeHostRequest(name, set(maxOf(bits)));
    assertThrows(
      () => encodeHostRequest(name, set(beyond(bits))),
      (e: unknown) => e instanceof HostFieldError && e.message.includes(`${bits}-bit`),
      `${name}: ${path} must refuse 2^${bits} (example ${JSON.stringify(example)})`,
    );
    checked++;
  };
  for (const [name, command] of Object.entries(HOST_COMMANDS)) {
    const ex = command.example;
    for (const field of command.input) {
      const bits = WIDTHS[field.type];
      if (bits !== undefined) {
        tryWidth(name, ex, field.name, (v) => ({ ...ex, [field.name]: v }), bits);
      }
      const elementBits = field.element === undefined ? undefined : WIDTHS[field.element];
      if (elementBits !== undefined) {
        tryWidth(name, ex, `${field.name}[]`, (v) => ({ ...ex, [field.name]: [v] }), elementBits);
      }
      for (const member of field.fields ?? []) {
        const memberBits = WIDTHS[member.type];
        if (memberBits === undefined) continue;
        const first = (ex[field.name] as QmpObject[])[0]!;
        tryWidth(
          name,
          ex,
          `${field.name}[].${member.name}`,
          (v) => ({ ...ex, [field.name]: [{ ...first, [member.name]: v }] }),
          memberBits,
        );
      }
    }
  }
  assert(checked >= 20, `only ${checked} widths checked`);
});

/** Output payloads that exercise every structure a decoder knows. */
function samplePayload(name: string): Uint8Array {
  switch (name) {
    case "identify":
      return new Uint8Array(0x45);
    case "get-event-records": {
      const p = new Uint8Array(0x20 + 2 * 0x80);
      writeUint(p, 0x14, 2, 2);
      p.set(uuidBytes(DC_EVENT_UUID), 0x20);
      return p; // one DC record, one other record (zero UUID)
    }
    case "get-event-interrupt-policy":
      return new Uint8Array(5);
    case "get-timestamp":
      return new Uint8Array(8);
    case "get-dc-config": {
      const p = new Uint8Array(8 + 0x28 + 16);
      p[0] = 1;
      p[1] = 1;
      return p;
    }
    case "get-dc-extent-list": {
      const p = new Uint8Array(16 + 0x28);
      p[0] = 1;
      return p;
    }
    case "raw":
      return new Uint8Array([1, 2]);
    default:
      return new Uint8Array(0);
  }
}

function keyPaths(value: QmpValue, prefix = ""): Set<string> {
  const out = new Set<string>();
  if (value === null || typeof value !== "object" || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    const path = `${prefix}${k}`;
    out.add(path);
    const items = Array.isArray(v) ? v : [v];
    const inner = Array.isArray(v) ? `${path}[].` : `${path}.`;
    for (const item of items) for (const p of keyPaths(item, inner)) out.add(p);
  }
  return out;
}

function tablePaths(fields: readonly HostField[], prefix = ""): Set<string> {
  const out = new Set<string>();
  for (const f of fields) {
    out.add(`${prefix}${f.name}`);
    const inner = `${prefix}${f.name}${f.type === "list" ? "[]" : ""}.`;
    for (const p of tablePaths(f.fields ?? [], inner)) out.add(p);
  }
  return out;
}

Deno.test("the reply fields in the table are exactly the fields the decoder writes", () => {
  for (const [name, command] of Object.entries(HOST_COMMANDS)) {
    const decoded = command.decode(samplePayload(name));
    assertEquals(
      [...keyPaths(decoded)].sort(),
      [...tablePaths(command.output)].sort(),
      `${name}: the reply fields of the table and of the decoder differ`,
    );
  }
});

/** A fixture that runs every example line, in table order, after a QMP offer to accept. */
function examplesFixture(): FixtureFile {
  const lines = [
    "# title: Every example line of the host command reference",
    "# requires: dcd, host",
    '-> {"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "/machine/peripheral/cxl-vmem0", "host-id": 0, "selection-policy": "prescriptive", "region": 0, "extents": [{"offset": 0, "len": 134217728}]}}',
    '<- {"return": {}}',
    ...Object.values(HOST_COMMANDS).flatMap((c) => [exampleLine(c), "<= SUCCESS"]),
  ];
  const name = "host-reference-examples.qmp";
  return { path: name, name, transcript: parseTranscript(lines.join("\n") + "\n", name) };
}

Deno.test("every example line parses as a host step and succeeds on the model under every profile", async () => {
  const fixture = examplesFixture();
  const transcript = fixture.transcript;
  assert(!(transcript instanceof Error));
  const hosts = transcript.steps.filter((s) => s.kind === "host");
  assertEquals(hosts.map((s) => s.kind === "host" && s.command), Object.keys(HOST_COMMANDS));
  for (const profile of [...Object.values(PROFILES), withSeed(PROFILES["qemu-11.1"]!)]) {
    const r = await runFixture(fixture, modelTarget({ profile }), `model[${profile.name}]`);
    assertEquals(r.outcome, "passed", `${profile.name}: ${r.failure?.message}`);
  }
});

const builds = qemuBuilds("the host reference examples on QEMU");
if (builds.length === 0) {
  Deno.test({
    name: "every example line succeeds on QEMU (skipped: QEMU binary absent)",
    ignore: true,
    fn() {},
  });
}
for (const build of builds) {
  Deno.test(`every example line succeeds on ${build.label}`, async () => {
    const r = await runFixture(
      examplesFixture(),
      qemuTarget({ binary: build.binary }),
      build.label,
    );
    assertEquals(r.outcome, "passed", r.failure?.message);
  });
}

Deno.test("the reference lists every fm- command with its fields, and each FM example encodes to its opcode", async () => {
  const committed = await Deno.readTextFile(HOST_REFERENCE_PATH);
  const { FM_COMMANDS, encodeFmRequest } = await import("./fm_codec.ts");
  for (const [name, command] of Object.entries(FM_COMMANDS)) {
    assert(committed.includes(`## \`${name}\``), `no section for ${name}`);
    assert(committed.includes(exampleLine(command)), `no example line for ${name}`);
    for (const field of command.input) {
      assert(committed.includes(`\`${field.name}\``), `${name}: field ${field.name} not listed`);
    }
    const req = encodeHostRequest(name, command.example);
    assertEquals(req, encodeFmRequest(name, command.example));
    assertEquals(req.opcode, command.opcode ?? command.example["opcode"], name);
  }
});
