/**
 * `serve`'s command line: runs the model as if it were a QEMU process,
 * answering QMP on the sockets its `-qmp` options name. The command itself is
 * `qmp/serve.ts`, which loads this module (from its bundle cache when that
 * is fresh, see `serve_cache.ts`) and calls {@linkcode main}.
 *
 * ```text
 * deno task serve --profile seed --host accept -- \
 *   -M q35,cxl=on -m 2G,maxmem=8G,slots=4 ... -qmp unix:qmp.sock,server=on,wait=off
 * ```
 *
 * @module
 */

import type { Machine, MachineOptions } from "../model/machine_types.ts";
import { StartupError } from "../model/machine_types.ts";
// From its module, not model/mod.ts: the root re-exports pull in modules
// (model/dcd/mod.ts) that start-up does not need, and each costs load time.
import { createMachine } from "../model/machine.ts";
import { profileByName, PROFILES } from "../model/profile.ts";
import {
  FM_API_COMMAND,
  HOST_MODES,
  HostExtension,
  type HostMode,
  MAILBOX_COMMAND,
  STATE_COMMAND,
} from "./extension.ts";
import {
  bindSockets,
  type BoundSockets,
  connectOut,
  DEFAULT_MAX_CLIENTS,
  QmpServer,
  type QmpStream,
  stdioStream,
} from "./server.ts";
import type { SocketAddress } from "./address.ts";
import { type MonitorSpec, monitorSpecs } from "./monitor_args.ts";
import { abstractNameError, unixPathError } from "./unix_socket.ts";
import { nearest } from "./command_line.ts";

/** The program name QEMU's messages start with. */
const QEMU = "qemu-system-x86_64";

/** Builds a machine from QEMU arguments (the model's `createMachine`). */
export type MachineFactory = (args: readonly string[], options: MachineOptions) => Machine;

/** What {@linkcode main} needs from outside (injectable for tests). */
export interface ServeDeps {
  /** The machine factory; default: the model's `createMachine`. */
  createMachine?: MachineFactory;
  /** Standard output lines. */
  stdout?: (line: string) => void;
  /** Standard error lines. */
  stderr?: (line: string) => void;
  /** Resolves when the process should stop (default: SIGINT, SIGTERM or SIGHUP). */
  stopSignal?: Promise<unknown>;
  /** Called with the server once it listens (tests use it). */
  onListening?: (server: QmpServer) => void;
}

/** The usage text. */
export const USAGE = `Usage: serve [OPTIONS] -- QEMU-ARGUMENTS...

Runs the CXL DCD model as if it were QEMU and answers QMP on every monitor
the QEMU arguments name: -qmp unix:PATH or tcp:HOST:PORT (with QEMU's options
such as server=on,wait=off or the legacy server,nowait; unix:NAME,abstract=on
for a Linux abstract socket, tight=off to pad it to all of sun_path), -qmp stdio, or
-chardev socket,id=X,path=PATH,server=on,wait=off -mon chardev=X,mode=control.
A socket without server=on is a client-mode socket: serve connects out to it
and fails at start-up, as QEMU does, when nobody listens there. As QEMU, each
listening socket serves one client at a time; the next ones wait (connected,
not greeted) until it disconnects. Runs until a client sends 'quit', or
SIGINT/SIGTERM/SIGHUP; removes its unix sockets on exit. As QEMU, it binds
its sockets before it builds the machine; a bad machine description prints
QEMU's start-up message and exits with status 1 (removing the sockets).

Options:
  --profile NAME     behaviour profile: ${Object.keys(PROFILES).join(", ")},
                     or RELEASE+seed (e.g. qemu-11.1+seed; default: seed)
  --host MODE        simulated host: none (default; nobody answers the device),
                     accept (accept every offer in full and perform every
                     release, through the device mailbox; also after each FM
                     Initiate DC Add/Release that succeeded), manual (the client
                     is the host, through ${MAILBOX_COMMAND})
  --listen-any       let tcp::PORT (empty host) bind every interface, IPv4 and IPv6
                     (default: loopback; an explicit host such as 0.0.0.0 is honoured)
  --concurrent-clients
                     serve every client of a socket at once (QEMU: one at a time)
  --max-clients N    with --concurrent-clients, refuse a client past N connected at
                     once with one QMP error line (default: ${DEFAULT_MAX_CLIENTS})
  --quiet            print nothing but errors
  --from-source      load serve's modules from source, not from its bundle cache
                     (.cache/serve/: one file built from those modules, used
                     while none of them changed, rebuilt after a start from source)
  --help             this text

Extension commands (every host mode; listed by query-commands):
  ${MAILBOX_COMMAND} {"device": ID, "opcode": N, "payload-hex": HEX}
      -> {"rc": N, "payload-hex": HEX}
  ${FM_API_COMMAND} {"device": ID, "opcode": N, "payload-hex": HEX}
      -> {"rc": N, "payload-hex": HEX}: an FM-API command (0x5600-0x5605) on a
      type-3 below a switch, through the switch mailbox CCI's 0x5300 tunnel
  ${FM_API_COMMAND} {"device": ID, "command": NAME, "fields": {...}}
      -> {"rc": N, "payload-hex": HEX, "output": {...}}: the same with named
      fields in and out; NAME is a transcript fm- command (fm-get-dcd-info,
      fm-get-host-dc-region-config, fm-set-dc-region-config,
      fm-get-dc-region-extent-lists, fm-initiate-dc-add, fm-initiate-dc-release,
      fm-raw, fm-switch-cci-raw to the switch CCI itself; fields as in
      fixtures/HOST_COMMANDS.md), e.g. {"device": "cxl-vmem0", "command":
      "fm-initiate-dc-add", "fields": {"extents": [{"dpa": 0, "len": 2097152}]}}
  ${STATE_COMMAND} -> the model's state snapshot

Examples:
  serve --profile seed --host accept -- -M q35,cxl=on -m 2G,maxmem=8G,slots=4 \\
    -object memory-backend-ram,id=vmem0,share=on,size=2G \\
    -device pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true \\
    -device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \\
    -M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G \\
    -device cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0 \\
    -qmp unix:qmp.sock,server=on,wait=off
  serve --profile qemu-10.0 -- ... -qmp tcp:127.0.0.1:4444,server,nowait \\
    -qmp unix:b.sock,server=on,wait=off
`;

