/**
 * Serves a {@linkcode Machine} over QMP on unix and TCP sockets given in
 * QEMU's chardev spelling (`unix:PATH,server=on,wait=off`,
 * `tcp:HOST:PORT,server,nowait`). Each client gets its own
 * {@linkcode QmpSession}; one misbehaving client never disturbs another:
 * input is bounded per message (QEMU's "JSON token size limit exceeded" at
 * {@linkcode DEFAULT_MAX_MESSAGE_BYTES}) and a client that does not read its
 * output is dropped once {@linkcode DEFAULT_MAX_OUTPUT_BYTES} are queued.
 *
 * Differences from QEMU, on purpose: several clients may be connected to one
 * socket at once (QEMU serves one per chardev and queues the others); unix
 * sockets are created owner-only (0600) by binding in a private directory and
 * renaming into place; a stale socket file is replaced but any other file is
 * left alone (QEMU unlinks whatever is there); `tcp::PORT` (empty host) binds
 * the loopback address unless `listenAny` is set (QEMU binds every
 * interface), while an explicit host such as `0.0.0.0` is honoured.
 *
 * @module
 */

import type { Machine } from "../model/machine_types.ts";
import { formatSocketAddress, parseSocketAddress, type SocketAddressLike } from "./address.ts";
import { type CommandExtension, QmpSession } from "./session.ts";

/** Default bound on one input message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Default bound on output queued for a slow client: 8 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Options of {@linkcode QmpServer.listen}. */
export interface QmpServerOptions {
  /** The machine to serve. */
  machine: Machine;
  /** Where to listen: chardev specs or address objects. */
  listen: readonly SocketAddressLike[];
  /** Extension commands offered to every client. */
  extension?: CommandExtension;
  /** Bound on one input message (default {@linkcode DEFAULT_MAX_MESSAGE_BYTES}). */
  maxMessageBytes?: number;
  /** Bound on queued output per client (default {@linkcode DEFAULT_MAX_OUTPUT_BYTES}). */
  maxOutputBytes?: number;
  /** Bind every interface for `tcp::PORT` (empty host); default: loopback only. */
  listenAny?: boolean;
  /** Called once when a client's `quit` ended the machine (after its reply was sent). */
  onQuit?: () => void;
}

interface Listening {
  listener: Deno.Listener;
  address: string;
  socketPath?: string;
}

async function isLiveSocket(path: string): Promise<boolean> {
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return true;
  } catch {
    return false;
  }
}

async function listenUnix(path: string): Promise<Deno.Listener> {
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.lstat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (info !== undefined) {
    if (!info.isSocket) {
      throw new Deno.errors.AddrInUse(
        `cannot listen on unix:${path}: a file that is not a socket is in the way (remove it or choose another path)`,
      );
    }
    if (await isLiveSocket(path)) {
      throw new Deno.errors.AddrInUse(
        `cannot listen on unix:${path}: another server is listening there`,
      );
    }
    await Deno.remove(path); // stale socket of a dead server
  }
  // Bind inside a private directory, restrict the socket, then rename it into
  // place: no moment exists where others could connect.
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const priv = await Deno.makeTempDir({ dir, prefix: ".qmp-bind-" });
  try {
    await Deno.chmod(priv, 0o700);
    const tmp = `${priv}/s`;
    const listener = Deno.listen({ transport: "unix", path: tmp });
    try {
      await Deno.chmod(tmp, 0o600);
      await Deno.rename(tmp, path);
    } catch (e) {
      listener.close();
      throw e;
    }
    return listener;
  } finally {
    await Deno.remove(priv, { recursive: true }).catch(() => {});
  }
}

/**
 * A running QMP server.
 *
 * @example
 * ```ts
 * import { QmpClient } from "./client.ts";
 * import { QmpServer } from "./server.ts";
 * import { FakeMachine } from "./testing/fake_machine.ts";
 * const dir = await Deno.makeTempDir();
 * const server = await QmpServer.listen({
 *   machine: new FakeMachine(),
 *   listen: [`unix:${dir}/qmp.sock,server=on,wait=off`],
 * });
 * const client = await QmpClient.connect(server.addresses[0]!);
 * await client.negotiate();
 * await client.execute("query-status");
 * await client.close();
 * await server.close(); // removes the socket
 * await Deno.remove(dir);
 * ```
 */
