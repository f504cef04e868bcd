import { deepStrictEqual, ok } from "node:assert";
import { QEMU_10_0, SEED } from "../profile.ts";
import { parseCommandLine } from "./parse.ts";
import { parseBool, parseKeyval } from "./keyval.ts";
import { hex, parseSize } from "./size.ts";

const G = 1n << 30n;

Deno.test("sizes take QEMU's suffixes in either case, fractions and hex", () => {
  deepStrictEqual(parseSize("4G"), 4n * G);
  deepStrictEqual(parseSize("1g"), G);
  deepStrictEqual(parseSize("1k"), 1024n);
  deepStrictEqual(parseSize("1.5G"), 3n * G / 2n);
  deepStrictEqual(parseSize("0x1000"), 4096n);
  deepStrictEqual(parseSize("256M"), 256n << 20n);
  deepStrictEqual(parseSize("2X"), undefined);
  deepStrictEqual(parseSize("-1"), undefined);
  deepStrictEqual(parseSize("16E"), undefined);
  deepStrictEqual(hex(0x12c00000n), "0x12c00000");
});

Deno.test("-m without a suffix means MiB", () => {
  const c = parseCommandLine(["-m", "2048"], QEMU_10_0);
  deepStrictEqual(c.ramSize, 2n * G);
  deepStrictEqual(c.maxMem, 2n * G);
});

Deno.test("option strings: implied key, ',,' escape, last value wins", () => {
  const o = parseKeyval("cxl-type3,id=a,,b,x=1,x=2", "driver");
  deepStrictEqual([...o], [["driver", "cxl-type3"], ["id", "a,b"], ["x", "2"]]);
  deepStrictEqual(parseBool("on"), true);
  deepStrictEqual(parseBool("off"), false);
  deepStrictEqual(parseBool("maybe"), undefined);
});

Deno.test("multiple -machine/-M options are merged", () => {
  const c = parseCommandLine([
    "-machine",
    "type=q35,accel=tcg",
    "-M",
    "cxl=on,cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=6G",
    "-S",
  ], SEED);
  deepStrictEqual(c.machineType, "q35");
  ok(c.cxl);
  ok(c.startPaused);
  deepStrictEqual(c.windows, [{ index: 0, targets: ["cxl.1"], size: 6n * G }]);
});

Deno.test("-compat unstable-input=reject is recorded, -qmp is left to the wire layer", () => {
  const c = parseCommandLine(
    ["-compat", "unstable-input=reject", "-qmp", "unix:/x,server=on"],
    QEMU_10_0,
  );
  ok(c.rejectUnstable);
  deepStrictEqual(c.notices, []);
});

Deno.test("ignored options and devices are reported once each", () => {
  const c = parseCommandLine([
    "-cpu",
    "max",
    "-smp",
    "8",
    "-smp",
    "4",
    "-nographic",
    "-device",
    "virtio-net,netdev=n",
  ], SEED);
  deepStrictEqual(c.notices.length, 4);
  ok(c.notices.some((n) => n.includes("-smp (2 occurrences)")));
  deepStrictEqual(c.devices, []);
});
