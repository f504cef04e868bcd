/**
 * The `qmp:ADDR` target: an already-running QMP endpoint (a QEMU started by
 * hand, or a served model), reached with {@linkcode QmpClient}. It is
 * QMP-only and cannot start machines:
 *
 * - fixtures with host (mailbox) steps or a `!startup-error` are skipped,
 *   with the reason;
 * - the endpoint runs whatever it was started with: pass `machine` (the
 *   endpoint's arguments; `conform --endpoint-machine`, default the
 *   `dcd-1x2g` preset) to skip fixtures whose machine differs;
 * - each fixture opens a fresh connection, but machine state carries over
 *   from fixture to fixture: fixtures marked `# endpoint: ends` or
 *   `# endpoint: changes` (they quit, stop, reset or leave state behind)
 *   are skipped, with the reason;
 * - when the endpoint stops answering, {@linkcode Target.checkAlive} says
 *   so and the suite stops at once instead of failing every later fixture.
 *
 * @module
 */

import { QmpClient } from "../../qmp/client.ts";
import { detectCapabilities, fetchProbe } from "../qemu/capabilities.ts";
import type { Target, TargetCapabilities, TargetExit, TargetInstance } from "../target_types.ts";

/** Options of {@linkcode qmpTarget}. */
export interface QmpTargetOptions {
  /** Arguments the endpoint's machine was started with; fixtures on other machines are skipped. */
  machine?: readonly string[];
  /** What to call that machine in skip reasons (e.g. its preset name). */
  machineName?: string;
  /** Connection timeout of the capability probe (default 5000 ms). */
  connectTimeoutMs?: number;
  /**
   * Connection timeout of each fixture and of the liveness check (default
   * 1000 ms): the endpoint answered the probe, so a refusal later means it is gone.
   */
  fixtureConnectTimeoutMs?: number;
}

/**
 * The endpoint address a `qmp:` target names: `unix:PATH` and `tcp:HOST:PORT`
 * as they are, and the short `HOST:PORT` (as `--help` and FORMAT.md write it)
 * as `tcp:HOST:PORT`.
 *
 * @example
 * ```ts
 * import { qmpEndpointAddress } from "./qmp.ts";
 * if (qmpEndpointAddress("127.0.0.1:4444") !== "tcp:127.0.0.1:4444") throw new Error();
 * if (qmpEndpointAddress("unix:/tmp/q.sock") !== "unix:/tmp/q.sock") throw new Error();
 * ```
 */
export function qmpEndpointAddress(address: string): string {
  if (address.startsWith("unix:") || address.startsWith("tcp:")) return address;
  return /^(\[[^\]]+\]|[^:/\s]+):[0-9]+$/.test(address) ? `tcp:${address}` : address;
}

/**
 * Creates a target for an already-running QMP endpoint (`unix:PATH`,
 * `tcp:HOST:PORT` or `HOST:PORT`).
 *
 * @example
 * ```ts ignore
 * import { qmpTarget } from "@cxl-dcd/conformance/conformance";
 * const target = qmpTarget("unix:/tmp/q/qmp.sock");
 * ```
 */
export function qmpTarget(given: string, opts?: QmpTargetOptions): Target {
  const options = opts ?? {};
  const address = qmpEndpointAddress(given);
  let probed: Promise<TargetCapabilities> | undefined;
  const connect = (connectTimeoutMs = options.connectTimeoutMs ?? 5000) =>
    QmpClient.connect(address, { connectTimeoutMs });
  const fixtureConnectMs = options.fixtureConnectTimeoutMs ?? 1000;
  const probe = async (): Promise<TargetCapabilities> => {
    const c = await connect();
    try {
      await c.negotiate();
      const caps = detectCapabilities(await fetchProbe((cmd, args) => c.execute(cmd, args)), {
        hostSide: false,
      });
      caps.features = new Set([...caps.features].filter((f) => f !== "host"));
      return { ...caps, startsMachines: false };
    } finally {
      await c.close();
    }
  };
  const wanted = options.machine?.join("\u0000");
  return {
    name: `qmp:${address}`,
    async capabilities(machine: readonly string[]): Promise<TargetCapabilities> {
      probed ??= probe();
      probed.catch(() => (probed = undefined));
      const caps = await probed;
      if (wanted !== undefined && machine.join("\u0000") !== wanted) {
        return {
          ...caps,
          skip: `the fixture is written for another machine than the endpoint's (${
            options.machineName ?? "the given arguments"
          }; see --endpoint-machine)`,
        };
      }
      return caps;
    },
    async checkAlive(): Promise<string | undefined> {
      try {
        const c = await connect(fixtureConnectMs);
        await c.close();
        return undefined;
      } catch (e) {
        return `the QMP endpoint ${address} no longer answers (${
          (e as Error).message
        }); is it still running? Every later fixture on it was not run`;
      }
    },
    async start(): Promise<TargetInstance> {
      const client = await connect(fixtureConnectMs);
      const done: TargetExit = { code: null, signal: null, unexpected: false, stderrTail: "" };
      return {
        qmp: client,
        host(device: string): never {
          throw new Error(
            `qmp:${address} has no host side (device '${device}'): expected fixtures with host steps to be skipped`,
          );
        },
        exited: () => undefined,
        // An endpoint of someone else's: its exit status is nowhere to be had.
        waitExit: () => Promise.resolve(undefined),
        async close(): Promise<TargetExit> {
          await client.close();
          return done;
        },
      };
    },
  };
}