function signalPromise(): { promise: Promise<string>; dispose(): void } {
  let resolve!: (s: string) => void;
  const promise = new Promise<string>((r) => resolve = r);
  // QEMU terminates cleanly on SIGHUP as on SIGINT and SIGTERM.
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers: [Deno.Signal, () => void][] = signals.map(
    (s) => [s, () => resolve(s)],
  );
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  return {
    promise,
    dispose: () => {
      for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    },
  };
}

/** The project's own `serve` options (before `--`). */
interface ServeOptions {
  profile: string;
  host: string;
  "listen-any": boolean;
  "concurrent-clients": boolean;
  "max-clients": number;
  quiet: boolean;
  "from-source": boolean;
  help: boolean;
}

const SERVE_OPTION_NAMES = [
  "profile",
  "host",
  "listen-any",
  "concurrent-clients",
  "max-clients",
  "quiet",
  "from-source",
  "help",
];

/**
 * Parses serve's few options by hand: `node:util` would add about 5 ms to
 * every start of the fake QEMU, and start-up time is one of its measured goals.
 */
function parseServeOptions(args: readonly string[]): ServeOptions {
  const out: ServeOptions = {
    profile: "seed",
    host: "none",
    "listen-any": false,
    "concurrent-clients": false,
    "max-clients": DEFAULT_MAX_CLIENTS,
    quiet: false,
    "from-source": false,
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") ? arg.slice(2, eq < 0 ? undefined : eq) : arg;
    if (name === "profile" || name === "host") {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || (eq < 0 && value.startsWith("-"))) {
        throw new TypeError(`option '--${name}' needs a value`);
      }
      out[name] = value;
    } else if (name === "max-clients") {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      const n = Number(value);
      if (value === undefined || !/^[0-9]+$/.test(value) || n < 1) {
        throw new TypeError(
          `option '--max-clients' expects a whole number of clients of at least 1, got '${
            value ?? ""
          }'`,
        );
      }
      out[name] = n;
    } else if (
      (name === "listen-any" || name === "concurrent-clients" || name === "quiet" ||
        name === "from-source" || name === "help") && eq < 0
    ) {
      out[name] = true;
    } else if (arg === "-h") {
      out.help = true;
    } else if (arg.startsWith("-")) {
      const guess = nearest(name.replace(/^-+/, ""), SERVE_OPTION_NAMES);
      throw new TypeError(
        `unknown option '${arg}'` + (guess === undefined ? "" : ` (did you mean --${guess}?)`),
      );
    } else {
      throw new TypeError(`unexpected argument '${arg}'`);
    }
  }
  return out;
}

/**
 * Runs the CLI; resolves with the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./serve_main.ts";
 * const lines: string[] = [];
 * const status = await main(["--help"], { stdout: (l) => lines.push(l) });
 * if (status !== 0 || !lines.join("\n").includes("--host MODE")) throw new Error("usage expected");
 * ```
 */
