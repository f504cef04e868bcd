import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { createMachine } from "./machine.ts";
import { StartupError } from "./machine_types.ts";
import { QEMU_10_0, SEED } from "./profile.ts";
import { fixedWindowBase } from "./topology.ts";
import { BASE_ARGS, BRIDGE_ARGS, SEED_LAZY } from "./test_machines.ts";
import { STARTUP_CASES as CASES } from "./test_startup_cases.ts";
import type { Profile } from "./profile.ts";

const G = 1n << 30n;
const P = "qemu-system-x86_64";

function stderrOf(args: readonly string[], profile: Profile = QEMU_10_0): string {
  try {
    createMachine(args, { profile });
  } catch (e) {
    if (e instanceof StartupError) return e.stderr;
    throw e;
  }
  throw new Error(`expected a start-up error for ${args.join(" ")}`);
}

for (const [what, args, expected] of CASES) {
  Deno.test(`start-up error matches QEMU: ${what}`, () => {
    assertEquals(stderrOf(args), expected);
  });
}

Deno.test("start-up error matches QEMU: CXL host bridge without cxl=on", () => {
  const e = assertThrowsStartup(() =>
    createMachine(["-machine", "q35,accel=tcg", "-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1"])
  );
  assertEquals(e.stderr, `${P}: CXL host bridges present, but cxl=off`);
});

function assertThrowsStartup(fn: () => unknown): StartupError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof StartupError)) throw new Error(`expected a StartupError, got ${caught}`);
  return caught;
}

Deno.test("seed accepts dc-regions-total-size and derives a lazy 4 GiB region", () => {
  const m = createMachine(SEED_LAZY, { profile: SEED });
  const dev = m.state().devices[0];
  assertEquals(dev?.["lazy"], true);
  assertEquals(dev?.["regions"], [{
    index: 0,
    base: 0,
    length: 4294967296,
    "block-size": 2097152,
  }]);
});

Deno.test("seed lazy device applies QEMU's region alignment rule to the total size", () => {
  const args = SEED_LAZY.map((a) =>
    a.replace("dc-regions-total-size=4G", "dc-regions-total-size=300M")
  );
  const e = assertThrowsStartup(() => createMachine(args, { profile: SEED }));
  assertEquals(
    e.stderr,
    `${P}: -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=300M: ` +
      "backend size is not multiple of region len: 0x12c00000\nsetup DC regions failed",
  );
});

Deno.test("seed lazy device splits the total size across regions", () => {
  const args = SEED_LAZY.map((a) => a.replace("num-dc-regions=1", "num-dc-regions=2"));
  const m = createMachine(args, { profile: SEED });
  const regions = m.state().devices[0]?.["regions"];
  assertEquals(regions, [
    { index: 0, base: 0, length: 2147483648, "block-size": 2097152 },
    { index: 1, base: 2147483648, length: 2147483648, "block-size": 2097152 },
  ]);
});

Deno.test("fixed window base follows q35 placement (verified with info mtree)", () => {
  // -m 2G,maxmem=8G,slots=4: cxl-fixed-memory-region at 0x390000000.
  assertEquals(fixedWindowBase("q35", 2n * G, 8n * G, 4), 0x390000000n);
  // -m 12G,maxmem=20G,slots=10 (the seed): 0x810000000, a second window follows the first.
  assertEquals(fixedWindowBase("q35", 12n * G, 20n * G, 10), 0x810000000n);
});

Deno.test("num-dc-regions above the 8 region slots is refused with a model message", () => {
  const args = [
    ...BASE_ARGS,
    ...BRIDGE_ARGS,
    "-object",
    "memory-backend-ram,id=vmem0,share=on,size=9G",
    "-device",
    "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=9,volatile-dc-memdev=vmem0",
  ];
  throws(
    () => createMachine(args),
    (e: unknown) => e instanceof StartupError && e.stderr.includes("num-dc-regions=9"),
  );
});

Deno.test("seed -object memory-backend-tagged: tag required, a UUID, unique by value", () => {
  const withObjects = (...objects: string[]) => [
    ...SEED_LAZY,
    ...objects.flatMap((o) => ["-object", o]),
  ];
  const ok = createMachine(
    withObjects("memory-backend-tagged,id=tm0,size=1G,tag=5be13bce-ae34-4a77-b6c3-16df975fcf1a"),
    { profile: SEED },
  );
  assertEquals(
    ok.state().backends.find((b) => b["id"] === "tm0")?.["tag"],
    "5be13bce-ae34-4a77-b6c3-16df975fcf1a",
  );
  assertEquals(
    stderrOf(withObjects("memory-backend-tagged,id=tm0,size=1G"), SEED),
    `${P}: -object memory-backend-tagged,id=tm0,size=1G: Parameter 'tag' is missing`,
  );
  const dup = stderrOf(
    withObjects(
      "memory-backend-tagged,id=tm0,size=1G,tag=5be13bce-ae34-4a77-b6c3-16df975fcf1a",
      "memory-backend-tagged,id=tm1,size=1G,tag=5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A",
    ),
    SEED,
  );
  assertEquals(dup.includes("'tm0'") && dup.includes("'tm1'"), true, dup);
  const bad = stderrOf(withObjects("memory-backend-tagged,id=tm0,size=1G,tag=x"), SEED);
  assertEquals(bad.includes("is not a UUID"), true, bad);
});
