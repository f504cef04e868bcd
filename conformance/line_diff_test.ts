import assert from "node:assert/strict";
import { diffLines, unifiedLineDiff } from "./line_diff.ts";
import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { formatMismatch, match } from "./matchers.ts";

/** A DC event record as a get-event-records reply carries it. */
const record = (hostId: number, timestamp: QmpValue = "$timestamp"): QmpObject => ({
  event: "CXL_DC_EVENT",
  data: {
    path: "/machine/peripheral/cxl-vmem0",
    log: "informational",
    hdr: { flags: 0, handle: 1, length: 128, "related-handle": 0, timestamp },
    "event-type": 0,
    "validity-flags": 0,
    "host-id": hostId,
    "updated-region-id": 0,
    extent: { "start-dpa": 0, length: 134217728, tag: "00000000-0000-0000-0000-000000000000" },
    "extents-avail": 1,
  },
});

Deno.test("a one-field difference in an event record shows only that line removed and added", () => {
  const e = record(0);
  const a = record(7, { seconds: 1700000000, microseconds: 25 });
  const text = formatMismatch(match(e, a)!, e, a);
  const changed = text.split("\n").filter((l) => /^[-+] /.test(l));
  assert.deepEqual(changed, ['-     "host-id": 0,', '+     "host-id": 7,'], text);
  assert.match(text, /first difference at \$\.data\.host-id/);
  // Context on both sides of the change, not the rest of the record.
  assert.ok(text.includes('      "validity-flags": 0,'), text);
  assert.ok(text.includes('      "updated-region-id": 0,'), text);
});

Deno.test("the diff resynchronises after an inserted line and keeps separate hunks apart", () => {
  const a = Array.from({ length: 30 }, (_, i) => `l${i}`);
  const b = [...a.slice(0, 5), "new", ...a.slice(5, 25), "l25!", ...a.slice(26)];
  const d = unifiedLineDiff(a, b);
  assert.deepEqual(d.filter((l) => /^[-+] /.test(l)), ["+ new", "- l25", "+ l25!"]);
  assert.ok(d.includes("@@"), "two hunks");
  assert.ok(!d.includes("  l15"), "lines far from both changes are left out");
});

Deno.test("diffLines finds a shortest edit script", () => {
  const ops = (a: string, b: string) =>
    diffLines([...a], [...b]).filter((l) => l.op !== "=").length;
  assert.equal(ops("abcabba", "cbabac"), 5); // Myers' paper's example: D = 5
  assert.equal(ops("", "abc"), 3);
  assert.equal(ops("abc", "abc"), 0);
  const d = diffLines([..."abcabba"], [..."cbabac"]);
  assert.deepEqual(d.filter((l) => l.op !== "+").map((l) => l.text), [..."abcabba"]);
  assert.deepEqual(d.filter((l) => l.op !== "-").map((l) => l.text), [..."cbabac"]);
});
