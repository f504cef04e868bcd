import { deepStrictEqual, ok, throws } from "node:assert";
import { createMachine } from "./machine.ts";
import { Opcode, ReturnCode } from "./host_interface.ts";
import { QEMU_10_0, SEED } from "./profile.ts";
import type { Profile } from "./profile.ts";
import type { QmpEvent, QmpObject, QmpResult, QmpValue } from "./qmp_value.ts";
import type { Machine } from "./machine_types.ts";
import { DCD_1X2G, MIXED, SEED_CMDLINE, SEED_LAZY } from "./test_machines.ts";

const P = "/machine/peripheral/cxl-vmem0";
const TAG0 = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
const TAG1 = "6be13bce-ae34-4a77-b6c3-16df975fcf1a";
const GIB = 1073741824;

function machine(profile: Profile = QEMU_10_0, args: readonly string[] = DCD_1X2G): Machine {
  return createMachine(args, { profile, clock: () => 1_700_000_000_123_456_789n });
}

function ret(r: QmpResult): QmpValue {
  if (!("return" in r)) throw new Error(`expected a return, got ${JSON.stringify(r)}`);
  return r.return;
}

function err(r: QmpResult): string {
  if (!("error" in r)) throw new Error(`expected an error, got a return`);
  return `${r.error.class}: ${r.error.desc}`;
}

function add(over: QmpObject = {}): QmpObject {
  return {
    path: P,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: [{ offset: 0, len: 134217728 }],
    ...over,
  };
}

function release(over: QmpObject = {}): QmpObject {
  return {
    path: P,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: [{ offset: 0, len: 134217728 }],
    ...over,
  };
}

function updatePayload(entries: [bigint, bigint][]): Uint8Array {
  const out = new Uint8Array(8 + 24 * entries.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, entries.length, true);
  entries.forEach(([dpa, len], i) => {
    dv.setBigUint64(8 + 24 * i, dpa, true);
    dv.setBigUint64(16 + 24 * i, len, true);
  });
  return out;
}

Deno.test("greeting and query-version report the profile's QEMU version", () => {
  const m = machine();
  deepStrictEqual(m.greeting(), {
    QMP: {
      version: {
        qemu: { micro: 2, minor: 0, major: 10 },
        package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
      },
      capabilities: ["oob"],
    },
  });
  deepStrictEqual(ret(m.execute("query-version", undefined)), {
    qemu: { micro: 2, minor: 0, major: 10 },
    package: "Debian 1:10.0.2+ds-2+deb13u1~bpo12+1",
  });
});

Deno.test("stop and cont emit STOP and RESUME once, with the clock's timestamp", () => {
  const m = machine();
  const events: QmpEvent[] = [];
  m.subscribe((e) => events.push(e));
  deepStrictEqual(ret(m.execute("query-status", undefined)), { status: "running", running: true });
  ret(m.execute("stop", undefined));
  ret(m.execute("stop", undefined));
  deepStrictEqual(ret(m.execute("query-status", {})), { status: "paused", running: false });
  ret(m.execute("cont", undefined));
  ret(m.execute("cont", undefined));
  deepStrictEqual(events, [
    { event: "STOP", timestamp: { seconds: 1700000000, microseconds: 123456 } },
    { event: "RESUME", timestamp: { seconds: 1700000000, microseconds: 123456 } },
  ]);
});

Deno.test("-S starts in prelaunch; stop keeps it, cont runs with RESUME", () => {
  const m = createMachine([...DCD_1X2G, "-S"], { profile: QEMU_10_0 });
  const events: string[] = [];
  m.subscribe((e) => events.push(e.event));
  deepStrictEqual(ret(m.execute("query-status", undefined)), {
    status: "prelaunch",
    running: false,
  });
  ret(m.execute("stop", undefined));
  deepStrictEqual(m.status, "prelaunch");
  ret(m.execute("cont", undefined));
  deepStrictEqual(m.status, "running");
  deepStrictEqual(events, ["RESUME"]);
});

