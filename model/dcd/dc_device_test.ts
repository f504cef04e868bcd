import { deepStrictEqual as assertEquals } from "node:assert";
import { QEMU_10_0, SEED } from "../profile.ts";
import { NIL_UUID, parseUuid } from "../uuid.ts";
import type { DcAddRequest, DcReleaseRequest } from "./types.ts";
import {
  accept,
  acceptedPairs,
  ext,
  getEvents,
  GiB,
  hostRelease,
  makeDevice,
  MiB,
  taggedBackend,
  updatePayload,
} from "./test_helpers.ts";

function addReq(extents: ReturnType<typeof ext>, more: Partial<DcAddRequest> = {}): DcAddRequest {
  return { hostId: 0, region: 0, tag: undefined, extents, ...more };
}

function relReq(
  extents: ReturnType<typeof ext>,
  more: Partial<DcReleaseRequest> = {},
): DcReleaseRequest {
  return {
    hostId: 0,
    removalPolicy: "prescriptive",
    forcedRemoval: false,
    sanitizeOnRelease: false,
    region: 0,
    tag: undefined,
    extents,
    ...more,
  };
}

Deno.test("add reproduces the verified 10.0.2 QMP fixture sequence", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  const steps: [DcAddRequest, string | undefined][] = [
    [addReq(ext([0n, 128n * MiB])), undefined],
    [addReq(ext([0n, 128n * MiB])), "cannot add DPA again while still pending"],
    [addReq(ext([64n * MiB, 128n * MiB])), "cannot add DPA again while still pending"],
    [addReq(ext([0n, 2n * MiB]), { region: 1 }), "region id is too large"],
    [addReq(ext([GiB, 0n])), "extent with 0 length is not allowed"],
    [addReq(ext([GiB + 4096n, 2n * MiB])), "dpa or len is not aligned to region block size"],
    [addReq(ext([GiB, 3n * MiB])), "dpa or len is not aligned to region block size"],
    [addReq(ext([2n * GiB - 2n * MiB, 4n * MiB])), "extent range is beyond the region end"],
    [addReq(ext([2n * GiB, 2n * MiB])), "extent range is beyond the region end"],
    [
      addReq(ext([GiB, 4n * MiB], [GiB + 2n * MiB, 2n * MiB])),
      "duplicate or overlapped extents are detected",
    ],
    [addReq(ext([GiB, 2n * MiB], [GiB, 0n])), "extent with 0 length is not allowed"],
    [addReq(ext([GiB, 2n * MiB])), undefined],
    [addReq([]), undefined],
    [addReq(ext([GiB + 64n * MiB, 2n * MiB]), { hostId: 7, tag: "not-a-uuid" }), undefined],
  ];
  for (const [req, want] of steps) assertEquals(dev.add(req), want);
  assertEquals(dev.store.groupCount, 3, "the empty add queued no group");
});

Deno.test("add checks accepted before pending, per extent in list order", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 64n * MiB])));
  accept(dev, [[0n, 64n * MiB]]);
  dev.add(addReq(ext([64n * MiB, 64n * MiB])));
  assertEquals(
    dev.add(addReq(ext([32n * MiB, 64n * MiB]))),
    "cannot add DPA already accessible to the same LD",
  );
  assertEquals(
    dev.add(addReq(ext([128n * MiB, 2n * MiB], [64n * MiB, 2n * MiB], [0n, 2n * MiB]))),
    "cannot add DPA again while still pending",
  );
  assertEquals(dev.store.groupCount, 1, "a failed add queues nothing");
});

