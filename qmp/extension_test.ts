import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../model/mod.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import { HostExtension, MAILBOX_COMMAND, STATE_COMMAND } from "./extension.ts";
import { QmpSession } from "./session.ts";
import { addArgs, DCD_MACHINE } from "./testing/machines.ts";

async function session(mode: "none" | "accept" | "manual") {
  const m = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const out: string[] = [];
  const s = new QmpSession(m, (t) => out.push(t), { extension: new HostExtension(m, mode) });
  s.start();
  s.feed('{"execute":"qmp_capabilities"}');
  await s.idle();
  out.length = 0;
  const run = async (command: string, args?: Record<string, unknown>) => {
    s.feed(
      JSON.stringify(
        args === undefined ? { execute: command } : { execute: command, arguments: args },
      ),
    );
    await s.idle();
    return out.splice(0).join("");
  };
  return { m, run };
}

Deno.test("the mailbox extension command runs a mailbox command and returns rc and payload in hex", async () => {
  const { run } = await session("manual");
  // 0x4800 Get DC Config, 1 region from 0
  const r = await run(MAILBOX_COMMAND, {
    device: "cxl-vmem0",
    opcode: 0x4800,
    "payload-hex": "0100",
  });
  assertEquals(r.startsWith('{"return": {"rc": 0, "payload-hex": "0101'), true, r);
  const short = await run(MAILBOX_COMMAND, { device: "cxl-vmem0", opcode: 0x4800 });
  assertEquals(short, '{"return": {"rc": 22, "payload-hex": ""}}\r\n');
});

Deno.test("the mailbox extension command checks its arguments like QAPI", async () => {
  const { run } = await session("manual");
  const e = (desc: string) => `{"error": {"class": "GenericError", "desc": "${desc}"}}\r\n`;
  assertEquals(await run(MAILBOX_COMMAND, { opcode: 1 }), e("Parameter 'device' is missing"));
  assertEquals(
    await run(MAILBOX_COMMAND, { device: "cxl-vmem0", opcode: "x" }),
    e("Invalid parameter type for 'opcode', expected: integer"),
  );
  assertEquals(
    await run(MAILBOX_COMMAND, { device: "cxl-vmem0", opcode: 1, x: 1 }),
    e("Parameter 'x' is unexpected"),
  );
  assertEquals(
    (await run(MAILBOX_COMMAND, { device: "cxl-vmem0", opcode: 1, "payload-hex": "abc" })).includes(
      "expected pairs of hex digits",
    ),
    true,
  );
  assertEquals(
    (await run(MAILBOX_COMMAND, { device: "nope", opcode: 0x4800 })).startsWith(
      '{"error": {"class": "GenericError"',
    ),
    true,
  );
});

Deno.test("in accept mode a QMP add is accepted by the simulated host before the next command", async () => {
  const { run } = await session("accept");
  assertEquals(
    await run("cxl-add-dynamic-capacity", addArgs([[0, 2097152]])),
    '{"return": {}}\r\n',
  );
  const state = await run(STATE_COMMAND);
  assertEquals(state.includes('"accepted-extents": [{'), true, state);
  assertEquals(state.includes('"records": 0'), true, state);
});

Deno.test("in none mode nobody answers: the offer stays pending", async () => {
  const { run } = await session("none");
  await run("cxl-add-dynamic-capacity", addArgs([[0, 2097152]]));
  const state = await run(STATE_COMMAND);
  assertEquals(state.includes('"accepted-extents": []'), true, state);
});

Deno.test("the mailbox extension refuses members named like Object.prototype's (constructor, toString, __proto__) as unexpected", async () => {
  const { run } = await session("manual");
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const args = JSON.parse(`{"device": "cxl-vmem0", "opcode": 1, "${name}": 1}`);
    assertEquals(
      await run(MAILBOX_COMMAND, args),
      `{"error": {"class": "GenericError", "desc": "Parameter '${name}' is unexpected"}}\r\n`,
      name,
    );
  }
  assertEquals(
    await run(STATE_COMMAND, JSON.parse('{"toString": 1}')),
    `{"error": {"class": "GenericError", "desc": "Parameter 'toString' is unexpected"}}\r\n`,
  );
});