Deno.test("quit emits SHUTDOWN host-qmp-quit and ends in shutdown", () => {
  const m = machine();
  const events: QmpEvent[] = [];
  const unsubscribe = m.subscribe((e) => events.push(e));
  ret(m.execute("quit", undefined));
  deepStrictEqual(events[0]?.data, { guest: false, reason: "host-qmp-quit" });
  deepStrictEqual(m.status, "shutdown");
  unsubscribe();
});

Deno.test("unknown command and argument checks on commands without arguments", () => {
  const m = machine();
  deepStrictEqual(
    err(m.execute("no-such", undefined)),
    "CommandNotFound: The command no-such has not been found",
  );
  deepStrictEqual(
    err(m.execute("query-status", { a: 1 })),
    "GenericError: Parameter 'a' is unexpected",
  );
  ok(!m.hasCommand("no-such"));
  ok(m.hasCommand("cxl-add-dynamic-capacity"));
  ok(!m.allowsOob("query-status"));
});

Deno.test("-compat unstable-input=reject disables the unstable DC commands", () => {
  const m = createMachine([...DCD_1X2G, "-compat", "unstable-input=reject"], {
    profile: QEMU_10_0,
  });
  deepStrictEqual(
    err(m.execute("cxl-add-dynamic-capacity", { path: "x" })),
    "CommandNotFound: Unstable command cxl-add-dynamic-capacity disabled by policy",
  );
  deepStrictEqual(
    err(m.execute("cxl-release-dynamic-capacity", undefined)),
    "CommandNotFound: Unstable command cxl-release-dynamic-capacity disabled by policy",
  );
});

Deno.test("DC add: selection policy is checked before the path, then path, then DC support", () => {
  const m = machine(QEMU_10_0, MIXED);
  deepStrictEqual(
    err(
      m.execute(
        "cxl-add-dynamic-capacity",
        add({ "selection-policy": "contiguous", path: "/nonexistent" }),
      ),
    ),
    "GenericError: Selection policy not supported",
  );
  deepStrictEqual(
    err(m.execute("cxl-add-dynamic-capacity", add({ path: "/nonexistent" }))),
    "GenericError: Unable to resolve CXL type 3 device",
  );
  deepStrictEqual(
    err(m.execute("cxl-add-dynamic-capacity", add({ path: "/machine/peripheral/root_port13" }))),
    "GenericError: Unable to resolve CXL type 3 device",
  );
  deepStrictEqual(
    err(m.execute("cxl-add-dynamic-capacity", add({ path: "/machine/peripheral/cxl-static0" }))),
    "GenericError: No dynamic capacity support from the device",
  );
  deepStrictEqual(ret(m.execute("cxl-add-dynamic-capacity", add({ path: "cxl-vmem0" }))), {});
  deepStrictEqual(
    err(m.execute("cxl-add-dynamic-capacity", add())),
    "GenericError: cannot add DPA again while still pending",
  );
});

Deno.test("DC release: forced removal first, then removal policy (stock QEMU)", () => {
  const m = machine();
  deepStrictEqual(
    err(m.execute(
      "cxl-release-dynamic-capacity",
      release({
        "forced-removal": true,
        "removal-policy": "tag-based",
        path: "/nope",
      }),
    )),
    "GenericError: Forced removal not supported yet",
  );
  deepStrictEqual(
    err(
      m.execute(
        "cxl-release-dynamic-capacity",
        release({ "removal-policy": "tag-based", path: "/nope" }),
      ),
    ),
    "GenericError: Removal policy not supported",
  );
  deepStrictEqual(ret(m.execute("cxl-release-dynamic-capacity", release({ extents: [] }))), {});
});

