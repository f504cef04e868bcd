/**
 * Soak and abuse tests of the served model over loopback unix sockets:
 * many pipelining clients against one accept host, and backpressure.
 * Bounded in count and time (well under a minute together).
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { createMachine } from "../model/mod.ts";
import { QEMU_10_0 } from "../model/profile.ts";
import type { Machine } from "../model/machine_types.ts";
import { HostExtension, STATE_COMMAND } from "./extension.ts";
import { QmpServer } from "./server.ts";
import { addArgs, DCD_MACHINE, releaseArgs } from "./testing/machines.ts";

const MiB = 1024 * 1024;
const enc = new TextEncoder();

/** Reads `\r\n`-terminated messages from a connection. */
class Lines {
  readonly #conn: Deno.Conn;
  readonly #dec = new TextDecoder();
  readonly #buf = new Uint8Array(1 << 16);
  #text = "";

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Reads until `count` replies (messages with `return` or `error`) arrived; returns them. */
  async replies(count: number, timeoutMs: number): Promise<string[]> {
    const out: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      let nl: number;
      while ((nl = this.#text.indexOf("\r\n")) >= 0) {
        const line = this.#text.slice(0, nl);
        this.#text = this.#text.slice(nl + 2);
        if (line.startsWith('{"return"') || line.startsWith('{"error"')) out.push(line);
        if (out.length === count) return out;
      }
      if (Date.now() > deadline) throw new Error(`only ${out.length} of ${count} replies`);
      const t = setTimeout(() => this.#conn.close(), Math.max(1, deadline - Date.now()));
      const n = await this.#conn.read(this.#buf).catch(() => null);
      clearTimeout(t);
      if (n === null) throw new Error(`connection closed after ${out.length} of ${count} replies`);
      this.#text += this.#dec.decode(this.#buf.subarray(0, n), { stream: true });
    }
    return out;
  }
}

async function withServedModel(
  fn: (path: string, machine: Machine) => Promise<void>,
  opts: { host: "accept" | "none"; concurrentClients: boolean },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "qmp-soak-" });
  const machine = createMachine(DCD_MACHINE, { profile: QEMU_10_0 });
  const server = await QmpServer.listen({
    machine,
    listen: [`unix:${dir}/qmp.sock,server=on,wait=off`],
    extension: new HostExtension(machine, opts.host),
    concurrentClients: opts.concurrentClients,
  });
  try {
    await fn(`${dir}/qmp.sock`, machine);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const command = (execute: string, id: number, args?: Record<string, unknown>): string =>
  JSON.stringify(args === undefined ? { execute, id } : { execute, arguments: args, id });

Deno.test("20 concurrent clients pipelining 200 add/release commands, 3 rounds, see no error and leave nothing pending with one accept host", async () => {
  await withServedModel(async (path, machine) => {
    const CLIENTS = 20;
    const COMMANDS = 200;
    let errors = 0;
    const started = performance.now();
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
        const conn = await Deno.connect({ transport: "unix", path });
        try {
          const block: [number, number][] = [[c * 2 * MiB, 2 * MiB]];
          const parts = ['{"execute":"qmp_capabilities"}'];
          for (let i = 0; i < COMMANDS; i += 4) {
            parts.push(command("query-version", i));
            parts.push(command("cxl-add-dynamic-capacity", i + 1, addArgs(block)));
            parts.push(command("query-version", i + 2));
            parts.push(command("cxl-release-dynamic-capacity", i + 3, releaseArgs(block)));
          }
          const lines = new Lines(conn);
          await conn.write(enc.encode(parts.join("\n") + "\n"));
          const replies = await lines.replies(COMMANDS + 1, 20_000);
          errors += replies.filter((l) => l.startsWith('{"error"')).length;
        } finally {
          conn.close();
        }
      }));
    }
    const ms = performance.now() - started;
    assertEquals(errors, 0, "error replies");
    const state = machine.state();
    const dev = state.devices[0] as { "pending-groups": unknown[]; "accepted-extents": unknown[] };
    assertEquals(dev["pending-groups"], [], "pending groups left");
    assertEquals(dev["accepted-extents"], [], "every block was released");
    // A later lone add is accepted at once.
    const conn = await Deno.connect({ transport: "unix", path });
    try {
      const lines = new Lines(conn);
      await conn.write(enc.encode(
        '{"execute":"qmp_capabilities"}\n' +
          command("cxl-add-dynamic-capacity", 1, addArgs([[64 * MiB, 2 * MiB]])) + "\n" +
          command(STATE_COMMAND, 2) + "\n",
      ));
      const [, added, snapshot] = await lines.replies(3, 5000);
      assertEquals(added, '{"return": {}, "id": 1}');
      ok(snapshot!.includes('"pending-groups": []'), snapshot);
      ok(snapshot!.includes(`"accepted-extents": [{"dpa": ${64 * MiB}, `), snapshot);
    } finally {
      conn.close();
    }
    console.log(`20 clients x 200 commands x 3 rounds: ${errors} errors, ${ms.toFixed(0)} ms`);
  }, { host: "accept", concurrentClients: true });
});

Deno.test("a reading client gets all 500 replies to 500 pipelined query-qmp-schema (input throttled, not dropped)", async () => {
  await withServedModel(async (path) => {
    const conn = await Deno.connect({ transport: "unix", path });
    try {
      const lines = new Lines(conn);
      const parts = ['{"execute":"qmp_capabilities"}'];
      for (let i = 0; i < 500; i++) parts.push(command("query-qmp-schema", i));
      const w = conn.write(enc.encode(parts.join("\n") + "\n"));
      const replies = await lines.replies(501, 30_000);
      await w;
      assertEquals(replies.length, 501);
      ok(replies.slice(1).every((l) => l.startsWith('{"return": [')), "every reply is the schema");
      ok(replies[500]!.endsWith('"id": 499}'));
    } finally {
      conn.close();
    }
  }, { host: "none", concurrentClients: false });
});
