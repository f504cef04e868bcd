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
 * Which server to start: the served model from source (`qmp/serve.ts`), the
 * served model as one bundled file (`deno bundle qmp/serve.ts`, see
 * {@linkcode bundleServe}), or QEMU.
 */
export type ServerKind = "model" | "model-bundled" | "qemu";

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
  /** The bundled serve file (for `model-bundled`). */
  bundle?: string;
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
  if (kind === "model-bundled" && options.bundle === undefined) {
    throw new TypeError(
      "model-bundled needs options.bundle: expected the path bundleServe returned",
    );
  }
  return {
    program: Deno.execPath(),
    args: [
      "run",
      "--allow-all",
      kind === "model-bundled" ? options.bundle! : SERVE,
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

/**
 * Bundles `qmp/serve.ts` into one JavaScript file (`deno bundle`) in `dir`
 * and returns its path.
 *
 * @throws {Error} when `deno bundle` fails, with its output.
 */
export async function bundleServe(dir: string): Promise<string> {
  const out = `${dir}/serve.bundle.js`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", SERVE, "-o", out],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const dec = new TextDecoder();
    throw new Error(
      `deno bundle ${SERVE} exited ${r.code}: ${dec.decode(r.stderr)}${dec.decode(r.stdout)}`,
    );
  }
  return out;
}