Deno.test("qemu-10.0 gives the stock answers to every seed feature", () => {
  const m = machine(QEMU_10_0);
  deepStrictEqual(
    err(
      m.execute("object-add", {
        "qom-type": "memory-backend-tagged",
        id: "tm0",
        size: GIB,
        tag: TAG0,
      }),
    ),
    "GenericError: Parameter 'qom-type' does not accept value 'memory-backend-tagged'",
  );
  deepStrictEqual(
    err(
      m.execute("cxl-release-dynamic-capacity-status", {
        path: P,
        "host-id": 0,
        region: 0,
        tag: TAG0,
      }),
    ),
    "CommandNotFound: The command cxl-release-dynamic-capacity-status has not been found",
  );
  deepStrictEqual(
    err(
      m.execute(
        "cxl-release-dynamic-capacity",
        release({ "removal-policy": "tag-based", tag: TAG0 }),
      ),
    ),
    "GenericError: Removal policy not supported",
  );
  ok(!(deviceProps(m).includes("dc-regions-total-size")));
});

function deviceProps(m: Machine): string[] {
  const list = ret(m.execute("device-list-properties", { typename: "cxl-type3" })) as QmpObject[];
  return list.map((e) => String(e["name"]));
}

Deno.test("device-list-properties lists dc-regions-total-size only in seed", () => {
  ok(deviceProps(machine(SEED)).includes("dc-regions-total-size"));
  const props = ret(
    machine().execute("device-list-properties", { typename: "cxl-type3" }),
  ) as QmpObject[];
  deepStrictEqual(props.find((e) => e["name"] === "num-dc-regions"), {
    "default-value": 0,
    name: "num-dc-regions",
    type: "uint8",
  });
  deepStrictEqual(props.length, 24);
  deepStrictEqual(
    err(machine().execute("device-list-properties", { typename: "nope" })),
    "DeviceNotFound: Device 'nope' not found",
  );
});

Deno.test("qom-get returns configuration and QEMU's errors", () => {
  const m = machine();
  deepStrictEqual(ret(m.execute("qom-get", { path: P, property: "num-dc-regions" })), 1);
  deepStrictEqual(
    ret(m.execute("qom-get", { path: P, property: "volatile-dc-memdev" })),
    "/objects/vmem0",
  );
  deepStrictEqual(ret(m.execute("qom-get", { path: P, property: "volatile-memdev" })), "");
  deepStrictEqual(ret(m.execute("qom-get", { path: P, property: "sn" })), 18446744073709551615n);
  deepStrictEqual(ret(m.execute("qom-get", { path: "cxl-vmem0", property: "type" })), "cxl-type3");
  deepStrictEqual(
    ret(m.execute("qom-get", { path: "/objects/vmem0", property: "size" })),
    2147483648,
  );
  deepStrictEqual(ret(m.execute("qom-get", { path: "vmem0", property: "share" })), true);
  deepStrictEqual(
    err(m.execute("qom-get", { path: P, property: "nope" })),
    "GenericError: Property 'cxl-type3.nope' not found",
  );
  deepStrictEqual(
    err(m.execute("qom-get", { path: "/machine/peripheral/nope", property: "nope" })),
    "DeviceNotFound: Device '/machine/peripheral/nope' not found",
  );
  // "root_port13" is ambiguous: the port and its bus share the name.
  deepStrictEqual(
    err(m.execute("qom-get", { path: "root_port13", property: "type" })),
    "DeviceNotFound: Device 'root_port13' not found",
  );
  deepStrictEqual(
    err(m.execute("qom-get", { path: "/machine/peripheral", property: "nope" })),
    "GenericError: Property 'container.nope' not found",
  );
});