Deno.test("release checks: pending, then non-existing, block-granular across extents", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  dev.add(addReq(ext([0n, 16n * MiB], [32n * MiB, 32n * MiB])));
  assertEquals(
    dev.release(relReq(ext([0n, 2n * MiB]))),
    "cannot release extent with pending DPA range",
  );
  accept(dev, [[0n, 16n * MiB], [32n * MiB, 32n * MiB]]);
  assertEquals(
    dev.release(relReq(ext([16n * MiB, 16n * MiB]))),
    "cannot release extent with non-existing DPA range",
  );
  assertEquals(dev.release(relReq(ext([8n * MiB, 8n * MiB]))), undefined);
  dev.add(addReq(ext([16n * MiB, 16n * MiB])));
  accept(dev, [[16n * MiB, 16n * MiB]]);
  assertEquals(dev.release(relReq(ext([8n * MiB, 16n * MiB]))), undefined, "spans two extents");
  assertEquals(dev.release(relReq(ext([0n, 2n * MiB]), { region: 2 })), "region id is too large");
  assertEquals(dev.release(relReq([])), undefined);
  assertEquals(
    dev.release(relReq([], { forcedRemoval: true })),
    "Forced removal not supported yet",
  );
  assertEquals(
    dev.release(relReq(ext([0n, 2n * MiB]), { removalPolicy: "tag-based" })),
    "Removal policy not supported",
  );
});

Deno.test("QMP release changes no state and may be repeated", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 64n * MiB])));
  accept(dev, [[0n, 64n * MiB]]);
  const before = JSON.stringify(dev.snapshot()["accepted-extents"]);
  assertEquals(dev.release(relReq(ext([0n, 64n * MiB]))), undefined);
  assertEquals(dev.release(relReq(ext([0n, 64n * MiB]))), undefined);
  assertEquals(JSON.stringify(dev.snapshot()["accepted-extents"]), before);
  assertEquals(getEvents(dev).count, 3, "one add and two release records");
});

Deno.test("add events carry QEMU 10.0.2 fields and More on all but the last", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 128n * MiB], [256n * MiB, 64n * MiB]), { hostId: 5, tag: "x" }));
  const ev = getEvents(dev);
  assertEquals(ev.flags, 0x02);
  assertEquals(ev.records.map((r) => [r.handle, r.type, r.flags, r.hostId, r.validity]), [
    [1, 0, 1, 5, 0],
    [2, 0, 0, 5, 0],
  ]);
  assertEquals(ev.records.map((r) => [r.dpa, r.len]), [[0n, 128n * MiB], [256n * MiB, 64n * MiB]]);
  assertEquals(ev.records.every((r) => r.extentsAvailable === 0 && r.regionId === 0), true);
  assertEquals(ev.records[0]?.tag, new Uint8Array(16));
});

Deno.test("event DPA is absolute and region id stays 0 for region 1", () => {
  const dev = makeDevice({ profile: QEMU_10_0, regionCount: 2, regionLength: GiB });
  dev.add(addReq(ext([0n, 2n * MiB]), { region: 1 }));
  const r = getEvents(dev).records[0];
  assertEquals([r?.dpa, r?.regionId], [GiB, 0]);
});

Deno.test("overflow past 8 records keeps the whole group queued, all stored records More", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  const ten = Array.from({ length: 10 }, (_, i) =>
    [BigInt(i) * 4n * MiB, 2n * MiB] as [
      bigint,
      bigint,
    ]);
  assertEquals(dev.add(addReq(ext(...ten))), undefined);
  const ev = getEvents(dev);
  assertEquals(ev.count, 8);
  assertEquals(ev.overflowCount, 2);
  assertEquals(ev.flags, 0x03);
  assertEquals(ev.records.every((r) => r.flags === 1), true);
  assertEquals(dev.store.pendingCount, 10);
  accept(dev, ten);
  assertEquals(acceptedPairs(dev).length, 10);
});

Deno.test("accept part keeps only accepted sub-ranges and drops the rest of the group", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 128n * MiB], [256n * MiB, 64n * MiB])));
  accept(dev, [[0n, 64n * MiB]]);
  assertEquals(acceptedPairs(dev), [[0n, 64n * MiB]]);
  assertEquals(dev.store.groupCount, 0);
  assertEquals(dev.add(addReq(ext([64n * MiB, 64n * MiB]))), undefined, "dropped part is free");
});

