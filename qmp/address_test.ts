import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { formatSocketAddress, parseSocketAddress } from "./address.ts";

Deno.test("QEMU chardev spellings parse, with ,, as a literal comma and legacy flags", () => {
  assertEquals(parseSocketAddress("unix:/tmp/a,,b.sock,server=on,wait=off"), {
    transport: "unix",
    path: "/tmp/a,b.sock",
    options: { server: "on", wait: "off" },
  });
  assertEquals(parseSocketAddress("tcp:localhost:4444,server,nowait"), {
    transport: "tcp",
    hostname: "localhost",
    port: 4444,
    options: { server: "on", wait: "off" },
  });
  assertEquals(parseSocketAddress("tcp::4444"), {
    transport: "tcp",
    hostname: "",
    port: 4444,
    options: {},
  });
  assertEquals(parseSocketAddress("tcp:[::1]:5"), {
    transport: "tcp",
    hostname: "::1",
    port: 5,
    options: {},
  });
  assertEquals(formatSocketAddress({ hostname: "::1", port: 5 }), "tcp:[::1]:5");
});

Deno.test("bad addresses say what was expected", () => {
  throws(() => parseSocketAddress("stdio"), /expected unix:PATH or tcp:HOST:PORT/);
  throws(() => parseSocketAddress("tcp:host"), /expected tcp:HOST:PORT/);
  throws(() => parseSocketAddress("unix:"), /expected unix:PATH/);
});
