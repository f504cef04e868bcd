import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { capture } from "./testing/capture.ts";
import { serving } from "./testing/serving.ts";
import { main } from "./serve_main.ts";
import { RawReader } from "./testing/raw_reader.ts";
import { DCD_MACHINE } from "./testing/machines.ts";
import { abstractSocketPath } from "./unix_socket.ts";

const QEMU = "qemu-system-x86_64";

/** Names of the abstract sockets bound now, as /proc/net/unix lists them (NULs as '@'). */
async function abstractNames(prefix: string): Promise<string[]> {
  const table = await Deno.readTextFile("/proc/net/unix");
  return table.split("\n").map((l) => l.trim().split(/\s+/)[7] ?? "").filter((p) =>
    p.startsWith(`@${prefix}`)
  );
}

async function greeting(path: string): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  const r = new RawReader(conn);
  try {
    await r.readUntil(() => r.text.includes("\r\n"), 2000);
    return r.text.slice(0, r.text.indexOf("\r\n"));
  } finally {
    conn.close();
  }
}

const unique = (what: string) => `cxl-dcd-${what}-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;

Deno.test("abstract=on listens on a Linux abstract socket, name only, with no file, as QEMU binds it", async () => {
  const name = unique("abs");
  await serving(
    [],
    [...DCD_MACHINE, "-qmp", `unix:${name},abstract=on,server=on,wait=off`],
    async () => {
      assertEquals(await abstractNames(name), [`@${name}`]);
      await Deno.lstat(name).then(
        () => {
          throw new Error(`a file ${name} was created for an abstract socket`);
        },
        (e) => ok(e instanceof Deno.errors.NotFound),
      );
      ok((await greeting(abstractSocketPath(name, true))).startsWith('{"QMP": {"version"'));
    },
  );
  // The kernel lists accepted connections under the listener's name until they close.
  for (let i = 0; i < 50 && (await abstractNames(name)).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(await abstractNames(name), [], "the abstract socket is gone after serve stops");
});

Deno.test("abstract=on,tight=off pads the address to all 108 bytes of sun_path, as QEMU does", async () => {
  const name = unique("loose");
  await serving([], [
    ...DCD_MACHINE,
    "-qmp",
    `unix:${name},abstract=on,tight=off,server=on,wait=off`,
  ], async () => {
    const [listed] = await abstractNames(name);
    assertEquals(listed, `@${name}`.padEnd(108, "@"));
    ok((await greeting(abstractSocketPath(name, false))).startsWith('{"QMP"'));
  });
});

Deno.test("a 107-byte abstract name is served and a 108-byte one gets QEMU's 'less than 107 bytes' message", async () => {
  const fits = unique("n").padEnd(107, "x");
  await serving(
    [],
    [...DCD_MACHINE, "-qmp", `unix:${fits},abstract=on,server=on,wait=off`],
    async () => {
      ok((await greeting(abstractSocketPath(fits, true))).startsWith('{"QMP"'));
    },
  );
  const long = fits + "x";
  const c = capture();
  const location = `-qmp unix:${long},abstract=on,server=on,wait=off`;
  assertEquals(await main(["--", ...DCD_MACHINE, ...location.split(" ")], c.deps), 1);
  assertEquals(c.err, [
    `${QEMU}: ${location}: UNIX socket path '${long}' is too long\nPath must be less than 107 bytes`,
  ]);
});

Deno.test("an abstract name already bound is refused with QEMU's bind message; abstract=maybe with QEMU's boolean message", async () => {
  const name = unique("taken");
  await serving(
    [],
    [...DCD_MACHINE, "-qmp", `unix:${name},abstract=on,server=on,wait=off`],
    async () => {
      const c = capture();
      const spec = `unix:${name},abstract=on,server=on,wait=off`;
      assertEquals(await main(["--", ...DCD_MACHINE, "-qmp", spec], c.deps), 1);
      assertEquals(c.err, [`serve: Failed to bind socket to ${name}: Address already in use`]);
    },
  );
  const c = capture();
  const spec = `unix:${name},abstract=maybe,server=on,wait=off`;
  assertEquals(await main(["--", ...DCD_MACHINE, "-qmp", spec], c.deps), 1);
  assertEquals(c.err, [`${QEMU}: -qmp ${spec}: Parameter 'abstract' expects 'on' or 'off'`]);
});

Deno.test("a client-mode abstract socket connects out, and fails with QEMU's message when nobody listens", async () => {
  const name = unique("out");
  const c = capture();
  const spec = `unix:${name},abstract=on`;
  assertEquals(await main(["--", ...DCD_MACHINE, "-qmp", spec], c.deps), 1);
  assertEquals(c.err, [
    `${QEMU}: -qmp ${spec}: Failed to connect to '${name}': Connection refused`,
  ]);

  const listener = Deno.listen({ transport: "unix", path: abstractSocketPath(name, true) });
  try {
    await serving([], [...DCD_MACHINE, "-qmp", spec], async () => {
      const conn = await listener.accept();
      const r = new RawReader(conn);
      await r.readUntil(() => r.text.includes("\r\n"), 2000);
      ok(r.text.startsWith('{"QMP"'), "serve greets the listener it connected to");
      conn.close();
    });
  } finally {
    listener.close();
  }
});
