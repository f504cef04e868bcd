import { deepStrictEqual as assertEquals, ok } from "node:assert";
import { SEED, withDcd } from "../profile.ts";
import { ext, GiB, makeDevice, MiB, updatePayload } from "./test_helpers.ts";

Deno.test("100,000 single-extent adds, each accepted then released, run in under 5 s", () => {
  const N = 100_000;
  const dev = makeDevice({
    profile: withDcd(SEED, { maxExtents: 200_000 }),
    regionLength: 256n * GiB,
  });
  const block = 2n * MiB;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const off = BigInt(i) * block;
    const err = dev.add({ hostId: 0, region: 0, tag: undefined, extents: ext([off, block]) });
    if (err !== undefined) throw new Error(`add ${i}: ${err}`);
    const r = dev.mailbox(0x4802, updatePayload([[off, block]]));
    if (r.rc !== 0) throw new Error(`accept ${i}: rc ${r.rc}`);
  }
  const tAccepted = performance.now();
  assertEquals(dev.store.acceptedCount, N);
  for (let i = 0; i < N; i++) {
    const r = dev.mailbox(0x4803, updatePayload([[BigInt(i) * block, block]]));
    if (r.rc !== 0) throw new Error(`release ${i}: rc ${r.rc}`);
  }
  const t1 = performance.now();
  assertEquals(dev.store.acceptedCount, 0);
  assertEquals(dev.events.log(4).count, 8, "the DC log overflowed and kept 8 records");
  assertEquals(dev.events.log(4).overflowCount, N - 8);
  console.log(
    `scale: ${N} add+accept in ${(tAccepted - t0).toFixed(0)} ms, ${N} releases in ${
      (t1 - tAccepted).toFixed(0)
    } ms, total ${(t1 - t0).toFixed(0)} ms`,
  );
  ok(t1 - t0 < 5000, `took ${(t1 - t0).toFixed(0)} ms, expected < 5000 ms`);
});

Deno.test("paging the list of 100,000 accepted extents visits each once, in order", () => {
  const N = 100_000;
  const dev = makeDevice({
    profile: withDcd(SEED, { maxExtents: 200_000 }),
    regionLength: 512n * GiB,
  });
  const block = 2n * MiB;
  for (let i = 0; i < N; i++) {
    const off = BigInt(i) * 2n * block;
    dev.add({ hostId: 0, region: 0, tag: undefined, extents: ext([off, block]) });
    dev.mailbox(0x4802, updatePayload([[off, block]]));
  }
  // Release extent 0: it leaves the list, so paging starts at the second extent.
  assertEquals(dev.mailbox(0x4803, updatePayload([[0n, block]])).rc, 0);
  const t0 = performance.now();
  const list = new Uint8Array(8);
  const v = new DataView(list.buffer);
  v.setUint32(0, 50, true);
  let seen = 0;
  let last = -1n;
  let ordered = true;
  for (let start = 0; start < N - 1; start += 50) {
    v.setUint32(4, start, true);
    const r = dev.mailbox(0x4801, list);
    if (r.rc !== 0) throw new Error(`list rc ${r.rc}`);
    const o = new DataView(r.payload.buffer);
    const n = o.getUint32(0, true);
    for (let k = 0; k < n; k++) {
      const dpa = o.getBigUint64(16 + 40 * k, true);
      if (dpa <= last) ordered = false;
      last = dpa;
    }
    seen += n;
  }
  const ms = performance.now() - t0;
  assertEquals(seen, N - 1);
  ok(ordered, "insertion order equals DPA order here");
  console.log(`scale: paged ${seen} extents in ${ms.toFixed(0)} ms`);
  ok(ms < 2000, `paging took ${ms.toFixed(0)} ms, expected < 2000 ms`);
});