Deno.test("reject with n=0 drops only the front group", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 2n * MiB])));
  dev.add(addReq(ext([2n * MiB, 2n * MiB])));
  assertEquals(dev.mailbox(0x4802, updatePayload([])).rc, 0);
  assertEquals(dev.store.groupCount, 1);
  assertEquals(dev.mailbox(0x4802, updatePayload([[0n, 2n * MiB]])).rc, 0x0f, "not in front");
  accept(dev, [[2n * MiB, 2n * MiB]]);
  assertEquals(acceptedPairs(dev), [[2n * MiB, 2n * MiB]]);
});

Deno.test("host release splits extents and moves surviving fragments to the tail", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 64n * MiB], [64n * MiB, 64n * MiB])));
  accept(dev, [[0n, 64n * MiB], [64n * MiB, 64n * MiB]]);
  hostRelease(dev, [[16n * MiB, 16n * MiB]]);
  assertEquals(acceptedPairs(dev), [
    [64n * MiB, 64n * MiB],
    [0n, 16n * MiB],
    [32n * MiB, 32n * MiB],
  ]);
  hostRelease(dev, [[48n * MiB, 32n * MiB]]);
  assertEquals(acceptedPairs(dev), [
    [0n, 16n * MiB],
    [32n * MiB, 16n * MiB],
    [80n * MiB, 48n * MiB],
  ]);
  assertEquals(
    dev.mailbox(0x4803, updatePayload([[0n, 32n * MiB]])).rc,
    0x0f,
    "beyond backed capacity",
  );
  assertEquals(acceptedPairs(dev).length, 3, "a failed release changes nothing");
});

Deno.test("timestamps are 0 until Set Timestamp, then host time plus elapsed clock", () => {
  const clock = { now: 1000n };
  const dev = makeDevice({ profile: QEMU_10_0, clock });
  dev.add(addReq(ext([0n, 2n * MiB])));
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, 1_000_000_000n, true);
  assertEquals(dev.mailbox(0x0301, ts).rc, 0);
  clock.now += 500n;
  dev.add(addReq(ext([2n * MiB, 2n * MiB])));
  assertEquals(getEvents(dev).records.map((r) => r.timestamp), [0n, 1_000_000_500n]);
  const got = dev.mailbox(0x0300, new Uint8Array(0));
  assertEquals(new DataView(got.payload.buffer).getBigUint64(0, true), 1_000_000_500n);
});

// ------------------------------------------------------------------- seed

const TAG_A = "6be13bce-ae34-4a77-b6c3-16df975fcf1a";
const TAG_B = "0f2c3b4a-1111-4222-8333-944455556666";

Deno.test("seed: non-lazy device requires a UUID tag and carries it in events and extents", () => {
  const dev = makeDevice({ profile: SEED });
  assertEquals(
    dev.add(addReq(ext([0n, 2n * MiB]), { tag: "not-a-uuid" })),
    "tag 'not-a-uuid' is not a UUID: expected a UUID such as 6be13bce-ae34-4a77-b6c3-16df975fcf1a",
  );
  assertEquals(dev.add(addReq(ext([0n, 4n * MiB]), { tag: TAG_A.toUpperCase() })), undefined);
  assertEquals(getEvents(dev).records[0]?.tag, parseUuid(TAG_A));
  accept(dev, [[0n, 2n * MiB]]);
  assertEquals(dev.snapshot()["accepted-extents"], [
    { "dpa": 0, "len": 2097152, "tag": TAG_A, "release-requested": false },
  ]);
});

