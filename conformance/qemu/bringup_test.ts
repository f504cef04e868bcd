import { deepStrictEqual as assertEquals, ok, throws } from "node:assert";
import { DEFAULT_MACHINES_DIR, MachinePresets } from "../machines.ts";
import { QmpClient } from "../../qmp/client.ts";
import { buildQemuArgs } from "./args.ts";
import {
  bringUpDirect,
  directBringupArgs,
  type EnumeratedFunction,
  firmwareNeed,
  haltFirmwareImage,
  PCI_HOLE_32,
  planResources,
} from "./bringup.ts";
import { launchQemu, type QemuInstance } from "./launcher.ts";
import { ecamAddress, formatPciAddress, type PciAddress } from "./pci.ts";
import { makePrivateDir, QemuProcess } from "./process.ts";
import { QtestClient } from "./qtest.ts";
import { availableQemu, DCD_1X2G } from "./test_util.ts";

const binary = availableQemu("the bring-up tests");
const ignore = binary === undefined;
const presets = new MachinePresets(DEFAULT_MACHINES_DIR);

const fn = (
  bus: number,
  device: number,
  bars: [number, number | bigint][],
  bridge?: { secondary: number; subordinate: number },
): EnumeratedFunction => ({
  bus,
  device,
  function: 0,
  vendor: 0x8086,
  deviceId: bridge ? 0x7075 : 0x0d93,
  classCode: bridge ? 0x060400 : 0x050210,
  bridge: bridge !== undefined,
  bars: bars.map(([index, size]) => ({ index, is64: true, size: BigInt(size) })),
  ...(bridge ?? {}),
});

Deno.test("the halt firmware is SeaBIOS-sized and its reset vector is cli; hlt; jmp back", () => {
  const image = haltFirmwareImage();
  assertEquals(image.length, 256 * 1024);
  assertEquals([...image.subarray(image.length - 16, image.length - 12)], [0xfa, 0xf4, 0xeb, 0xfd]);
  assertEquals(directBringupArgs("/d/halt.bin"), ["-S", "-bios", "/d/halt.bin"]);
});

Deno.test("only a q35 description that neither starts paused nor chooses its firmware is brought up directly", () => {
  const q35 = ["-machine", "q35,cxl=on"];
  assertEquals(firmwareNeed(DCD_1X2G), undefined);
  assertEquals(firmwareNeed(["-M", "pc-q35-10.0"]), undefined);
  assertEquals(firmwareNeed(["-machine", "type=q35,cxl=on"]), undefined);
  assertEquals(firmwareNeed([...DCD_1X2G, "-S"]), "it starts paused (-S)");
  assertEquals(firmwareNeed([...q35, "--S"]), "it starts paused (-S)");
  assertEquals(firmwareNeed([...q35, "-bios", "x.bin"]), "it chooses its firmware (-bios)");
  assertEquals(firmwareNeed([...q35, "-kernel", "bzImage"]), "it chooses its firmware (-kernel)");
  assertEquals(
    firmwareNeed([...q35, "-drive", "if=pflash,format=raw,file=c.fd"]),
    "it chooses its firmware (-drive if=pflash)",
  );
  assertEquals(firmwareNeed(["-M", "q35,firmware=x"]), "it chooses its firmware (firmware=)");
  assertEquals(firmwareNeed([...q35, "-drive", "if=virtio,file=d.img"]), undefined);
  assertEquals(
    firmwareNeed(["-machine", "none"]),
    "it is not a q35 machine (none): the bring-up programs q35's MCH",
  );
  assertEquals(firmwareNeed([]), "it is not a q35 machine (pc): the bring-up programs q35's MCH");
});

