import { deepStrictEqual as assertEquals, rejects } from "node:assert";
import type { HostInterface, MailboxReply } from "../../model/host_interface.ts";
import { readUint, uuidBytes, writeUint } from "./bytes.ts";
import {
  acceptOffer,
  clearEvents,
  drainDcEvents,
  HostCommandError,
  listAllExtents,
  readDcConfig,
  readEvents,
  release,
} from "./helpers.ts";
import { DC_EVENT_UUID } from "./layouts.ts";

const MiB = 1n << 20n;

/**
 * A scripted device: holds accepted extents and a DC event log, answers the
 * commands the helpers use, and records every request.
 */
class FakeDevice implements HostInterface {
  extents: { dpa: bigint; len: bigint }[] = [];
  log: { handle: number; type: number; dpa: bigint; len: bigint }[] = [];
  requests: { opcode: number; payload: Uint8Array }[] = [];
  regions = 3;
  regionsPerReply = 2;
  nextHandle = 1;

  offer(ranges: [bigint, bigint][]): void {
    for (const [dpa, len] of ranges) {
      this.log.push({ handle: this.nextHandle++, type: 0, dpa, len });
    }
  }

  mailbox(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
    this.requests.push({ opcode, payload });
    return Promise.resolve(this.#answer(opcode, payload));
  }

  #answer(opcode: number, payload: Uint8Array): MailboxReply {
    const ok = (p: Uint8Array): MailboxReply => ({ rc: 0, payload: p });
    switch (opcode) {
      case 0x4800: {
        const start = payload[1] ?? 0;
        const n = Math.min(this.regionsPerReply, this.regions - start);
        const out = new Uint8Array(8 + 0x28 * n + 16);
        out[0] = this.regions;
        out[1] = n;
        for (let i = 0; i < n; i++) writeUint(out, 8 + 0x28 * i, 8, BigInt(start + i) << 30n);
        return ok(out);
      }
      case 0x4801: {
        const count = Number(readUint(payload, 0, 4));
        const start = Number(readUint(payload, 4, 4));
        const page = this.extents.slice(start, start + Math.min(count, 50));
        const out = new Uint8Array(16 + 40 * page.length);
        writeUint(out, 0, 4, page.length);
        writeUint(out, 4, 4, this.extents.length);
        page.forEach((e, i) => {
          writeUint(out, 16 + 40 * i, 8, e.dpa);
          writeUint(out, 24 + 40 * i, 8, e.len);
        });
        return ok(out);
      }
      case 0x0100: {
        const page = this.log.slice(0, 3); // small pages to exercise draining
        const out = new Uint8Array(0x20 + 0x80 * page.length);
        out[0] = page.length > 0 ? 2 : 0;
        writeUint(out, 0x14, 2, page.length);
        page.forEach((r, i) => {
          const at = 0x20 + 0x80 * i;
          out.set(uuidBytes(DC_EVENT_UUID), at);
          writeUint(out, at + 0x14, 2, r.handle);
          out[at + 0x30] = r.type;
          writeUint(out, at + 0x38, 8, r.dpa);
          writeUint(out, at + 0x40, 8, r.len);
        });
        return ok(out);
      }
      case 0x0101: {
        const n = payload[2] ?? 0;
        for (let i = 0; i < n; i++) {
          if (this.log[0]?.handle !== Number(readUint(payload, 6 + 2 * i, 2))) {
            return { rc: 2, payload: new Uint8Array(0) };
          }
          this.log.shift();
        }
        return ok(new Uint8Array(0));
      }
      case 0x4802:
      case 0x4803: {
        const n = Number(readUint(payload, 0, 4));
        for (let i = 0; i < n; i++) {
          const dpa = readUint(payload, 8 + 24 * i, 8);
          const len = readUint(payload, 16 + 24 * i, 8);
          if (opcode === 0x4802) this.extents.push({ dpa, len });
          else this.extents = this.extents.filter((e) => e.dpa !== dpa);
        }
        return ok(new Uint8Array(0));
      }
      default:
        return { rc: 3, payload: new Uint8Array(0) };
    }
  }
}

