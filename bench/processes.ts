/**
 * Starting the two QMP servers the benchmarks compare, the same way: the
 * served model (`deno run --allow-all qmp/serve.ts`, a subprocess) and a real
 * QEMU, each with the same machine arguments and one unix QMP socket, and
 * timing spawn-to-ready (QMP greeting read and `qmp_capabilities` answered).
 *
 * @module
 */

import { QmpClient } from "../qmp/client.ts";

/**
 * Which server to start: the served model as users start it (`qmp/serve.ts`,
 * which loads its bundle cache when that is fresh), the served model loading
 * its module graph (`qmp/serve.ts --from-source`, as the first start after a
 * change does), or QEMU.
 */
export type ServerKind = "model" | "model-source" | "qemu";

/** A started server with its negotiated client. */
export interface StartedServer {
  /** Which server. */
  kind: ServerKind;
  /** Milliseconds from spawn to QMP ready (greeting read, capabilities negotiated). */
  readyMs: number;
  /** The negotiated client. */
  client: QmpClient;
  /** Quits the server (QMP `quit`, then SIGKILL after 3 s) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startServer}. */
export interface StartOptions {
  /** QEMU binary (for `qemu`). */
  qemuBinary: string;
  /** Model profile for `serve --profile` (default `qemu-10.0`, as the QEMU installed). */
  profile?: string;
  /** Start-up timeout, milliseconds (default 20000). */
  timeoutMs?: number;
}

const SERVE = new URL("../qmp/serve.ts", import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The command line of a server kind for these machine arguments and socket. */
export function serverCommand(
  kind: ServerKind,
  machine: readonly string[],
  socket: string,
  options: StartOptions,
): { program: string; args: string[] } {
  const qmp = ["-qmp", `unix:${socket},server=on,wait=off`];
  if (kind === "qemu") {
    return {
      program: options.qemuBinary,
      args: [...machine, "-display", "none", "-nodefaults", ...qmp],
    };
  }
  return {
    program: Deno.execPath(),
    args: [
      "run",
      "--allow-all",
      SERVE,
      ...(kind === "model-source" ? ["--from-source"] : []),
      "--quiet",
      "--profile",
      options.profile ?? "qemu-10.0",
      "--",
      ...machine,
      "-display",
      "none",
      "-nodefaults",
      ...qmp,
    ],
  };
}

/**
 * Spawns a server and waits until QMP is ready.
 *
 * @throws {Error} when it exits or does not become ready in time, with its stderr.
 */
export async function startServer(
  kind: ServerKind,
  machine: readonly string[],
  options: StartOptions,
): Promise<StartedServer> {
  const dir = await Deno.makeTempDir({ prefix: `cxl-bench-${kind}-` });
  const socket = `${dir}/qmp.sock`;
  const { program, args } = serverCommand(kind, machine, socket, options);
  const timeoutMs = options.timeoutMs ?? 20000;
  const t0 = performance.now();
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text().catch(() => "");
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const fail = async (why: string): Promise<never> => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    const s = await status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(
      `${kind} (${program}) ${why} (exit ${s.code}${s.signal ? `, ${s.signal}` : ""}): ${
        (await stderrText).trim() || "no stderr"
      }`,
    );
  };
  let client: QmpClient | undefined;
  try {
    for (;;) {
      if (exited) return await fail("exited before creating its QMP socket");
      if (performance.now() - t0 > timeoutMs) {
        return await fail(`created no QMP socket within ${timeoutMs} ms`);
      }
      try {
        await Deno.stat(socket);
        break;
      } catch {
        await sleep(1);
      }
    }
    client = await QmpClient.connect(`unix:${socket}`, {
      connectTimeoutMs: timeoutMs,
      greetingTimeoutMs: timeoutMs,
      commandTimeoutMs: timeoutMs,
    });
    await client.negotiate();
  } catch (e) {
    await client?.close().catch(() => {});
    return await fail(`did not become QMP-ready: ${(e as Error).message}`);
  }
  const readyMs = performance.now() - t0;
  const ready = client;
  return {
    kind,
    readyMs,
    client: ready,
    async stop(): Promise<void> {
      await ready.executeResult("quit", undefined, { timeoutMs: 3000 }).catch(() => {});
      await ready.close().catch(() => {});
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 3000);
      await status;
      clearTimeout(timer);
      await stderrText;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
