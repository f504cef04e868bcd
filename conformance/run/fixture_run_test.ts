import assert from "node:assert/strict";
import type { QmpObject } from "../../model/qmp_value.ts";
import type { FixtureFile } from "../loader.ts";
import {
  type Target,
  type TargetCapabilities,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  TargetStartupError,
  TargetTimeoutError,
} from "../target_types.ts";
import { parseTranscript } from "../transcript/parse.ts";
import { runFixture } from "./fixture_run.ts";

function fx(name: string, text: string): FixtureFile {
  return { path: `/x/${name}`, name, transcript: parseTranscript(text, name) };
}

const CAPS: TargetCapabilities = {
  commands: new Set(),
  features: new Set(["dcd", "host"]),
  profile: "qemu-10.0",
  release: { major: 10, minor: 0 },
  version: { major: 10, minor: 0, micro: 2, package: "" },
  hostSide: true,
};

const GREETING: QmpObject = { QMP: { version: {}, capabilities: ["oob"] } };

/**
 * A target whose process is killed by `signal` when the line containing
 * `killOn` is sent: every later send throws BrokenPipe, every receive a
 * TargetClosedError, and the exit status shows only `reapMs` later (as a
 * real child's does, after its sockets break).
 */
function dyingTarget(killOn: string, reapMs: number, signal = "SIGKILL"): Target {
  return {
    name: "qemu",
    capabilities: () => Promise.resolve(CAPS),
    start(): Promise<TargetInstance> {
      let dead = false;
      let exit: TargetExit | undefined;
      const queue: QmpObject[] = [];
      const waiters: ((e: Error) => void)[] = [];
      const die = () => {
        dead = true;
        for (const w of waiters.splice(0)) w(new TargetClosedError("peer closed"));
        setTimeout(() => {
          exit = { code: null, signal, unexpected: true, stderrTail: "" };
        }, reapMs);
      };
      return Promise.resolve({
        qmp: {
          greeting: GREETING,
          sendRaw(text: string): Promise<void> {
            if (dead) {
              return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
            }
            if (text.includes(killOn)) {
              die();
              return Promise.reject(new Deno.errors.BrokenPipe("Broken pipe (os error 32)"));
            }
            if (text.includes("qmp_capabilities")) queue.push({ return: {} });
            return Promise.resolve();
          },
          receive(ms: number): Promise<QmpObject> {
            const m = queue.shift();
            if (m !== undefined) return Promise.resolve(m);
            if (dead) return Promise.reject(new TargetClosedError("peer closed"));
            return new Promise((_, reject) => {
              const timer = setTimeout(() => reject(new TargetTimeoutError("silence")), ms);
              waiters.push((e) => {
                clearTimeout(timer);
                reject(e);
              });
            });
          },
        },
        host: () => ({ mailbox: () => Promise.reject(new Deno.errors.ConnectionReset("reset")) }),
        exited: () => exit,
        runInfo: { commandLine: "qemu-system-x86_64 -S", dir: "/tmp/cxl-qemu-test" },
        close: () =>
          Promise.resolve(exit ?? { code: 0, signal: null, unexpected: false, stderrTail: "" }),
      });
    },
  };
}

Deno.test("a target killed during negotiation reports its signal and the negotiation, not a bare BrokenPipe", async () => {
  const r = await runFixture(
    fx("a.qmp", '# title: x\n-> {"execute": "query-status"}\n<- {"return": {}}\n'),
    dyingTarget("qmp_capabilities", 300),
    "qemu[qemu-10.0]",
  );
  assert.equal(r.outcome, "failed");
  assert.equal(r.failure!.crash?.signal, "SIGKILL");
  assert.match(r.failure!.message, /^QEMU died: killed by SIGKILL during qmp_capabilities \(/);
  assert.equal(r.failure!.stepKind, "negotiation");
});

Deno.test("a target killed mid-run is reported at the step under way, with its signal", async () => {
  const text = `# title: x
-> {"execute": "query-status"}
<-none
-> {"execute": "cxl-add-dynamic-capacity", "arguments": {}}
<- {"return": {}}
`;
  const r = await runFixture(fx("a.qmp", text), dyingTarget("cxl-add", 500), "qemu[qemu-10.0]", {
    noneWindowMs: 10,
  });
  assert.equal(r.failure!.crash?.signal, "SIGKILL");
  assert.equal(r.failure!.line, 4, "the line of the send that broke");
  assert.equal(r.failure!.command, "cxl-add-dynamic-capacity");
  assert.match(r.failure!.message, /^QEMU died: killed by SIGKILL during cxl-add-dynamic-capacity/);
  assert.equal(r.failure!.commandLine, "qemu-system-x86_64 -S");
  assert.equal(r.failure!.tempDir, "/tmp/cxl-qemu-test");
  assert.equal(r.failure!.kept, false);
});

Deno.test("the wait for the exit status is bounded: a hang-up without a death stays a connection failure", async () => {
  const t0 = performance.now();
  const r = await runFixture(
    fx("a.qmp", '# title: x\n-> {"execute": "query-status"}\n<- {"return": {}}\n'),
    dyingTarget("query-status", 60_000),
    "qemu[qemu-10.0]",
    { deathWaitMs: 300 },
  );
  assert.ok(performance.now() - t0 < 2000, "waited at most deathWaitMs for a status");
  assert.equal(r.failure!.crash, undefined);
  assert.match(r.failure!.message, /sending failed: Broken pipe/);
});

Deno.test("a start-up fixture whose QEMU was killed reports the death, not a start-up diff", async () => {
  const target: Target = {
    name: "qemu",
    capabilities: () => Promise.resolve(CAPS),
    start: () =>
      Promise.reject(
        new TargetStartupError(
          "QEMU was killed by SIGKILL during start-up:\nqemu-system-x86_64:",
          null,
          {
            signal: "SIGKILL",
            runInfo: { commandLine: "qemu -M x", dir: "/tmp/d" },
          },
        ),
      ),
  };
  const r = await runFixture(
    fx("s.qmp", "# title: x\n!startup-error qemu-system-x86_64: -M x: unsupported machine type\n"),
    target,
    "qemu[qemu-10.0]",
  );
  assert.equal(r.outcome, "failed");
  assert.equal(r.failure!.message, "QEMU died: killed by SIGKILL during start-up");
  assert.equal(r.failure!.crash?.signal, "SIGKILL");
  assert.equal(r.failure!.line, 2);
  assert.equal(r.failure!.commandLine, "qemu -M x");
});