export class QmpServer {
  readonly #opts: QmpServerOptions;
  readonly #listening: Listening[];
  readonly #conns = new Set<Deno.Conn>();
  readonly #sessions = new Set<QmpSession>();
  readonly #tasks = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #quit = false;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(opts: QmpServerOptions, listening: Listening[]) {
    this.#opts = opts;
    this.#listening = listening;
    this.#done = new Promise((r) => this.#resolveDone = r);
    for (const l of listening) this.#track(this.#accept(l));
  }

  /**
   * Starts listening on every address.
   *
   * @throws {TypeError} for an address that is not `unix:` or `tcp:`, or a client-mode (`server=off`) one.
   * @throws {Deno.errors.AddrInUse} when an address is taken.
   */
  static async listen(opts: QmpServerOptions): Promise<QmpServer> {
    const listening: Listening[] = [];
    try {
      for (const spec of opts.listen) {
        const a = parseSocketAddress(spec);
        if (a.options.server === "off") {
          throw new TypeError(
            `'${
              formatSocketAddress(spec)
            }' has server=off: the model only listens (expected server=on)`,
          );
        }
        if (a.transport === "unix") {
          const listener = await listenUnix(a.path);
          listening.push({ listener, address: `unix:${a.path}`, socketPath: a.path });
        } else {
          const hostname = a.hostname !== ""
            ? a.hostname
            : opts.listenAny
            ? "0.0.0.0"
            : "127.0.0.1";
          const listener = Deno.listen({ hostname, port: a.port });
          const bound = listener.addr as Deno.NetAddr;
          listening.push({
            listener,
            address: formatSocketAddress({ hostname: bound.hostname, port: bound.port }),
          });
        }
      }
    } catch (e) {
      for (const l of listening) {
        l.listener.close();
        if (l.socketPath !== undefined) await Deno.remove(l.socketPath).catch(() => {});
      }
      throw e;
    }
    return new QmpServer(opts, listening);
  }

  /** Where the server listens (`unix:PATH`, `tcp:HOST:PORT` with the bound port). */
  get addresses(): string[] {
    return this.#listening.map((l) => l.address);
  }

  /** Number of connected clients. */
  get clientCount(): number {
    return this.#conns.size;
  }

  /** Resolves once the server closed (after `quit` or {@linkcode close}). */
  get finished(): Promise<void> {
    return this.#done;
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  async #accept(l: Listening): Promise<void> {
    try {
      for await (const conn of l.listener) {
        if (this.#closing !== undefined) {
          conn.close();
          continue;
        }
        this.#track(this.#serve(conn));
      }
    } catch {
      // listener closed
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    this.#conns.add(conn);
    const maxOut = this.#opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const encoder = new TextEncoder();
    const out: Uint8Array[] = [];
    let queued = 0;
    let dropped = false;
    let wake: (() => void) | undefined;
    let finishing = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      try {
        conn.close();
      } catch { /* closed */ }
      wake?.();
    };
    const write = (text: string) => {
      if (dropped) return;
      const b = encoder.encode(text);
      queued += b.length;
      if (queued > maxOut) return drop(); // a client that does not read is dropped
      out.push(b);
      wake?.();
    };
    const writer = (async () => {
      while (!dropped) {
        const b = out.shift();
        if (b === undefined) {
          if (finishing) break;
          await new Promise<void>((r) => wake = r);
          wake = undefined;
          continue;
        }
        try {
          let off = 0;
          while (off < b.length) off += await conn.write(b.subarray(off));
        } catch {
          drop();
        }
        queued -= b.length;
      }
    })();
    const sessionOpts = {
      maxMessageBytes: this.#opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      ...(this.#opts.extension !== undefined ? { extension: this.#opts.extension } : {}),
    };
    const session = new QmpSession(this.#opts.machine, write, sessionOpts);
    this.#sessions.add(session);
    let quit = false;
    session.onClose(() => quit = true);
    session.start();
    try {
      const reader = conn.readable.getReader();
      while (!dropped && !session.closed) {
        const r = await reader.read();
        if (r.done) break;
        session.feed(r.value);
        if (session.closed) break;
      }
      reader.releaseLock();
    } catch {
      // reset by peer, or dropped
    }
    await session.idle().catch(() => {});
    session.close();
    this.#sessions.delete(session);
    finishing = true;
    wake?.();
    await writer;
    if (!dropped) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
    this.#conns.delete(conn);
    if (quit && !this.#quit) {
      this.#quit = true;
      this.#opts.onQuit?.();
      void this.close();
    }
  }

  /** Stops listening, disconnects every client and removes the unix sockets. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const l of this.#listening) {
        try {
          l.listener.close();
        } catch { /* closed */ }
        if (l.socketPath !== undefined) await Deno.remove(l.socketPath).catch(() => {});
      }
      for (const s of this.#sessions) s.close();
      for (const c of this.#conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
      this.#resolveDone();
    })();
    return this.#closing;
  }
}