Deno.test("qom-set refuses realized device properties and fixed backend properties", () => {
  const m = machine();
  deepStrictEqual(
    err(m.execute("qom-set", { path: P, property: "num-dc-regions", value: 2 })),
    "GenericError: Attempt to set property 'num-dc-regions' on device 'cxl-vmem0' (type 'cxl-type3') after it was realized",
  );
  deepStrictEqual(
    err(m.execute("qom-set", { path: P, property: "volatile-dc-memdev", value: "/objects/vmem0" })),
    "GenericError: Attempt to set link property 'volatile-dc-memdev' on device 'cxl-vmem0' (type 'cxl-type3') after it was realized",
  );
  deepStrictEqual(
    err(m.execute("qom-set", { path: "/objects/vmem0", property: "size", value: 4 })),
    "GenericError: cannot change property size of memory-backend-ram ",
  );
  deepStrictEqual(
    err(m.execute("qom-set", { path: P, property: "type", value: "x" })),
    "GenericError: Property 'cxl-type3.type' is not writable",
  );
  deepStrictEqual(
    err(m.execute("qom-set", { path: "/objects/nope", property: "x", value: 1 })),
    "DeviceNotFound: Device '/objects/nope' not found",
  );
});

Deno.test("qom-list shows /objects and the peripherals", () => {
  const m = machine();
  deepStrictEqual(ret(m.execute("qom-list", { path: "/objects" })), [
    { name: "type", type: "string" },
    { name: "vmem0", type: "child<memory-backend-ram>" },
    { name: "pc.ram", type: "child<memory-backend-ram>" },
  ]);
  const names = (ret(m.execute("qom-list", { path: "/machine/peripheral" })) as QmpObject[]).map((
    e,
  ) => e["name"]);
  // QEMU's order (its property hash table, listed in reverse), observed on 10.0.2.
  deepStrictEqual(names, ["type", "cxl-vmem0", "cxl.1", "root_port13"]);
  deepStrictEqual(
    err(m.execute("qom-list", { path: "/nope" })),
    "DeviceNotFound: Device '/nope' not found",
  );
});

Deno.test("object-add and object-del of memory backends with QEMU's errors", () => {
  const m = machine();
  const ram = (id: string, size: number | bigint = 1048576): QmpObject => ({
    "qom-type": "memory-backend-ram",
    id,
    size,
  });
  deepStrictEqual(
    err(m.execute("object-add", ram("vmem0"))),
    "GenericError: attempt to add duplicate property 'vmem0' to object (type 'container')",
  );
  deepStrictEqual(ret(m.execute("object-add", ram("vmem1"))), {});
  deepStrictEqual(
    err(m.execute("object-add", ram("vmem1"))),
    "GenericError: attempt to add duplicate property 'vmem1' to object (type 'container')",
  );
  deepStrictEqual(
    err(m.execute("object-add", ram("vmem2", 0))),
    "GenericError: property 'size' of memory-backend-ram doesn't take value '0'",
  );
  deepStrictEqual(
    err(m.execute("object-add", ram("vm/x"))),
    "GenericError: Parameter 'id' expects an identifier",
  );
  deepStrictEqual(
    err(m.execute("object-add", { "qom-type": "memory-backend-ram", id: "vmem2" })),
    "GenericError: Parameter 'size' is missing",
  );
  deepStrictEqual(
    err(m.execute("object-del", { id: "vmem0" })),
    "GenericError: object 'vmem0' is in use, can not be deleted",
  );
  deepStrictEqual(ret(m.execute("object-del", { id: "vmem1" })), {});
  deepStrictEqual(
    err(m.execute("object-del", { id: "vmem1" })),
    "GenericError: object 'vmem1' not found",
  );
  // A 1 TiB backend costs nothing.
  deepStrictEqual(ret(m.execute("object-add", ram("big", 1n << 40n))), {});
  deepStrictEqual(
    ret(m.execute("qom-get", { path: "/objects/big", property: "size" })),
    1099511627776,
  );
});