Deno.test("seed: lazy add checks run after the upstream checks, in order", () => {
  const b = taggedBackend("mem0", TAG_A, 128n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [b] });
  assertEquals(dev.add(addReq(ext([0n, 0n]), { tag: "x" })), "extent with 0 length is not allowed");
  assertEquals(
    dev.add(addReq(ext([0n, 2n * MiB], [4n * MiB, 2n * MiB]), { tag: TAG_A })),
    "Only single extent add is supported currently",
  );
  assertEquals(
    dev.add(addReq([], { tag: TAG_A })),
    "Only single extent add is supported currently",
  );
  assertEquals(
    dev.add(addReq(ext([0n, 128n * MiB]))),
    "a device without a backing memdev needs 'tag' to add capacity: expected a UUID such as 6be13bce-ae34-4a77-b6c3-16df975fcf1a",
  );
  assertEquals(
    dev.add(addReq(ext([0n, 128n * MiB]), { tag: "nope" })),
    "tag 'nope' is not a UUID: expected a UUID such as 6be13bce-ae34-4a77-b6c3-16df975fcf1a",
  );
  assertEquals(
    dev.add(addReq(ext([0n, 128n * MiB]), { tag: TAG_B })),
    "dynamic capacity must have a backing device",
  );
  assertEquals(
    dev.add(addReq(ext([0n, 64n * MiB]), { tag: TAG_A })),
    "Host memory backend size 0x8000000 does not match extent length 0x4000000",
  );
  assertEquals(dev.add(addReq(ext([0n, 128n * MiB]), { tag: TAG_A })), undefined);
  assertEquals(b.binding, { device: "cxl-vmem0", dpa: 0n, len: 128n * MiB, state: "pending" });
  assertEquals(
    dev.add(addReq(ext([256n * MiB, 128n * MiB]), { tag: TAG_A })),
    "memory backend 'mem0' is already bound to the pending extent at DPA 0x0 (length 0x8000000) of device 'cxl-vmem0'",
  );
  assertEquals(getEvents(dev).records[0]?.tag, parseUuid(TAG_A));
});

Deno.test("seed: lazy acceptance must name the extent exactly and maps the backend", () => {
  const b = taggedBackend("mem0", TAG_A, 128n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [b], hpaBase: 0x290000000n });
  dev.add(addReq(ext([128n * MiB, 128n * MiB]), { tag: TAG_A }));
  assertEquals(dev.mailbox(0x4802, updatePayload([[128n * MiB, 64n * MiB]])).rc, 0x0f);
  assertEquals(b.binding?.state, "pending", "a refused response changes nothing");
  accept(dev, [[128n * MiB, 128n * MiB]]);
  assertEquals(b.binding, {
    device: "cxl-vmem0",
    dpa: 128n * MiB,
    len: 128n * MiB,
    state: "accepted",
  });
  assertEquals(b.alias, { hpa: 0x290000000n + 128n * MiB, offset: 0n, size: 128n * MiB });
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), { status: "active" });
});

Deno.test("seed: rejected lazy offers unbind their backend", () => {
  const b = taggedBackend("mem0", TAG_A, 2n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [b] });
  dev.add(addReq(ext([0n, 2n * MiB]), { tag: TAG_A }));
  assertEquals(dev.mailbox(0x4802, updatePayload([])).rc, 0);
  assertEquals([b.binding, b.alias], [undefined, undefined]);
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), { status: "not-found" });
});

Deno.test("seed: no hole punching in tagged extents, over QMP or the mailbox", () => {
  const b = taggedBackend("mem0", TAG_A, 64n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [b] });
  dev.add(addReq(ext([0n, 64n * MiB]), { tag: TAG_A }));
  accept(dev, [[0n, 64n * MiB]]);
  assertEquals(
    dev.release(relReq(ext([0n, 32n * MiB]))),
    `cannot release part of the tagged extent at DPA 0x0 (length 0x4000000, tag ${TAG_A}): release the whole extent`,
  );
  assertEquals(dev.mailbox(0x4803, updatePayload([[16n * MiB, 16n * MiB]])).rc, 0x02);
  assertEquals(acceptedPairs(dev), [[0n, 64n * MiB]]);
  assertEquals(dev.release(relReq(ext([0n, 64n * MiB]), { tag: TAG_A })), undefined);
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), {
    status: "release-pending",
  });
  hostRelease(dev, [[0n, 64n * MiB]]);
  assertEquals([b.binding, b.alias], [undefined, undefined]);
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), { status: "not-found" });
});

