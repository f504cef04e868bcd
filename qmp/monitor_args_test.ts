import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { formatSocketAddress } from "./address.ts";
import { monitorSpecs } from "./monitor_args.ts";

Deno.test("monitorSpecs finds every -qmp value, spelt -qmp VALUE, --qmp VALUE or -qmp=VALUE", () => {
  const specs = monitorSpecs(["-m", "1G", "-qmp", "unix:a", "--qmp", "tcp::1", "-qmp=unix:b"]);
  assertEquals(
    specs.map((m) => m.kind === "socket" ? formatSocketAddress(m.address) : m.kind),
    ["unix:a", "tcp::1", "unix:b"],
  );
  assertEquals(specs.map((m) => m.location), ["-qmp unix:a", "-qmp tcp::1", "-qmp unix:b"]);
});