export async function main(args: readonly string[], deps: ServeDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? ((l: string) => console.log(l));
  const stderr = deps.stderr ?? ((l: string) => console.error(l));
  const dash = args.indexOf("--");
  const own = dash < 0 ? [...args] : args.slice(0, dash);
  const qemuArgs = dash < 0 ? [] : args.slice(dash + 1);
  let parsed: ServeOptions;
  try {
    parsed = parseServeOptions(own);
  } catch (e) {
    stderr(`serve: ${(e as Error).message}; QEMU arguments go after '--' (see --help)`);
    return 2;
  }
  if (parsed.help) {
    stdout(USAGE);
    return 0;
  }
  let profile;
  try {
    profile = profileByName(parsed.profile);
  } catch (e) {
    stderr(`serve: ${(e as Error).message}`);
    return 2;
  }
  const host = parsed.host as HostMode;
  if (!HOST_MODES.includes(host)) {
    stderr(`serve: unknown host mode '${parsed.host}': expected one of ${HOST_MODES.join(", ")}`);
    return 2;
  }
  let monitors: MonitorSpec[];
  try {
    monitors = monitorSpecs(qemuArgs);
  } catch (e) {
    stderr(`${QEMU}: ${(e as Error).message}`);
    return 1;
  }
  if (monitors.length === 0) {
    stderr(
      "serve: no -qmp option (or -mon mode=control) among the QEMU arguments: expected e.g. -qmp unix:qmp.sock,server=on,wait=off",
    );
    return 2;
  }
  const listen: SocketAddress[] = [];
  const streams: QmpStream[] = [];
  let signals: { promise: Promise<string>; dispose(): void } | undefined = undefined;
  let bound: BoundSockets | undefined;
  /** Releases what start-up took so far: streams, signal handlers, bound sockets. */
  const release = async () => {
    for (const c of streams) c.close();
    signals?.dispose();
    await bound?.close();
  };
  // With -qmp stdio, stdout carries QMP: say nothing else there.
  const say = monitors.some((m) => m.kind === "stdio") ? stderr : stdout;
  for (const m of monitors) {
    if (m.kind === "stdio") {
      streams.push(stdioStream());
      continue;
    }
    const a = m.address;
    const badBool = ["abstract", "tight"].find((k) =>
      a.options[k] !== undefined && a.options[k] !== "on" && a.options[k] !== "off"
    );
    if (badBool !== undefined) {
      await release();
      stderr(`${QEMU}: ${m.location}: Parameter '${badBool}' expects 'on' or 'off'`);
      return 1;
    }
    const abstract = a.options.abstract === "on";
    if (a.transport === "unix") {
      const tooLong = abstract ? abstractNameError(a.path) : unixPathError(a.path);
      if (tooLong !== undefined) {
        await release();
        stderr(`${QEMU}: ${m.location}: ${tooLong}`);
        return 1;
      }
    }
    if (m.server) {
      listen.push(a);
      continue;
    }
    try {
      streams.push(await connectOut(a));
    } catch (e) {
      await release();
      stderr(`${QEMU}: ${m.location}: ${(e as Error).message}`);
      return 1;
    }
  }
  // Signal handlers go in before any socket appears (as QEMU installs its
  // own before creating its chardevs): a client that sees the socket may
  // signal at once, and the signal must end serve cleanly, not kill it.
  signals = deps.stopSignal === undefined ? signalPromise() : undefined;
  // The sockets are bound before the machine is built, as QEMU creates its
  // monitors' sockets before the machine and its devices: a client that
  // connects meanwhile waits in the backlog until it is greeted, so it is
  // served as soon as the machine exists.
  try {
    bound = await bindSockets(listen, { listenAny: parsed["listen-any"] });
  } catch (e) {
    await release();
    stderr(`serve: ${(e as Error).message}`);
    return 1;
  }
  let machine: Machine;
  try {
    const create = deps.createMachine ?? createMachine;
    machine = create(qemuArgs, { profile });
  } catch (e) {
    // QEMU leaves its socket file behind after a start-up error; serve
    // removes it, and a client waiting in the backlog sees the connection end.
    await release();
    if (e instanceof StartupError) {
      stderr(e.stderr);
      return 1;
    }
    throw e;
  }
  if (!parsed.quiet) { for (const n of machine.notices) stderr(n); }
  let server: QmpServer;
  try {
    server = await QmpServer.listen({
      machine,
      bound,
      streams,
      extension: new HostExtension(machine, host),
      concurrentClients: parsed["concurrent-clients"],
      maxClients: parsed["max-clients"],
    });
  } catch (e) {
    await release();
    stderr(`serve: ${(e as Error).message}`);
    return 1;
  }
  if (!parsed.quiet) {
    for (const a of server.addresses) {
      say(`serve: profile ${profile.name}, host ${host}: QMP listening on ${a}`);
    }
    for (const m of monitors) {
      if (m.kind === "stdio" || !m.server) {
        say(`serve: profile ${profile.name}, host ${host}: QMP on ${m.location}`);
      }
    }
  }
  deps.onListening?.(server);
  try {
    await Promise.race([server.finished, deps.stopSignal ?? signals!.promise]);
  } finally {
    signals?.dispose();
    await server.close();
  }
  return 0;
}