Deno.test("seed: tag-based release selects the region's accepted extents with that tag", () => {
  const a = taggedBackend("memA", TAG_A, 2n * MiB);
  const b = taggedBackend("memB", TAG_B, 2n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [a, b] });
  const tagRel = (tag: string | undefined, region = 0) =>
    dev.release(relReq(ext([GiB, 2n * MiB]), { removalPolicy: "tag-based", tag, region }));
  dev.add(addReq(ext([0n, 2n * MiB]), { tag: TAG_A, hostId: 3 }));
  assertEquals(tagRel(TAG_A), "cannot release extent with pending DPA range");
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), { status: "pending" });
  accept(dev, [[0n, 2n * MiB]]);
  assertEquals(tagRel(TAG_B), `no extent with tag ${TAG_B} in region 0`);
  assertEquals(
    tagRel(undefined),
    "tag-based removal needs 'tag': expected a UUID such as 6be13bce-ae34-4a77-b6c3-16df975fcf1a",
  );
  assertEquals(tagRel(TAG_A, 1), "region id is too large");
  const before = getEvents(dev).count;
  assertEquals(tagRel(TAG_A.toUpperCase()), undefined);
  const ev = getEvents(dev).records.slice(before);
  assertEquals(ev.map((r) => [r.type, r.dpa, r.len, r.flags]), [[1, 0n, 2n * MiB, 0]]);
  assertEquals(ev[0]?.tag, parseUuid(TAG_A));
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), {
    status: "release-pending",
  });
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_B }), { status: "not-found" });
});

Deno.test("seed: tag-based release chains several extents with More", () => {
  const dev = makeDevice({ profile: SEED });
  dev.add(addReq(ext([0n, 2n * MiB], [8n * MiB, 2n * MiB]), { tag: TAG_A }));
  accept(dev, [[0n, 2n * MiB], [8n * MiB, 2n * MiB]]);
  const before = getEvents(dev).count;
  assertEquals(
    dev.release(relReq([], { removalPolicy: "tag-based", tag: TAG_A })),
    undefined,
  );
  const ev = getEvents(dev).records.slice(before);
  assertEquals(ev.map((r) => [r.dpa, r.flags]), [[0n, 1], [8n * MiB, 0]]);
});

Deno.test("seed: the cover letter's exchange ends with not-found", () => {
  const a = taggedBackend("tm0", TAG_A, 128n * MiB);
  const b = taggedBackend("tm1", TAG_B, 128n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [a, b] });
  assertEquals(dev.add(addReq(ext([0n, 128n * MiB]), { tag: TAG_A })), undefined);
  accept(dev, [[0n, 128n * MiB]]);
  assertEquals(dev.add(addReq(ext([128n * MiB, 128n * MiB]), { tag: TAG_B })), undefined);
  accept(dev, [[128n * MiB, 128n * MiB]]);
  for (const t of [TAG_A, TAG_B]) {
    assertEquals(dev.release(relReq([], { removalPolicy: "tag-based", tag: t })), undefined);
  }
  hostRelease(dev, [[0n, 128n * MiB], [128n * MiB, 128n * MiB]]);
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_A }), { status: "not-found" });
  assertEquals(dev.releaseStatus({ hostId: 0, region: 0, tag: TAG_B }), { status: "not-found" });
  assertEquals(a.binding, undefined);
  assertEquals(
    dev.add(addReq(ext([0n, 128n * MiB]), { tag: TAG_A })),
    undefined,
    "an unbound backend backs a new extent",
  );
});