Deno.test("readDcConfig asks again from the next region until it has them all", async () => {
  const dev = new FakeDevice();
  const config = await readDcConfig(dev);
  assertEquals(config.regions.map((r) => r.base), [0n, 1n << 30n, 2n << 30n]);
  assertEquals(config.regionsReturned, 3);
  assertEquals(dev.requests.map((r) => [...r.payload]), [[8, 0], [8, 2]]);
});

Deno.test("listAllExtents pages through the extent list in chunks", async () => {
  const dev = new FakeDevice();
  for (let i = 0n; i < 120n; i++) dev.extents.push({ dpa: i * 2n * MiB, len: 2n * MiB });
  const all = await listAllExtents(dev);
  assertEquals(all.length, 120);
  assertEquals(all[119]?.dpa, 238n * MiB);
  const starts = dev.requests.map((r) => Number(readUint(r.payload, 4, 4)));
  assertEquals(starts, [0, 50, 100]);
  assertEquals((await listAllExtents(dev, 7)).length, 120);
});

Deno.test("drainDcEvents reads and clears pages until the log is empty", async () => {
  const dev = new FakeDevice();
  dev.offer([[0n, 2n * MiB], [4n * MiB, 2n * MiB], [8n * MiB, 2n * MiB], [12n * MiB, 2n * MiB]]);
  const records = await drainDcEvents(dev);
  assertEquals(records.map((r) => r.handle), [1, 2, 3, 4]);
  assertEquals(records[0]?.type, "add-capacity");
  assertEquals(dev.log.length, 0);
});

Deno.test("acceptOffer accepts everything offered, or the subset select picks", async () => {
  const dev = new FakeDevice();
  dev.offer([[0n, 64n * MiB], [128n * MiB, 64n * MiB]]);
  const all = await acceptOffer(dev);
  assertEquals(all.accepted, [{ dpa: 0n, len: 64n * MiB }, { dpa: 128n * MiB, len: 64n * MiB }]);
  dev.offer([[256n * MiB, 64n * MiB]]);
  const part = await acceptOffer(dev, {
    select: (offered) => [{ dpa: offered[0]?.dpa ?? 0n, len: 2n * MiB }],
  });
  assertEquals(part.accepted, [{ dpa: 256n * MiB, len: 2n * MiB }]);
  assertEquals(dev.extents.length, 3);
});

Deno.test("acceptOffer refuses to answer when nothing was offered", async () => {
  const dev = new FakeDevice();
  await rejects(acceptOffer(dev), /holds no add-capacity record/);
  assertEquals(dev.requests.some((r) => r.opcode === 0x4802), false);
});

Deno.test("a failing command throws HostCommandError naming the opcode and code", async () => {
  const dev = new FakeDevice();
  dev.offer([[0n, 2n * MiB], [2n * MiB, 2n * MiB]]);
  await rejects(clearEvents(dev, "dynamic-capacity", [2]), (e: unknown) => {
    assertEquals(e instanceof HostCommandError, true);
    assertEquals(
      (e as Error).message,
      "Clear Event Records (opcode 0x0101) returned INVALID_INPUT; expected SUCCESS",
    );
    return true;
  });
  assertEquals((await readEvents(dev, 4)).recordCount, 2);
  await rejects(readEvents(dev, "dc"), /unknown event log "dc"/);
});

Deno.test("release sends the ranges in one Release DC request", async () => {
  const dev = new FakeDevice();
  dev.extents.push({ dpa: 0n, len: 2n * MiB });
  await release(dev, [{ dpa: 0n, len: 2n * MiB }]);
  assertEquals(dev.extents, []);
  assertEquals(dev.requests.at(-1)?.opcode, 0x4803);
});
