/**
 * Firmware-free bring-up changes nothing a fixture sees: every fixture of a
 * representative subset (every machine preset, host mailbox steps, run
 * state, QOM, events, FM API) is recorded on each QEMU build with direct
 * and with firmware bring-up: every raw answer (QMP messages, mailbox,
 * FM-API and switch-CCI replies; wall-clock and device timestamps masked)
 * and the transcript written back from them must be equal.
 * `CXL_DCD_BRINGUP_PARITY=all` runs the whole catalogue instead.
 */
import { deepStrictEqual as assertEquals, ok, ok as assert } from "node:assert";
import { loadFixtures } from "../loader.ts";
import { recordTranscript } from "../record.ts";
import { qemuTarget } from "../targets/qemu.ts";
import type { Transcript } from "../transcript/types.ts";
import { answerLog } from "./testdata/answer_log.ts";
import { qemuBuilds } from "./test_util.ts";

const builds = qemuBuilds("the direct-vs-firmware bring-up parity tests");

/** One fixture per preset and concern; the firmware-assigned state they could see. */
const SUBSET = [
  "fixtures/host/identify-dc-only-device.qmp", // dcd-1x2g: mailbox found at all
  "fixtures/host/offer-two-extents-accept-all.qmp", // the add/accept lifecycle
  "fixtures/host/interrupt-policy.qmp", // event interrupt settings (MSI-X untouched)
  "fixtures/host/timestamp-in-records.qmp", // device timestamps
  "fixtures/topology/two-devices-dc-config.qmp", // dcd-two-devices: two root ports
  "fixtures/topology/mixed-static-device-mailbox.qmp", // mixed: a static device too
  "fixtures/host/dcd-opcodes-on-static-device.qmp", // no-dcd: a static device's mailbox
  "fixtures/protocol/stop-cont-events.qmp", // run state: running, as with SeaBIOS
  "fixtures/upstream/qom/qom-list-objects-and-peripherals.qmp", // QOM of the machine
  "fixtures/fm/add-accept-release-flow.qmp", // dcd-switch: bridges of a switch, the CCI
];

function parityPatterns(): string[] {
  let all = false;
  try {
    all = Deno.env.get("CXL_DCD_BRINGUP_PARITY") === "all";
  } catch {
    all = false;
  }
  return (all ? ["fixtures"] : SUBSET).map((p) => new URL(`../../${p}`, import.meta.url).pathname);
}

/** Runs `work` over `items`, `jobs` at a time. */
async function pool<T>(items: readonly T[], jobs: number, work: (t: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

for (const build of builds) {
  Deno.test({
    name: `direct and firmware bring-up record the same answers on ${build.label}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const direct = qemuTarget({ binary: build.binary, bringup: "direct" });
      const firmware = qemuTarget({ binary: build.binary, bringup: "firmware" });
      await Promise.all([direct.capabilities([]), firmware.capabilities([])]);
      const patterns = parityPatterns();
      const fixtures = await loadFixtures(patterns);
      const transcripts = fixtures.flatMap((f) =>
        f.transcript instanceof Error ? [] : [{ name: f.name, t: f.transcript as Transcript }]
      );
      assert(transcripts.length > 0, "expected fixtures to compare");
      let compared = 0;
      const differing: string[] = [];
      await pool(transcripts, 2, async ({ name, t }) => {
        const logged = [answerLog(direct), answerLog(firmware)] as const;
        const [a, b] = await Promise.all([
          recordTranscript(t, logged[0].target, { quietMs: 100 }),
          recordTranscript(t, logged[1].target, { quietMs: 100 }),
        ]);
        assertEquals(a.skipped, b.skipped, `${name}: skipped on one bring-up only`);
        if (a.skipped !== undefined) return;
        compared++;
        // Every raw answer, then the transcript written back from them.
        const da = [...logged[0].log, ...a.warnings, ...a.text.split("\n")];
        const db = [...logged[1].log, ...b.warnings, ...b.text.split("\n")];
        ok(logged[0].log.length > 1, `${name}: answers were logged`);
        const at = da.findIndex((line, i) => line !== db[i]);
        if (at >= 0 || da.length !== db.length) {
          const i = at >= 0 ? at : Math.min(da.length, db.length);
          differing.push(`${name}: direct '${da[i]}', firmware '${db[i]}'`);
        }
      });
      assertEquals(differing, [], "fixtures whose answers differ between bring-ups");
      // On every build the whole subset applies but the FM fixture (10.1+).
      const least = patterns.length === SUBSET.length ? SUBSET.length - 1 : 1;
      assert(compared >= least, `only ${compared} fixtures applied: expected at least ${least}`);
    },
  });
}
