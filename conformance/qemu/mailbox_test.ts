import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert";
import { buildQemuArgs } from "./args.ts";
import { discoverType3 } from "./devices.ts";
import { QtestMailbox } from "./mailbox.ts";
import { formatPciAddress } from "./pci.ts";
import { makePrivateDir, QemuProcess } from "./process.ts";
import { QtestClient, QtestError } from "./qtest.ts";
import { availableQemu, DCD_1X2G, TWO_DEVICES } from "./test_util.ts";
import { decodeHostReply, encodeHostRequest } from "../host/codec.ts";

const binary = availableQemu();

/** A topology source for tests without QMP: fixed root buses, no ids. */
function noQmp(rootBuses: number[]) {
  return () => Promise.resolve({ rootBuses, ids: new Map<string, string>() });
}

/** Starts QEMU with only its qtest socket in use (no QMP involved). */
async function withQtest(
  machine: readonly string[],
  body: (qt: QtestClient) => Promise<void>,
): Promise<void> {
  const dir = await makePrivateDir();
  const args = buildQemuArgs(machine, {
    qmp: `${dir}/qmp.sock`,
    control: `${dir}/control.sock`,
    qtest: `${dir}/qtest.sock`,
  });
  const proc = QemuProcess.spawn(binary as string, args, dir);
  let qt: QtestClient | undefined;
  try {
    qt = await QtestClient.connect(`${dir}/qtest.sock`, { timeoutMs: 10000 });
    await body(qt);
  } finally {
    await qt?.close();
    await proc.close();
  }
}

Deno.test({
  name: "qtest reads config space and reports a refused request as QtestError",
  ignore: binary === undefined,
  fn: () =>
    withQtest(DCD_1X2G, async (qt) => {
      // ECAM is live once SeaBIOS programmed PCIEXBAR.
      await discoverType3(qt, noQmp([0, 23]), { expected: 1, timeoutMs: 5000 });
      // q35 host bridge: 8086:29c0
      assertEquals(await qt.readl(0xb0000000), 0x29c08086);
      assertEquals(await qt.readw(0xb0000002), 0x29c0);
      assertEquals([...await qt.read(0xb0000000, 2)], [0x86, 0x80]);
      await rejects(qt.request("bogus 1"), QtestError);
      // the session survives a refused request
      assertEquals(await qt.readb(0xb0000000), 0x86);
    }),
});

Deno.test({
  name: "the bus walk finds the type-3 device behind the pxb root port and its mailbox",
  ignore: binary === undefined,
  fn: () =>
    withQtest(DCD_1X2G, async (qt) => {
      const devices = await discoverType3(qt, noQmp([]), { expected: 1, timeoutMs: 5000 });
      assertEquals(devices.map((d) => formatPciAddress(d.address)), ["18:00.0"]);
      const mbox = new QtestMailbox(qt, devices[0]?.mailbox ?? 0n);
      const config = await mbox.mailbox(0x4800, new Uint8Array([8, 0]));
      assertEquals(config.rc, 0);
      assertEquals(decodeHostReply("get-dc-config", config).output["regions"], [{
        base: 0,
        "decode-length": 8,
        "region-length": 2147483648,
        "block-size": 2097152,
        "dsmad-handle": 0,
        flags: 0,
      }]);
    }),
});

Deno.test({
  name: "mailbox return codes, output lengths and widths follow QEMU (and take < 1 ms each)",
  ignore: binary === undefined,
  fn: () =>
    withQtest(DCD_1X2G, async (qt) => {
      const [dev] = await discoverType3(qt, noQmp([0, 23]), { expected: 1, timeoutMs: 5000 });
      const mbox = new QtestMailbox(qt, dev?.mailbox ?? 0n);
      const run = async (command: string, fields: Record<string, unknown>) => {
        // deno-lint-ignore no-explicit-any
        const req = encodeHostRequest(command, fields as any);
        return decodeHostReply(command, await mbox.mailbox(req.opcode, req.payload));
      };
      assertEquals(
        (await run("get-dc-config", { "payload-length": 3 })).rc,
        "INVALID_PAYLOAD_LENGTH",
      );
      assertEquals((await run("get-dc-config", { "start-region": 1 })).rc, "INVALID_INPUT");
      assertEquals(await run("raw", { opcode: 0x1234 }), {
        rc: "UNSUPPORTED",
        output: { "payload-hex": "" },
      });
      const id = await run("identify", {});
      assertEquals(id.output["dynamic-capacity-event-log-size"], 8);
      await run("set-timestamp", { timestamp: 1_000_000_000 });
      const ts = (await run("get-timestamp", {})).output["timestamp"] as number;
      ok(ts >= 1_000_000_000, `timestamp ${ts} should count on from the value set`);
      const n = 500;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await mbox.mailbox(0x4801, new Uint8Array(8));
      const perCommand = (performance.now() - t0) / n;
      console.log(`mailbox command over qtest: ${perCommand.toFixed(3)} ms`);
      ok(perCommand < 1, `one mailbox command took ${perCommand} ms; expected < 1 ms`);
    }),
});

Deno.test({
  name: "two type-3 devices are both found, in bus order, each with its own mailbox",
  ignore: binary === undefined,
  fn: () =>
    withQtest(TWO_DEVICES, async (qt) => {
      const devices = await discoverType3(qt, noQmp([0, 23]), { expected: 2, timeoutMs: 5000 });
      assertEquals(devices.length, 2);
      const regions = [];
      for (const d of devices) {
        const reply = await new QtestMailbox(qt, d.mailbox).mailbox(0x4800, new Uint8Array([8, 0]));
        regions.push(decodeHostReply("get-dc-config", reply).output["num-regions"]);
      }
      assertEquals(regions.sort(), [1, 2]);
    }),
});

Deno.test({
  name: "discovery waits until query-pci places every declared id at a found function",
  ignore: binary === undefined,
  fn: () =>
    withQtest(DCD_1X2G, async (qt) => {
      // The firmware renumbers buses while QEMU starts: the first answers of
      // query-pci may not know the device at the address the ECAM walk finds.
      let calls = 0;
      const topology = () => {
        calls++;
        const ids = new Map<string, string>(calls <= 3 ? [] : [["18:00.0", "cxl-vmem0"]]);
        return Promise.resolve({ rootBuses: [0, 23], ids });
      };
      const [dev] = await discoverType3(qt, topology, {
        expected: 1,
        ids: ["cxl-vmem0"],
        timeoutMs: 5000,
      });
      assertEquals(dev?.id, "cxl-vmem0");
      assertEquals(formatPciAddress(dev!.address), "18:00.0");
      ok(calls > 3, `query-pci was read ${calls} times; expected discovery to wait for the id`);
    }),
});