Deno.test("seed tagged backends: tag required, a UUID, unique by value; qom-get returns it as given", () => {
  const m = machine(SEED, SEED_LAZY);
  const tagged = (id: string, tag?: string): QmpObject => ({
    "qom-type": "memory-backend-tagged",
    id,
    size: GIB,
    ...(tag === undefined ? {} : { tag }),
  });
  deepStrictEqual(
    err(m.execute("object-add", tagged("tm0"))),
    "GenericError: Parameter 'tag' is missing",
  );
  ok(err(m.execute("object-add", tagged("tm0", "not-a-uuid"))).includes("is not a UUID"));
  const upper = TAG0.toUpperCase();
  deepStrictEqual(ret(m.execute("object-add", tagged("tm0", upper))), {});
  const dup = err(m.execute("object-add", tagged("tm1", TAG0)));
  ok(dup.includes("'tm0'") && dup.includes("'tm1'"), dup);
  deepStrictEqual(ret(m.execute("qom-get", { path: "/objects/tm0", property: "tag" })), upper);
  const listed = ret(m.execute("qom-list", { path: "/objects" })) as QmpObject[];
  ok(listed.some((e) => e["name"] === "tm0" && e["type"] === "child<memory-backend-tagged>"));
});

Deno.test("seed: the cover letter's exchange ends with status not-found", () => {
  const m = machine(SEED, SEED_LAZY);
  for (const [id, tag] of [["tm0", TAG0], ["tm1", TAG1]] as const) {
    ret(m.execute("object-add", { "qom-type": "memory-backend-tagged", id, size: GIB, tag }));
  }
  const addTagged = (tag: string, offset: number) =>
    m.execute("cxl-add-dynamic-capacity", add({ tag, extents: [{ offset, len: GIB }] }));
  deepStrictEqual(ret(addTagged(TAG0, 0)), {});
  // A bound backend cannot be deleted.
  deepStrictEqual(
    err(m.execute("object-del", { id: "tm0" })),
    "GenericError: object 'tm0' is in use, can not be deleted",
  );
  const status = (tag: string) =>
    ret(
      m.execute("cxl-release-dynamic-capacity-status", { path: P, "host-id": 0, region: 0, tag }),
    );
  deepStrictEqual(status(TAG0), { status: "pending" });
  const G = BigInt(GIB);
  deepStrictEqual(
    m.mailboxSync("cxl-vmem0", Opcode.DC_ADD_RESPONSE, updatePayload([[0n, G]])).rc,
    ReturnCode.SUCCESS,
  );
  deepStrictEqual(ret(addTagged(TAG1, GIB)), {});
  deepStrictEqual(
    m.mailboxSync(P, Opcode.DC_ADD_RESPONSE, updatePayload([[G, G]])).rc,
    ReturnCode.SUCCESS,
  );
  deepStrictEqual(status(TAG1), { status: "active" });
  for (const tag of [TAG0, TAG1]) {
    deepStrictEqual(
      ret(m.execute(
        "cxl-release-dynamic-capacity",
        release({
          "removal-policy": "tag-based",
          tag,
          extents: [{ offset: 0, len: GIB }],
        }),
      )),
      {},
    );
  }
  deepStrictEqual(status(TAG1), { status: "release-pending" });
  deepStrictEqual(
    m.mailboxSync(P, Opcode.DC_RELEASE, updatePayload([[0n, G]])).rc,
    ReturnCode.SUCCESS,
  );
  deepStrictEqual(
    m.mailboxSync(P, Opcode.DC_RELEASE, updatePayload([[G, G]])).rc,
    ReturnCode.SUCCESS,
  );
  deepStrictEqual(status(TAG1), { status: "not-found" });
  // Once released the backend is unbound and can be deleted.
  deepStrictEqual(ret(m.execute("object-del", { id: "tm0" })), {});
});

Deno.test("host() wraps the device mailbox; unknown devices are refused", async () => {
  const m = machine();
  deepStrictEqual(m.type3Ids(), ["cxl-vmem0"]);
  const reply = await m.host("cxl-vmem0").mailbox(Opcode.IDENTIFY_MEMORY_DEVICE, new Uint8Array(0));
  deepStrictEqual(reply.rc, ReturnCode.SUCCESS);
  deepStrictEqual(reply.payload.length, 0x45);
  throws(() => m.host("nope"), RangeError);
});

