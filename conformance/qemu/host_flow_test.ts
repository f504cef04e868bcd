import { deepStrictEqual as assertEquals } from "node:assert";
import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
import {
  acceptOffer,
  drainDcEvents,
  listAllExtents,
  readDcConfig,
  readEvents,
  release,
} from "../host/helpers.ts";
import { toHex } from "../host/bytes.ts";
import { createMachine } from "../../model/mod.ts";
import { withSeed } from "../../model/profile.ts";
import type { Machine } from "../../model/machine_types.ts";
import { encodeHostRequest } from "../host/codec.ts";
import { launchQemu } from "./launcher.ts";
import { DCD_1X2G, qemuBuilds } from "./test_util.ts";

const builds = qemuBuilds("the model-vs-QEMU mailbox tests");
const MiB = 1n << 20n;
const PATH = "/machine/peripheral/cxl-vmem0";

/** Wraps a host and records every exchange as hex (for byte-for-byte comparison). */
export function recording(host: HostInterface): HostInterface & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    async mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
      const reply = await host.mailbox(opcode, payload);
      log.push(
        `${opcode.toString(16)} ${toHex(payload)} -> ${reply.rc} ${toHex(reply.payload)}`,
      );
      return reply;
    },
  };
}

/** QMP side of the scenario: runs a command and returns its result object. */
export type Qmp = (command: string, args: QmpObject) => Promise<QmpValue>;

function extents(offsets: [bigint, bigint][]): QmpValue[] {
  return offsets.map(([offset, len]) => ({ offset: Number(offset), len: Number(len) }));
}

/**
 * The host lifecycle: config, offer, events, partial acceptance, extent
 * list, release across adjacent extents, events cleared. Returns a summary
 * that must be the same on every target.
 */
export async function hostLifecycle(host: HostInterface, qmp: Qmp): Promise<QmpValue> {
  const config = await readDcConfig(host);
  await qmp("cxl-add-dynamic-capacity", {
    path: PATH,
    "host-id": 0,
    "selection-policy": "prescriptive",
    region: 0,
    extents: extents([[0n, 128n * MiB], [256n * MiB, 64n * MiB]]),
  });
  const offerPage = await readEvents(host, "dynamic-capacity");
  const answer = await acceptOffer(host, {
    select: () => [
      { dpa: 0n, len: 16n * MiB },
      { dpa: 16n * MiB, len: 48n * MiB },
      { dpa: 256n * MiB, len: 64n * MiB },
    ],
  });
  const accepted = await listAllExtents(host);
  await qmp("cxl-release-dynamic-capacity", {
    path: PATH,
    "host-id": 0,
    "removal-policy": "prescriptive",
    region: 0,
    extents: extents([[8n * MiB, 16n * MiB]]),
  });
  const releaseEvents = await drainDcEvents(host);
  await release(host, [{ dpa: 8n * MiB, len: 16n * MiB }]);
  const after = await listAllExtents(host);
  const finalPage = await readEvents(host, "dynamic-capacity");
  const range = (e: { dpa: bigint; len: bigint }) => `${e.dpa / MiB}M+${e.len / MiB}M`;
  return {
    regions: config.regions.map((r) => `${r.base}/${r.regionLength}/${r.blockSize}`),
    offered: offerPage.records.map((r) => `${r.type} ${range(r.extent!)} more=${r.more}`),
    drained: answer.offered.length,
    accepted: accepted.map(range),
    releaseEvents: releaseEvents.map((r) => `${r.type} ${range(r.extent!)}`),
    after: after.map(range).sort(),
    remainingRecords: finalPage.recordCount,
  };
}

/** What the lifecycle must produce on every QEMU release (and on the model). */
export const EXPECTED_LIFECYCLE: QmpValue = {
  regions: ["0/2147483648/2097152"],
  offered: ["add-capacity 0M+128M more=true", "add-capacity 256M+64M more=false"],
  drained: 2,
  accepted: ["0M+16M", "16M+48M", "256M+64M"],
  releaseEvents: ["release-capacity 8M+16M"],
  after: ["0M+8M", "24M+40M", "256M+64M"],
  remainingRecords: 0,
};