Deno.test("BARs pack largest first and every bridge window covers what is below it", () => {
  // root port 17:0.0 -> 18:0.0 upstream -> 19:0.0 downstream -> 1a:0.0 type-3; 18:0.1 CCI.
  const functions = [
    fn(23, 0, [[0, 0x10000]], { secondary: 24, subordinate: 26 }),
    fn(24, 0, [[0, 0x10000]], { secondary: 25, subordinate: 26 }),
    { ...fn(24, 0, [[0, 0x1000]]), function: 1 },
    fn(25, 0, [[0, 0x10000]], { secondary: 26, subordinate: 26 }),
    fn(26, 0, [[0, 0x10000], [2, 0x1000], [4, 0x1000]]),
    fn(0, 2, [[0, 0x4000]]),
  ];
  const plan = planResources([0, 23], functions);
  const bar = (key: string, i: number) => plan.bars.get(key)?.get(i) as bigint;
  const win = (key: string) => plan.windows.get(key)!;
  assertEquals(bar("00:02.0", 0), PCI_HOLE_32.start);
  // The root bus 23 starts on the next 1 MiB after bus 0's BAR.
  assertEquals(win("17:00.0").base, PCI_HOLE_32.start + 0x100000n);
  for (const [child, parent] of [["1a:00.0", "19:00.0"], ["19:00.0", "18:00.0"]]) {
    const w = win(parent as string);
    for (const [, base] of plan.bars.get(child as string)!) {
      ok(base >= w.base && base <= w.limit, `${child} inside ${parent}'s window`);
    }
  }
  for (const [inner, outer] of [["19:00.0", "18:00.0"], ["18:00.0", "17:00.0"]]) {
    ok(win(inner!).base >= win(outer!).base && win(inner!).limit <= win(outer!).limit);
  }
  // Windows are whole MiB; BARs are aligned to their size.
  for (const w of plan.windows.values()) {
    assertEquals([w.base % 0x100000n, (w.limit + 1n) % 0x100000n], [0n, 0n]);
  }
  const spans = functions.flatMap((f) =>
    f.bars.map((b) => {
      const base = bar(formatPciAddress(f), b.index);
      assertEquals(base % b.size, 0n, "a BAR is aligned to its size");
      return [base, base + b.size] as const;
    })
  ).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  // No two BARs overlap.
  for (let i = 1; i < spans.length; i++) ok(spans[i]![0] >= spans[i - 1]![1], "BARs overlap");
});

Deno.test("BARs that do not fit the 32-bit hole are refused, naming the hole", () => {
  throws(
    () => planResources([0], [fn(0, 1, [[0, 1n << 32n]])]),
    /do not fit the 32-bit PCI hole 0xc0000000-0xfebfffff: placed there they would end at 0x200000000/,
  );
});

async function readConfig(q: QemuInstance, a: PciAddress, offset: number): Promise<number> {
  return (await q.qtest.readl(ecamAddress(a, offset))) >>> 0;
}

/** Every bridge's bus-number register and every function's command register, by address. */
async function pciState(q: QemuInstance): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const walk = async (bus: number): Promise<void> => {
    for (let device = 0; device < 32; device++) {
      for (let f = 0; f < 8; f++) {
        const a = { bus, device, function: f };
        const id = await readConfig(q, a, 0);
        if ((id & 0xffff) === 0xffff) {
          if (f === 0) break;
          continue;
        }
        const header = (await readConfig(q, a, 0x0c)) >>> 16 & 0xff;
        const key = `${bus.toString(16)}:${device}.${f}`;
        const command = (await readConfig(q, a, 0x04)) & 0x3;
        if ((header & 0x7f) === 1) {
          const buses = (await readConfig(q, a, 0x18)) & 0xffffff;
          out.set(key, [command, buses]);
          await walk((buses >> 8) & 0xff);
        } else out.set(key, [command]);
        if (f === 0 && (header & 0x80) === 0) break;
      }
    }
  };
  await walk(0);
  await walk(23);
  return out;
}

Deno.test({
  name: "direct bring-up numbers a switch's buses as SeaBIOS does, and they stay put while it runs",
  ignore,
  sanitizeResources: false,
  async fn() {
    const machine = await presets.resolve({ kind: "preset", name: "dcd-switch" });
    const direct = await launchQemu(machine, { binary: binary as string, bringup: "direct" });
    const firmware = await launchQemu(machine, { binary: binary as string, bringup: "firmware" });
    try {
      ok(direct.process.commandLine.includes("-bios"), "the direct launch has the halt firmware");
      ok(!firmware.process.commandLine.includes("-bios"));
      assertEquals(await direct.control.execute("query-status"), {
        status: "running",
        running: true,
      });
      const a = await pciState(direct);
      const busesOf = (m: Map<string, number[]>) =>
        [...m].filter(([, v]) => v.length > 1).map(([k, v]) => [k, v[1]]);
      // 17:0.0 root port -> 18 (upstream and its CCI) -> 19 (downstream) -> 1a (type-3).
      assertEquals(busesOf(a), [
        ["17:0.0", 0x1a1817],
        ["18:0.0", 0x1a1918],
        ["19:0.0", 0x1a1a19],
      ]);
      assertEquals(busesOf(a), busesOf(await pciState(firmware)));
      // Memory decoding on the type-3, the switch CCI and every bridge above them.
      for (const key of ["17:0.0", "18:0.0", "18:0.1", "19:0.0", "1a:0.0"]) {
        assertEquals((a.get(key)?.[0] ?? 0) & 0x2, 0x2, `${key} decodes memory`);
      }
      const devices = await direct.devices();
      assertEquals(devices.map((d) => d.id), ["cxl-vmem0"]);
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(await pciState(direct), a, "nothing reprogrammed the PCI state");
    } finally {
      await Promise.all([direct.close(), firmware.close()]);
    }
  },
});