Deno.test("state() lists backends with their users and each device's snapshot", () => {
  const st = machine().state();
  deepStrictEqual(st.profile, "qemu-10.0");
  deepStrictEqual(st.status, "running");
  deepStrictEqual(st.backends[0]?.["used-by"], {
    device: "cxl-vmem0",
    property: "volatile-dc-memdev",
  });
  deepStrictEqual(st.devices[0]?.["id"], "cxl-vmem0");
});

Deno.test("the seed's full command line parses under seed, each ignored option noted once", () => {
  const m = createMachine(SEED_CMDLINE, { profile: SEED });
  deepStrictEqual(m.type3Ids(), ["cxl-vmem0"]);
  for (
    const opt of [
      "-cpu",
      "-drive",
      "-kernel",
      "-virtfs",
      "-netdev",
      "-nographic",
      "-device virtio-net",
    ]
  ) {
    deepStrictEqual(
      m.notices.filter((n) => n.includes(`ignoring ${opt} `) || n.includes(`ignoring ${opt}:`))
        .length,
      1,
      opt,
    );
  }
  ok(!m.notices.some((n) => n.includes("-qmp")));
});

Deno.test("inject commands resolve the device and check poison alignment", () => {
  const m = machine();
  deepStrictEqual(
    err(m.execute("cxl-inject-poison", { path: "nope", start: 0, length: 64 })),
    "GenericError: Unable to resolve path",
  );
  deepStrictEqual(
    err(m.execute("cxl-inject-poison", { path: P, start: 1, length: 64 })),
    "GenericError: Poison start address must be 64 byte aligned",
  );
  deepStrictEqual(
    err(m.execute("cxl-inject-poison", { path: "cxl-vmem0", start: 0, length: 65 })),
    "GenericError: Poison injection must be in multiples of 64 bytes",
  );
  deepStrictEqual(
    ret(m.execute("cxl-inject-correctable-error", { path: P, type: "cache-data-ecc" })),
    {},
  );
});

Deno.test("backends QEMU cannot allocate are refused with its allocation error", () => {
  const m = machine();
  deepStrictEqual(
    err(m.execute("object-add", { "qom-type": "memory-backend-ram", id: "huge", size: -1 })),
    "GenericError: cannot set up guest memory 'huge': Cannot allocate memory",
  );
});

Deno.test("an empty path resolves to the only type-3 device, as in QEMU", () => {
  deepStrictEqual(
    ret(machine().execute("cxl-add-dynamic-capacity", add({ path: "", extents: [] }))),
    {},
  );
  deepStrictEqual(
    err(
      machine(QEMU_10_0, MIXED).execute("cxl-add-dynamic-capacity", add({ path: "", extents: [] })),
    ),
    "GenericError: Unable to resolve CXL type 3 device",
  );
});

Deno.test("qom-list / lists the root containers in QEMU's order", () => {
  const names = (ret(machine().execute("qom-list", { path: "/" })) as QmpObject[]).map((e) =>
    e["name"]
  );
  deepStrictEqual(names, ["type", "backend", "machine", "objects", "chardevs"]);
});

Deno.test("a DC command's path resolves the same on repeated calls and after object-add/del", () => {
  const m = machine();
  const paths = [P, "cxl-vmem0", "/machine/peripheral/none", "none"];
  const answers = () =>
    paths.map((p) =>
      JSON.stringify(m.execute("cxl-add-dynamic-capacity", add({ path: p, extents: [] })))
    );
  const first = answers();
  deepStrictEqual(first, [
    '{"return":{}}',
    '{"return":{}}',
    '{"error":{"class":"GenericError","desc":"Unable to resolve CXL type 3 device"}}',
    '{"error":{"class":"GenericError","desc":"Unable to resolve CXL type 3 device"}}',
  ]);
  deepStrictEqual(answers(), first);
  ret(m.execute("object-add", { "qom-type": "memory-backend-ram", id: "none", size: GIB }));
  deepStrictEqual(answers(), first);
  ret(m.execute("object-del", { id: "none" }));
  deepStrictEqual(answers(), first);
});
