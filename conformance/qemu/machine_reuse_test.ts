/**
 * Machine reuse changes nothing a fixture sees on real QEMU: every fixture
 * that may share a machine (QMP steps only, no `# endpoint:` mark, no
 * start-up error) is recorded on each QEMU build on a machine of its own,
 * then all of them one after the other on as few machines as they share
 * (renewed between fixtures, as `conform` does), in fixture order and in
 * reverse order. Every raw answer (QMP messages, event timestamps masked)
 * and the transcript written back from them must be equal, and reuse must
 * have happened.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { loadFixtures } from "../loader.ts";
import { recordTranscript } from "../record.ts";
import { MachinePool, ownMachineReason } from "../run/machine_pool.ts";
import { skipReason } from "../run/fixture_run.ts";
import { qemuTarget } from "../targets/qemu.ts";
import type { Target, TargetExit, TargetInstance } from "../target_types.ts";
import type { Transcript } from "../transcript/types.ts";
import { answerLog } from "./testdata/answer_log.ts";
import { qemuBuilds } from "./test_util.ts";

const builds = qemuBuilds("the machine reuse parity tests");
const FIXTURES = new URL("../../fixtures", import.meta.url).pathname;

/**
 * A target whose instances come from one pool: closing an instance hands
 * it back for the next fixture (the fixtures here all share).
 */
function sharing(inner: Target): { target: Target; pool: MachinePool } {
  const pool = new MachinePool(inner);
  let n = 0;
  const target: Target = {
    name: inner.name,
    capabilities: (machine) => inner.capabilities(machine),
    async start(machine, signal, options) {
      const { instance } = await pool.acquire(machine, true, signal, options);
      const name = `fixture ${++n}`;
      const shared: TargetInstance = {
        qmp: instance.qmp,
        host: (device) => instance.host(device),
        exited: () => instance.exited(),
        async close(): Promise<TargetExit> {
          const exit = instance.exited();
          await pool.release(instance, name, exit === undefined);
          return exit ?? { code: null, signal: null, unexpected: false, stderrTail: "" };
        },
      };
      if (instance.waitExit !== undefined) shared.waitExit = (ms) => instance.waitExit!(ms);
      return shared;
    },
  };
  return { target, pool };
}

for (const build of builds) {
  Deno.test({
    name:
      `fixtures that leave their machine as they found it record the same answers on a reused machine, in either order, on ${build.label}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const qemu = qemuTarget({ binary: build.binary });
      const caps = await qemu.capabilities([]);
      const fixtures = (await loadFixtures([FIXTURES], FIXTURES)).flatMap((f) => {
        const t = f.transcript;
        if (t instanceof Error || ownMachineReason(t) !== undefined) return [];
        return skipReason(t, caps) === undefined ? [{ name: f.name, t: t as Transcript }] : [];
      });
      assert(fixtures.length > 40, `only ${fixtures.length} fixtures may share a machine`);
      const record = async (
        target: Target,
        order: typeof fixtures,
      ): Promise<Map<string, string[]>> => {
        const out = new Map<string, string[]>();
        for (const { name, t } of order) {
          const logged = answerLog(target);
          const r = await recordTranscript(t, logged.target, { quietMs: 25 });
          out.set(name, [...logged.log, ...r.warnings, ...r.text.split("\n")]);
        }
        return out;
      };
      const forward = sharing(qemu);
      const backward = sharing(qemu);
      const [own, reused, reversed] = await Promise.all([
        record(qemu, fixtures),
        record(forward.target, fixtures),
        record(backward.target, [...fixtures].reverse()),
      ]);
      await Promise.all([forward.pool.drain(), backward.pool.drain()]);
      const differing: string[] = [];
      for (const { name } of fixtures) {
        for (
          const [how, got] of [["reused", reused], ["reused, reverse order", reversed]] as const
        ) {
          const a = own.get(name)!;
          const b = got.get(name)!;
          const at = a.findIndex((line, i) => line !== b[i]);
          if (at >= 0 || a.length !== b.length) {
            const i = at >= 0 ? at : Math.min(a.length, b.length);
            differing.push(`${name} (${how}): own machine '${a[i]}', ${how} '${b[i]}'`);
          }
        }
      }
      assertEquals(differing, [], "fixtures whose answers differ on a reused machine");
      // Most ran on a machine an earlier one left: one machine per description, plus restarts after crashes.
      assert(
        forward.pool.reuses > fixtures.length / 2 && backward.pool.reuses > fixtures.length / 2,
        `machines were reused ${forward.pool.reuses} and ${backward.pool.reuses} times for ${fixtures.length} fixtures`,
      );
    },
  });
}
