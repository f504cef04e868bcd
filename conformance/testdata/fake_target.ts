/**
 * A scripted target for the runner's own tests: a responder maps each line
 * sent to the messages that come back; mailbox calls go to a function.
 *
 * @module
 */

import type { MailboxReply } from "../../model/host_interface.ts";
import type { QmpObject } from "../../model/qmp_value.ts";
import { parseJson } from "../transcript/json.ts";
import {
  type QmpChannel,
  type Target,
  type TargetCapabilities,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  TargetStartupError,
  TargetTimeoutError,
} from "../target_types.ts";

/** How the fake behaves. */
export interface FakeOptions {
  name?: string;
  profile?: string;
  /** Release line of the profile (default 10.0). */
  release?: { major: number; minor: number };
  features?: string[];
  hostSide?: boolean;
  startsMachines?: boolean;
  /** Messages sent back for one line sent (after negotiation). */
  respond?: (line: string) => QmpObject[];
  /** Mailbox behaviour. */
  mailbox?: (device: string, opcode: number, payload: Uint8Array) => MailboxReply;
  /** Start-up error text to fail every start with. */
  startupError?: string;
  /** Simulate a crash on this line: exited() reports SIGSEGV afterwards and the channel closes. */
  crashOn?: string;
  /** Never answer anything (timeouts). */
  silent?: boolean;
  /** Machines are costly to start (the runner pools them) and instances renew. */
  costly?: boolean;
  /** With `costly`: renew() resolves false (the machine does not greet again). */
  renewFails?: boolean;
  /** With `costly`: renew() takes this long. */
  renewDelayMs?: number;
  /** start() takes this long (an abort of its signal meanwhile rejects it, as QEMU's launch does). */
  startDelayMs?: number;
}

const GREETING: QmpObject = {
  QMP: {
    version: { qemu: { micro: 2, minor: 0, major: 10 }, package: "fake" },
    capabilities: ["oob"],
  },
};

/** Counters the tests can inspect. */
export interface FakeStats {
  started: number;
  closed: number;
  /** Successful renewals (a fixture on a reused machine). */
  renewed: number;
  sent: string[];
}

/** Builds a fake target. */
export function fakeTarget(o: FakeOptions = {}): Target & { stats: FakeStats } {
  const stats: FakeStats = { started: 0, closed: 0, renewed: 0, sent: [] };
  const caps: TargetCapabilities = {
    commands: new Set(),
    features: new Set(o.features ?? ["dcd", "host"]),
    profile: o.profile ?? "seed",
    release: o.release ?? { major: 10, minor: 0 },
    version: { ...(o.release ?? { major: 10, minor: 0 }), micro: 2, package: "fake" },
    hostSide: o.hostSide ?? true,
    ...(o.startsMachines === false ? { startsMachines: false } : {}),
    ...(o.costly ? { costlyStarts: true } : {}),
  };
  return {
    name: o.name ?? "fake",
    stats,
    capabilities: () => Promise.resolve(caps),
    async start(_machine: readonly string[], signal?: AbortSignal): Promise<TargetInstance> {
      if (o.startDelayMs !== undefined) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, o.startDelayMs);
          signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(signal.reason);
          }, { once: true });
        });
      }
      if (o.startupError !== undefined) {
        throw new TargetStartupError(o.startupError + "\n", 1);
      }
      stats.started++;
      const queue: QmpObject[] = [];
      const waiters: ((m: QmpObject | Error) => void)[] = [];
      let negotiated = false;
      let crashed: TargetExit | undefined;
      let buf = "";
      const push = (m: QmpObject) => {
        const w = waiters.shift();
        if (w) w(m);
        else queue.push(m);
      };
      const qmp: QmpChannel = {
        greeting: GREETING,
        sendRaw(text: string) {
          if (crashed) return Promise.reject(new TargetClosedError("closed"));
          buf += text;
          let nl;
          while ((nl = buf.indexOf("\n")) !== -1) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            stats.sent.push(line);
            if (o.silent) continue;
            if (o.crashOn !== undefined && line.includes(o.crashOn)) {
              crashed = { code: null, signal: "SIGSEGV", unexpected: true, stderrTail: "boom" };
              for (const w of waiters.splice(0)) w(new TargetClosedError("peer closed"));
              continue;
            }
            if (!negotiated) {
              const v = parseJson(line) as QmpObject;
              if (v.execute === "qmp_capabilities") {
                negotiated = true;
                push({ return: {} });
                continue;
              }
            }
            for (const m of (o.respond ?? (() => []))(line)) push(m);
          }
          return Promise.resolve();
        },
        receive(ms: number) {
          const m = queue.shift();
          if (m) return Promise.resolve(m);
          if (crashed) return Promise.reject(new TargetClosedError("peer closed"));
          return new Promise<QmpObject>((resolve, reject) => {
            const timer = setTimeout(() => {
              const k = waiters.indexOf(w);
              if (k >= 0) waiters.splice(k, 1);
              reject(new TargetTimeoutError(`no message within ${ms} ms`));
            }, ms);
            const w = (v: QmpObject | Error) => {
              clearTimeout(timer);
              if (v instanceof Error) reject(v);
              else resolve(v);
            };
            waiters.push(w);
          });
        },
      };
      const instance: TargetInstance = {
        qmp,
        host: (device: string) => ({
          mailbox: (opcode: number, payload: Uint8Array) =>
            o.silent ? new Promise<MailboxReply>(() => {}) : Promise.resolve(
              (o.mailbox ?? (() => ({ rc: 0, payload: new Uint8Array() })))(
                device,
                opcode,
                payload,
              ),
            ),
        }),
        exited: () => crashed,
        close: () => {
          stats.closed++;
          return Promise.resolve(
            crashed ?? { code: 0, signal: null, unexpected: false, stderrTail: "" },
          );
        },
      };
      if (o.costly) {
        instance.renew = async () => {
          if (o.renewDelayMs !== undefined) {
            await new Promise((r) => setTimeout(r, o.renewDelayMs));
          }
          if (crashed !== undefined || o.renewFails) return false;
          negotiated = false;
          queue.length = 0;
          buf = "";
          stats.renewed++;
          return true;
        };
      }
      return instance;
    },
  };
}
