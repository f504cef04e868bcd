import assert from "node:assert/strict";
import type { FixtureFile } from "../loader.ts";
import { runFixture } from "../runner.ts";
import type { Target, TargetInstance } from "../target_types.ts";
import { qemuTarget } from "../targets/qemu.ts";
import { parseTranscript } from "../transcript/parse.ts";
import type { QemuInstance } from "./launcher.ts";
import { spawnedPids } from "./process.ts";
import { availableQemu, exists } from "./test_util.ts";

const binary = availableQemu("the QEMU death and --keep tests");
const ignore = binary === undefined;

function fx(name: string, text: string): FixtureFile {
  return { path: `/x/${name}`, name, transcript: parseTranscript(text, name) };
}

/** Where the test kills QEMU: when a QMP line containing `send` has gone out, or in a host step. */
interface KillAt {
  send?: string;
  host?: boolean;
}

/** The qemu target, with QEMU SIGKILLed from outside at the given moment. */
function killedTarget(at: KillAt): Target {
  const base = qemuTarget({ binary: binary!, cache: false });
  return {
    name: "qemu",
    capabilities: (m) => base.capabilities(m),
    async start(machine, signal, options): Promise<TargetInstance> {
      const q = await base.start(machine, signal, options) as QemuInstance;
      // Killed and reaped before the request goes out: the request meets a dead QEMU.
      const kill = async () => {
        Deno.kill(q.process.pid, "SIGKILL");
        await q.process.status;
      };
      return {
        qmp: {
          greeting: q.qmp.greeting,
          async sendRaw(text: string) {
            if (at.send !== undefined && text.includes(at.send)) await kill();
            await q.qmp.sendRaw(text);
          },
          receive: (ms: number) => q.qmp.receive(ms),
        },
        host: (device: string) => ({
          async mailbox(opcode: number, payload: Uint8Array) {
            if (at.host) await kill();
            return await q.host(device).mailbox(opcode, payload);
          },
        }),
        exited: () => q.exited(),
        waitExit: (ms: number) => q.waitExit(ms),
        runInfo: q.runInfo,
        close: (o) => q.close(o),
      };
    },
  };
}

const RUN = `# title: a run QEMU does not finish
-> {"execute": "query-status"}
<- {"return": {"status": "running", "running": true}}
=> cxl-vmem0 get-dc-config {"region-count": 1, "start-region": 0}
<= SUCCESS {"...": "..."}
-> {"execute": "query-version"}
<- {"return": "$any"}
`;

for (
  const [moment, at, line, during] of [
    ["during negotiation", { send: "qmp_capabilities" }, 1, "qmp_capabilities"],
    ["as a QMP request goes out", { send: "query-status" }, 2, "query-status"],
    ["during a host mailbox step", { host: true }, 4, "get-dc-config"],
  ] as const
) {
  Deno.test({
    name: `QEMU killed ${moment} is reported as a death by SIGKILL at that step`,
    ignore,
    async fn() {
      const r = await runFixture(fx("run.qmp", RUN), killedTarget(at), "qemu[qemu-10.0]");
      assert.equal(r.outcome, "failed");
      const f = r.failure!;
      assert.equal(f.crash?.signal, "SIGKILL", f.message);
      assert.match(f.message, new RegExp(`^QEMU died: killed by SIGKILL during ${during} \\(`));
      assert.equal(f.line, line, f.message);
      assert.ok(f.commandLine!.startsWith(binary!), f.commandLine);
      assert.ok(
        f.commandLine!.includes(`${f.tempDir}/qmp.sock`),
        "the sockets are in the temp dir",
      );
      assert.ok(!exists(f.tempDir!), "without keep the temp dir is removed");
    },
  });
}

Deno.test({
  name: "QEMU killed during start-up is reported as a death at start-up",
  ignore,
  async fn() {
    const target = qemuTarget({ binary: binary!, cache: false });
    await target.capabilities([]); // probe first: only the fixture's QEMU is killed
    const before = spawnedPids().length;
    const killer = (async () => {
      while (spawnedPids().length === before) await new Promise((r) => setTimeout(r, 1));
      Deno.kill(spawnedPids()[before]!, "SIGKILL");
    })();
    const r = await runFixture(fx("run.qmp", RUN), target, "qemu[qemu-10.0]");
    await killer;
    assert.equal(r.outcome, "failed");
    assert.equal(
      r.failure!.message,
      "QEMU died: killed by SIGKILL during start-up",
      JSON.stringify(r),
    );
    assert.equal(r.failure!.crash?.signal, "SIGKILL");
    assert.ok(r.failure!.commandLine!.startsWith(binary!));
  },
});

Deno.test({
  name: "a start-up-error fixture whose QEMU is killed reports the death, never a start-up diff",
  ignore,
  async fn() {
    const text = `# title: bad machine
# machine: -machine nosuch
!startup-error qemu-system-x86_64: -machine nosuch: unsupported machine type
`;
    const target = qemuTarget({ binary: binary!, cache: false });
    await target.capabilities([]); // probe first: only the fixture's QEMU is killed
    const seen = new Set<string>();
    for (const delayMs of [0, 1, 3, 6, 10]) {
      const before = spawnedPids().length;
      const killer = (async () => {
        while (spawnedPids().length === before) await new Promise((r) => setTimeout(r, 1));
        await new Promise((r) => setTimeout(r, delayMs));
        try {
          Deno.kill(spawnedPids()[before]!, "SIGKILL");
        } catch {
          // it refused and exited first
        }
      })();
      const r = await runFixture(fx("bad.qmp", text), target, "qemu[qemu-10.0]");
      await killer;
      const what = r.outcome === "passed" ? "passed" : r.failure!.message;
      seen.add(what);
      assert.ok(
        what === "passed" || what === "QEMU died: killed by SIGKILL during start-up",
        `killed after ${delayMs} ms: ${what}`,
      );
    }
    assert.ok(seen.has("QEMU died: killed by SIGKILL during start-up"), [...seen].join("; "));
  },
});

Deno.test({
  name:
    "keep leaves a failed fixture's temp dir with its command line and stderr; without it the dir goes",
  ignore,
  async fn() {
    const wrong = `# title: wrong on purpose
-> {"execute": "query-status"}
<- {"return": {"status": "paused", "running": false}}
`;
    const target = qemuTarget({ binary: binary!, cache: false });
    const kept = await runFixture(fx("w.qmp", wrong), target, "qemu[qemu-10.0]", { keep: true });
    const f = kept.failure!;
    try {
      assert.equal(f.kept, true);
      assert.ok(exists(f.tempDir!), `${f.tempDir} is left in place`);
      const script = await Deno.readTextFile(`${f.tempDir}/command.sh`);
      assert.ok(script.includes(`exec ${f.commandLine}`), script);
      assert.ok(exists(`${f.tempDir}/stderr.log`));
    } finally {
      await Deno.remove(f.tempDir!, { recursive: true }).catch(() => {});
    }
    const gone = await runFixture(fx("w.qmp", wrong), target, "qemu[qemu-10.0]");
    assert.equal(gone.failure!.kept, false);
    assert.ok(!exists(gone.failure!.tempDir!));
    const passed = await runFixture(
      fx("p.qmp", '# title: p\n-> {"execute": "query-status"}\n<- {"return": "$any"}\n'),
      target,
      "qemu[qemu-10.0]",
      { keep: true },
    );
    assert.equal(passed.outcome, "passed", "a passing fixture keeps nothing (and has no failure)");
  },
});
