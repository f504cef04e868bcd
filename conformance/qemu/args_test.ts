import { deepStrictEqual as assertEquals } from "node:assert";
import {
  buildQemuArgs,
  declaredRootBuses,
  declaredType3Ids,
  qemuBinary,
  startsPaused,
} from "./args.ts";

const SOCKETS = { qmp: "/d/qmp.sock", control: "/d/control.sock", qtest: "/d/qtest.sock" };
const OWN = [
  "-qmp",
  "unix:/d/qmp.sock,server=on,wait=off",
  "-qmp",
  "unix:/d/control.sock,server=on,wait=off",
  "-qtest",
  "unix:/d/qtest.sock,server=on,wait=off",
  "-qtest-log",
  "none",
];

Deno.test("a bare description gets TCG, no display, no defaults and the target's sockets", () => {
  assertEquals(buildQemuArgs(["-machine", "q35,cxl=on"], SOCKETS), [
    "-machine",
    "q35,cxl=on",
    "-accel",
    "tcg",
    "-display",
    "none",
    "-nodefaults",
    ...OWN,
  ]);
});

Deno.test("an accelerator, display or -nodefaults already given is kept, not doubled", () => {
  assertEquals(
    buildQemuArgs(["-M", "q35,accel=tcg", "-display", "none", "-nodefaults"], SOCKETS),
    ["-M", "q35,accel=tcg", "-display", "none", "-nodefaults", ...OWN],
  );
  assertEquals(buildQemuArgs(["-accel", "kvm", "-nographic"], SOCKETS).slice(0, 4), [
    "-accel",
    "kvm",
    "-nographic",
    "-nodefaults",
  ]);
});

Deno.test("the description's own monitors and qtest options are replaced", () => {
  assertEquals(
    buildQemuArgs(
      ["-qmp", "tcp:localhost:4444,server,wait=off", "-daemonize", "-qtest", "stdio", "-S"],
      SOCKETS,
    ),
    ["-S", "-accel", "tcg", "-display", "none", "-nodefaults", ...OWN],
  );
});

Deno.test("type-3 ids and -S are read from the description", () => {
  const machine = [
    "-device",
    "cxl-rp,port=0,bus=cxl.1,id=rp0",
    "-device",
    "cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=1",
    "-device",
    "driver=cxl-type3,id=second",
    "-device",
    "cxl-type3,bus=rp1,num-dc-regions=1",
    "-device",
    '{"driver": "cxl-type3", "id": "json-dev", "bus": "rp2"}',
    "-S",
  ];
  assertEquals(declaredType3Ids(machine), ["cxl-vmem0", "second", "", "json-dev"]);
  assertEquals(startsPaused(machine), true);
  assertEquals(startsPaused(["-M", "q35"]), false);
});

Deno.test("the binary comes from the option, then QEMU_BINARY, then PATH", () => {
  const saved = Deno.env.get("QEMU_BINARY");
  try {
    Deno.env.set("QEMU_BINARY", "/opt/q");
    assertEquals(qemuBinary(), "/opt/q");
    assertEquals(qemuBinary("/x/qemu"), "/x/qemu");
    Deno.env.delete("QEMU_BINARY");
    assertEquals(qemuBinary(), "qemu-system-x86_64");
  } finally {
    if (saved === undefined) Deno.env.delete("QEMU_BINARY");
    else Deno.env.set("QEMU_BINARY", saved);
  }
});

Deno.test("root buses are declared by expander bridges' bus_nr, unless the arguments leave doubt", () => {
  assertEquals(
    declaredRootBuses([
      "-device",
      "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
      "-device",
      '{"driver": "pxb-pcie", "bus_nr": 40, "bus": "pcie.0"}',
      "-device",
      "driver=pxb,bus_nr=0x20",
      "-device",
      "cxl-rp,port=0,bus=cxl.1,id=rp",
    ]),
    [0, 23, 32, 40],
  );
  assertEquals(declaredRootBuses(["-machine", "q35"]), [0]);
  assertEquals(declaredRootBuses(["-device", "pxb-cxl,bus=pcie.0,id=cxl.1"]), undefined);
  assertEquals(declaredRootBuses(["-device", "pxb,bus_nr=x"]), undefined);
  assertEquals(declaredRootBuses(["-readconfig", "m.cfg"]), undefined);
  assertEquals(
    declaredRootBuses(["-device", "pxb,bus_nr=5,id=p", "-set", "device.p.bus_nr=6"]),
    undefined,
  );
});