for (const build of builds) {
  Deno.test({
    name: `host helpers drive the whole DC lifecycle on ${build.label}`,
    async fn() {
      const q = await launchQemu(DCD_1X2G, { binary: build.binary });
      try {
        const client = q.qmp;
        await client.negotiate();
        const host = recording(q.host("cxl-vmem0"));
        const summary = await hostLifecycle(host, (c, a) => client.execute(c, a));
        assertEquals(summary, EXPECTED_LIFECYCLE);
        assertEquals(q.exited(), undefined);
      } finally {
        await q.close();
      }
    },
  });
}

/** Assorted commands, many of them errors, sent after the lifecycle. */
const ASSORTED: [string, Record<string, unknown>][] = [
  ["identify", {}],
  ["get-dc-config", { "start-region": 1 }],
  ["get-dc-config", { "region-count": 0 }],
  ["get-dc-config", { "payload-length": 3 }],
  ["get-dc-extent-list", { "start-index": 3 }],
  ["get-dc-extent-list", { "start-index": 4 }],
  ["get-dc-extent-list", { count: 1, "start-index": 1 }],
  ["add-dc-response", { extents: [{ dpa: 512 * 2 ** 20, len: 2 ** 21 }] }],
  ["add-dc-response", { extents: [{ dpa: 0, len: 2 ** 21 }], "payload-length": 7 }],
  ["release-dc", { extents: [] }],
  ["release-dc", { extents: [{ dpa: 2 ** 20, len: 2 ** 21 }] }],
  ["release-dc", { extents: [{ dpa: 2 ** 31, len: 2 ** 21 }] }],
  ["release-dc", { extents: [{ dpa: 0, len: 2 ** 21 }, { dpa: 0, len: 2 ** 21 }] }],
  ["release-dc", { extents: [{ dpa: 64 * 2 ** 20, len: 2 ** 21 }] }],
  ["get-event-records", { log: 5 }],
  ["get-event-records", { log: "informational" }],
  ["clear-event-records", { log: 4, handles: [7] }],
  ["clear-event-records", { log: 4, handles: [], count: 2 }],
  ["get-event-interrupt-policy", {}],
  ["set-event-interrupt-policy", { informational: 1, "dynamic-capacity": 1 }],
  ["get-event-interrupt-policy", {}],
  ["set-event-interrupt-policy", { "payload-length": 3 }],
  ["raw", { opcode: 0x4000, "payload-hex": "00" }],
  ["raw", { opcode: 0x4803, "payload-hex": "01000000" }],
  ["raw", { opcode: 0xcc01 }],
];

async function assorted(host: HostInterface): Promise<void> {
  for (const [command, fields] of ASSORTED) {
    // deno-lint-ignore no-explicit-any
    const req = encodeHostRequest(command, fields as any);
    await host.mailbox(req.opcode, req.payload);
  }
}

function modelQmp(machine: Machine): Qmp {
  return (command, args) => {
    const result = machine.execute(command, args);
    if ("error" in result) {
      return Promise.reject(new Error(`${command}: ${result.error.desc}`));
    }
    return Promise.resolve(result.return);
  };
}

if (builds.length === 0) {
  Deno.test({
    name: "the model's mailbox answers byte for byte like QEMU's (no QEMU build)",
    ignore: true,
    fn() {},
  });
}
for (const build of builds) {
  Deno.test({
    name: `the model's mailbox answers byte for byte like ${build.label}'s over the same host code`,
    async fn() {
      const q = await launchQemu(DCD_1X2G, { binary: build.binary });
      const real = recording(q.host("cxl-vmem0"));
      try {
        await q.qmp.negotiate();
        await hostLifecycle(real, (c, a) => q.qmp.execute(c, a));
        await assorted(real);
        assertEquals(q.exited(), undefined);
      } finally {
        await q.close();
      }
      // The build's release, and the seed's features on top of it (untagged flows are the base's).
      for (const profile of [build.profile, withSeed(build.profile)]) {
        const machine = createMachine(DCD_1X2G, { profile });
        const model = recording(machine.host("cxl-vmem0"));
        await hostLifecycle(model, modelQmp(machine));
        await assorted(model);
        assertEquals(model.log.length, real.log.length);
        for (let i = 0; i < real.log.length; i++) {
          assertEquals(
            model.log[i],
            real.log[i],
            `${profile.name}: exchange ${i} differs (opcode request -> rc payload)`,
          );
        }
      }
    },
  });
}