Deno.test("qemu-10.0 ignores tags entirely: zero tags in events and extents", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 2n * MiB]), { tag: TAG_A }));
  assertEquals(getEvents(dev).records[0]?.tag, new Uint8Array(NIL_UUID));
  accept(dev, [[0n, 2n * MiB]]);
  assertEquals(dev.snapshot()["accepted-extents"], [{
    dpa: 0,
    len: 2097152,
    tag: "00000000-0000-0000-0000-000000000000",
  }]);
});

Deno.test("an offset that would wrap past 2^64 is beyond the region end (QEMU crashes)", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  const wrap = (1n << 64n) - 2n * MiB;
  assertEquals(dev.add(addReq(ext([wrap, 4n * MiB]))), "extent range is beyond the region end");
  assertEquals(dev.add(addReq(ext([wrap, 2n * MiB]))), "extent range is beyond the region end");
});

Deno.test("release events in 10.0.2 carry the QMP host id and zero tags", () => {
  const dev = makeDevice({ profile: QEMU_10_0 });
  dev.add(addReq(ext([0n, 2n * MiB], [4n * MiB, 2n * MiB])));
  accept(dev, [[0n, 2n * MiB], [4n * MiB, 2n * MiB]]);
  dev.release(relReq(ext([0n, 2n * MiB], [4n * MiB, 2n * MiB]), { hostId: 9, tag: TAG_A }));
  const ev = getEvents(dev).records.slice(2);
  assertEquals(ev.map((r) => [r.type, r.hostId, r.flags, r.dpa]), [[1, 9, 1, 0n], [
    1,
    9,
    0,
    4n * MiB,
  ]]);
  assertEquals(ev.every((r) => r.tag.every((b) => b === 0)), true);
});

Deno.test("snapshot shows regions, pending groups, accepted extents and logs as plain data", () => {
  const dev = makeDevice({ profile: SEED, regionCount: 2, regionLength: GiB });
  dev.add(addReq(ext([0n, 2n * MiB]), { tag: TAG_A }));
  dev.add(addReq(ext([4n * MiB, 2n * MiB])));
  accept(dev, [[0n, 2n * MiB]]);
  const s = dev.snapshot();
  assertEquals(s["regions"], [
    { "index": 0, "base": 0, "length": 1073741824, "block-size": 2097152 },
    { "index": 1, "base": 1073741824, "length": 1073741824, "block-size": 2097152 },
  ]);
  assertEquals(s["pending-groups"], [{
    extents: [{ dpa: 4194304, len: 2097152, tag: "00000000-0000-0000-0000-000000000000" }],
  }]);
  assertEquals(s["accepted-extents"], [
    { "dpa": 0, "len": 2097152, "tag": TAG_A, "release-requested": false },
  ]);
  // The seed's base (10.1) counts the pending extent too: 512 - 1 accepted - 1 pending.
  assertEquals(s["extents-available"], 510);
  assertEquals(s["event-status"], 0x10);
  const logs = s["event-logs"] as Record<string, Record<string, unknown>>;
  assertEquals(logs["dynamic-capacity"]?.["records"], 2);
});

Deno.test("snapshot lists seed bindings with their alias once accepted", () => {
  const b = taggedBackend("mem0", TAG_A, 2n * MiB);
  const dev = makeDevice({ profile: SEED, lazy: true, backends: [b], hpaBase: 0x290000000n });
  dev.add(addReq(ext([2n * MiB, 2n * MiB]), { tag: TAG_A }));
  assertEquals(dev.snapshot()["bindings"], [
    { backend: "mem0", tag: TAG_A, dpa: 2097152, len: 2097152, state: "pending" },
  ]);
  accept(dev, [[2n * MiB, 2n * MiB]]);
  assertEquals(dev.snapshot()["bindings"], [{
    backend: "mem0",
    tag: TAG_A,
    dpa: 2097152,
    len: 2097152,
    state: "accepted",
    alias: { hpa: 0x290000000 + 2097152, offset: 0, size: 2097152 },
  }]);
});
