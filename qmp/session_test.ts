import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { QmpSession } from "./session.ts";
import { FakeMachine } from "./testing/fake_machine.ts";
import { loadCorpus, showBytes } from "./testing/corpus.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");

async function runCase(input: Uint8Array, negotiate: boolean): Promise<string> {
  const out: string[] = [];
  const s = new QmpSession(new FakeMachine(), (t) => out.push(t));
  s.start();
  if (negotiate) s.feed('{"execute":"qmp_capabilities"}\n');
  await s.idle();
  out.length = 0;
  s.feed(input);
  await s.idle();
  // compare as bytes: the session writes JS strings; encode them as UTF-8 (all ASCII)
  return dec.decode(enc.encode(out.join("")));
}

Deno.test("session answers every recorded malformed and edge input byte-exactly as QEMU 10.0.2", async () => {
  const corpus = loadCorpus();
  for (const c of corpus) {
    const got = await runCase(c.input, c.negotiate);
    assertEquals(got, dec.decode(c.output), `input ${showBytes(c.input)}`);
  }
});

Deno.test("session sends the greeting first and ends lines with CRLF", () => {
  const out: string[] = [];
  const s = new QmpSession(new FakeMachine(), (t) => out.push(t));
  s.start();
  assertEquals(
    out[0],
    '{"QMP": {"version": {"qemu": {"micro": 2, "minor": 0, "major": 10}, "package": "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1"}, "capabilities": ["oob"]}}\r\n',
  );
});

Deno.test("session delivers events only after negotiation, before the reply of the command raising them", async () => {
  const m = new FakeMachine();
  const out: string[] = [];
  const s = new QmpSession(m, (t) => out.push(t));
  s.start();
  m.emit("STOP");
  assertEquals(out.length, 1);
  s.feed('{"execute":"qmp_capabilities"}{"execute":"stop","id":1}');
  await s.idle();
  assertEquals(out[1], '{"return": {}}\r\n');
  assertEquals(
    out[2]!.match(
      /^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "STOP"\}\r\n$/,
    ) !== null,
    true,
    out[2],
  );
  assertEquals(out[3], '{"return": {}, "id": 1}\r\n');
});

Deno.test("session ends after quit's reply and ignores later input", async () => {
  const m = new FakeMachine();
  const out: string[] = [];
  const s = new QmpSession(m, (t) => out.push(t));
  let closed = 0;
  s.onClose(() => closed++);
  s.start();
  s.feed('{"execute":"qmp_capabilities"}{"execute":"quit"}{"execute":"query-status"}');
  await s.idle();
  assertEquals(closed, 1);
  assertEquals(s.closed, true);
  assertEquals(out.length, 4); // greeting, caps, SHUTDOWN, quit reply
  assertEquals(
    out[2]!.includes('"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}'),
    true,
  );
  assertEquals(out[3], '{"return": {}}\r\n');
});

Deno.test("session lists extension commands in query-commands and awaits async extensions in order", async () => {
  const m = new FakeMachine();
  const out: string[] = [];
  const s = new QmpSession(m, (t) => out.push(t), {
    extension: {
      commands: ["__x.y_z"],
      execute: async () => {
        await new Promise((r) => setTimeout(r, 10));
        return { return: { slow: true } };
      },
    },
  });
  s.start();
  s.feed(
    '{"execute":"qmp_capabilities"}{"execute":"__x.y_z","id":1}{"execute":"query-commands","id":2}',
  );
  await s.idle();
  assertEquals(out[2], '{"return": {"slow": true}, "id": 1}\r\n');
  assertEquals(out[3]!.endsWith('{"name": "__x.y_z"}], "id": 2}\r\n'), true, out[3]);
});