Deno.test({
  name: "ECAM is off at reset; a description's own -S still means no firmware and no bring-up",
  ignore,
  sanitizeResources: false,
  async fn() {
    const q = await launchQemu([...DCD_1X2G, "-S"], { binary: binary as string });
    try {
      ok(!q.process.commandLine.includes("-bios"));
      assertEquals(await q.control.execute("query-status"), {
        status: "prelaunch",
        running: false,
      });
      const [, low] = await q.qtest.batch(["outl 0xcf8 0x80000060", "inl 0xcfc"]);
      assertEquals(low, "OK 0xb0000000", "PCIEXBAR holds its base with the enable bit clear");
      assertEquals(await q.qtest.readl(0xb0000000), 0, "nothing decodes the ECAM window yet");
    } finally {
      await q.close();
    }
  },
});

Deno.test({
  name:
    "direct bring-up and discovery of dcd-1x2g take 6 qtest round trips: writes ride with reads",
  ignore,
  sanitizeResources: false,
  async fn() {
    const q = await launchQemu(DCD_1X2G, { binary: binary as string, bringup: "direct" });
    try {
      const [device] = await q.devices();
      assertEquals(device?.id, "cxl-vmem0");
      // The MCH's id, the ECAM enable and its probe with the scans of bus 0 and of bus 23
      // (declared by bus_nr, so no query-pci); bus 0's multi-function slots; bus 24 with the
      // sizing and bus numbers above; the last sizing; the programming with the type-3's
      // config space; its capability array with its header (39 round trips before pipelining).
      assertEquals(q.qtest.batches, 6);
    } finally {
      await q.close();
    }
  },
});

Deno.test({
  name: "declared root buses are taken only when the bus shows them, else query-pci gives them",
  ignore,
  sanitizeResources: false,
  async fn() {
    // [declared roots, query-pci asked]: right; a bus_nr nothing answers on; one root too many.
    const cases: [number[], number][] = [[[0, 23], 0], [[0, 30], 1], [[0, 23, 40], 1]];
    for (const [declared, asks] of cases) {
      const dir = await makePrivateDir();
      const args = buildQemuArgs(DCD_1X2G, {
        qmp: `${dir}/qmp.sock`,
        control: `${dir}/control.sock`,
        qtest: `${dir}/qtest.sock`,
      });
      await Deno.writeFile(`${dir}/halt.bin`, haltFirmwareImage());
      const proc = QemuProcess.spawn(binary as string, [
        ...args,
        ...directBringupArgs(`${dir}/halt.bin`),
      ], dir);
      const opened: { close(): Promise<void> }[] = [];
      try {
        const control = await QmpClient.connect(`unix:${dir}/control.sock`, {
          connectTimeoutMs: 10000,
        });
        opened.push(control);
        await control.negotiate();
        const qt = await QtestClient.connect(`${dir}/qtest.sock`, { timeoutMs: 10000 });
        opened.push(qt);
        const asked: string[] = [];
        const monitor = {
          execute: (command: string) => {
            asked.push(command);
            return control.execute(command);
          },
        };
        const { functions } = await bringUpDirect(qt, monitor, {
          rootBuses: declared,
          type3Ids: ["cxl-vmem0"],
        });
        assertEquals(asked.filter((c) => c === "query-pci").length, asks, `roots ${declared}`);
        assertEquals(
          functions.filter((f) => f.vendor === 0x8086 && f.deviceId === 0x0d93)
            .map((f) => [formatPciAddress(f), f.id]),
          [["18:00.0", "cxl-vmem0"]],
        );
        const rootPort = { bus: 23, device: 0, function: 0 };
        assertEquals((await qt.readl(ecamAddress(rootPort, 0x18))) & 0xffffff, 0x181817);
      } finally {
        await Promise.allSettled(opened.map((o) => o.close()));
        await proc.close();
      }
    }
  },
});
