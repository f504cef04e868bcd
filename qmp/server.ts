/**
 * Serves a {@linkcode Machine} over QMP on unix and TCP sockets given in
 * QEMU's chardev spelling (`unix:PATH,server=on,wait=off`,
 * `tcp:HOST:PORT,server,nowait`), and on already-open streams (client-mode
 * sockets, stdio). Each client gets its own {@linkcode QmpSession}; one
 * misbehaving client never disturbs another: input is bounded per message
 * (QEMU's "JSON token size limit exceeded" at
 * {@linkcode DEFAULT_MAX_MESSAGE_BYTES}), and input is throttled like QEMU
 * does: a connection's input is not read while its unsent output is above a
 * quarter of {@linkcode DEFAULT_MAX_OUTPUT_BYTES}, and reading resumes once
 * it drained. A client that reads is never dropped; only one whose unsent
 * output still passes the whole bound (events it does not read) is.
 *
 * Connections: by default (`concurrentClients: false`), as QEMU, a socket
 * serves one client at a time and the next ones wait in the kernel's accept
 * backlog, greeted only when the one before disconnects. With
 * `concurrentClients: true` (`serve --concurrent-clients`) every client is
 * served at once, up to
 * `maxClients` ({@linkcode DEFAULT_MAX_CLIENTS}); one more gets one QMP error
 * line saying so and is disconnected. Out of file descriptors, the server
 * keeps listening (backing off) and accepts again once some are free.
 * Unix sockets may be Linux abstract ones (`abstract=on`, `tight=off`).
 *
 * Differences from QEMU, on purpose: unix sockets are created owner-only
 * (0600, see `unix_socket.ts`); a stale socket file is replaced but any other
 * file is left alone (QEMU unlinks whatever is there); `tcp::PORT` (empty
 * host) binds the loopback address unless `listenAny` is set (then both
 * `0.0.0.0` and `::`, as QEMU), while an explicit host such as `0.0.0.0` is
 * honoured.
 *
 * @module
 */

import type { Machine } from "../model/machine_types.ts";
import {
  formatSocketAddress,
  isAbstract,
  isTight,
  parseSocketAddress,
  type SocketAddress,
  type SocketAddressLike,
} from "./address.ts";
import { formatJson } from "./json_format.ts";
import { type CommandExtension, QmpSession } from "./session.ts";
import { abstractSocketPath, listenAbstract, listenUnix } from "./unix_socket.ts";

/** Default bound on one input message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * Default bound on output queued for a client: 8 MiB. Input stops being read
 * above a quarter of it; a client is dropped only above all of it.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;
/**
 * Default bound on clients served at once by one server with
 * `concurrentClients` (QEMU serves one per monitor, so it has none).
 */
export const DEFAULT_MAX_CLIENTS = 64;
/** Input is fed to a session in slices of this many bytes, output checked in between. */
export const INPUT_SLICE_BYTES = 64;

/**
 * Round-robin turns between connections: a connection that fed a slice of
 * input waits here before its next slice, so one client's flood (each error
 * reply costs tens of microseconds) never holds the others' replies for more
 * than a round of slices. Every waiting connection gets one slice per round,
 * and the event loop (socket reads and writes) runs between rounds.
 */
class Turns {
  #waiting: (() => void)[] = [];
  #scheduled = false;

  /** Resolves on the next round. */
  next(): Promise<void> {
    const p = new Promise<void>((r) => this.#waiting.push(r));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => this.#round(), 0);
    }
    return p;
  }

  #round(): void {
    this.#scheduled = false;
    const now = this.#waiting;
    this.#waiting = [];
    for (const r of now) r();
  }
}

/** Work on one connection's input before the others get their turn. */
const TURN_MS = 2;

/** A byte stream one QMP session runs over: a socket connection, or stdio. */
export interface QmpStream {
  /** The client's input. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Writes output; resolves with the number of bytes written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes the stream (ends a pending read). */
  close(): void;
  /**
   * Reads into `p`, resolving with the byte count (null at the end), as
   * `Deno.Conn` does. When present the server reads through it into one
   * buffer per connection instead of `readable` (a new chunk every read).
   */
  read?(p: Uint8Array): Promise<number | null>;
}

/** Bytes read at once from a connection that has `read` (one buffer per connection). */
const READ_BUFFER_BYTES = 65536;

/**
 * Encodes output text: the serializer writes only ASCII (QEMU escapes
 * everything else), which is copied byte by byte, sparing the runtime call
 * of `TextEncoder` on every reply; anything else is UTF-8 encoded.
 */
function encodeOutput(text: string, encoder: TextEncoder): Uint8Array {
  const n = text.length;
  if (n > 4096) return encoder.encode(text);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    b[i] = c;
  }
  return b;
}

/** Options of {@linkcode QmpServer.listen}. */
export interface QmpServerOptions {
  /** The machine to serve. */
  machine: Machine;
  /** Where to listen: chardev specs or address objects (default: nowhere). */
  listen?: readonly SocketAddressLike[];
  /**
   * Sockets bound ahead by {@linkcode bindSockets}, instead of `listen`
   * (passing both is an error); the server owns them from then on. Clients
   * that connected before the server existed are served in the order they
   * connected.
   */
  bound?: BoundSockets;
  /** Extension commands offered to every client. */
  extension?: CommandExtension;
  /** Bound on one input message (default {@linkcode DEFAULT_MAX_MESSAGE_BYTES}). */
  maxMessageBytes?: number;
  /** Bound on queued output per client (default {@linkcode DEFAULT_MAX_OUTPUT_BYTES}). */
  maxOutputBytes?: number;
  /** Bind every interface, IPv4 and IPv6, for `tcp::PORT` (empty host); default: loopback only. */
  listenAny?: boolean;
  /**
   * Serve every client of a socket at once; by default (`false`) one at a
   * time as QEMU does, the next ones queued in the accept backlog.
   */
  concurrentClients?: boolean;
  /**
   * Most clients connected at once, over every socket (default
   * {@linkcode DEFAULT_MAX_CLIENTS}). One more is refused: it gets one QMP
   * error line saying so (no greeting) and is disconnected, and the clients
   * already connected are not disturbed.
   */
  maxClients?: number;
  /** Open streams to serve, one session each (client-mode sockets, stdio). */
  streams?: readonly QmpStream[];
  /** Called once when a client's `quit` ended the machine (after its reply was sent). */
  onQuit?: () => void;
}

interface Listening {
  listener: Deno.Listener;
  address: string;
  socketPath?: string;
}

/** Closes listeners and removes the unix socket files they were bound at. */
async function release(listening: readonly Listening[]): Promise<void> {
  for (const l of listening) {
    try {
      l.listener.close();
    } catch { /* closed */ }
    if (l.socketPath !== undefined) await Deno.remove(l.socketPath).catch(() => {});
  }
}

/**
 * Listening sockets bound ahead of their server by {@linkcode bindSockets}.
 * `serve` binds its monitors' sockets before it builds the machine, as QEMU
 * creates its monitors' sockets before the machine and its devices: a client
 * may connect while the machine is built (it waits in the kernel's accept
 * backlog, as on QEMU, until the server greets it), and a start-up error
 * comes with the socket already there. Handed to
 * {@linkcode QmpServer.listen} (`bound`), they belong to that server;
 * otherwise {@linkcode BoundSockets.close} releases them.
 */
export interface BoundSockets {
  /** Where the sockets listen (`unix:PATH`, `tcp:HOST:PORT` with the bound port). */
  readonly addresses: readonly string[];
  /**
   * Closes the sockets and removes their unix socket files; clients waiting
   * in the backlog see the connection end. Does nothing once they were
   * handed to a server (the server closes them) or closed.
   */
  close(): Promise<void>;
}

/** The listeners of each {@linkcode BoundSockets} not yet handed to a server or closed. */
const boundListeners = new WeakMap<BoundSockets, Listening[]>();

function boundSockets(listening: Listening[]): BoundSockets {
  const bound: BoundSockets = {
    addresses: listening.map((l) => l.address),
    async close(): Promise<void> {
      const mine = boundListeners.get(bound);
      if (mine === undefined) return;
      boundListeners.delete(bound);
      await release(mine);
    },
  };
  boundListeners.set(bound, listening);
  return bound;
}

function takeBound(bound: BoundSockets): Listening[] {
  const listening = boundListeners.get(bound);
  if (listening === undefined) {
    throw new TypeError(
      "QmpServer.listen: these bound sockets were closed or handed to a server already: expected sockets fresh from bindSockets()",
    );
  }
  boundListeners.delete(bound);
  return listening;
}

/**
 * Binds listening sockets for a {@linkcode QmpServer} to come, to hand to
 * {@linkcode QmpServer.listen} as `bound` (see {@linkcode BoundSockets}).
 *
 * @example
 * ```ts
 * import { bindSockets, QmpClient, QmpServer } from "@cxl-dcd/conformance/qmp";
 * import { FakeMachine } from "./testing/fake_machine.ts";
 * const dir = await Deno.makeTempDir();
 * const bound = await bindSockets([`unix:${dir}/qmp.sock,server=on,wait=off`]);
 * const early = QmpClient.connect(bound.addresses[0]!); // waits in the backlog
 * const server = await QmpServer.listen({ machine: new FakeMachine(), bound });
 * const client = await early;
 * await client.negotiate();
 * await client.close();
 * await server.close();
 * await Deno.remove(dir);
 * ```
 *
 * @throws {TypeError} for an address that is not `unix:` or `tcp:`, a client-mode (`server=off`) one, or a unix path longer than QEMU accepts.
 * @throws {Deno.errors.AddrInUse} when an address is taken (nothing stays bound).
 */
export async function bindSockets(
  listen: readonly SocketAddressLike[],
  options?: { listenAny?: boolean },
): Promise<BoundSockets> {
  const listening: Listening[] = [];
  try {
    for (const spec of listen) {
      const a = parseSocketAddress(spec);
      if (a.options.server === "off") {
        throw new TypeError(
          `'${
            formatSocketAddress(spec)
          }' has server=off: connect it with connectOut() and pass it in streams (listen expects server=on)`,
        );
      }
      if (a.transport === "unix" && isAbstract(a)) {
        const listener = listenAbstract(a.path, isTight(a));
        listening.push({ listener, address: formatSocketAddress(spec) });
      } else if (a.transport === "unix") {
        const listener = await listenUnix(a.path);
        listening.push({ listener, address: `unix:${a.path}`, socketPath: a.path });
      } else {
        for (const listener of listenTcp(a.hostname, a.port, options?.listenAny === true)) {
          const addr = listener.addr as Deno.NetAddr;
          listening.push({
            listener,
            address: formatSocketAddress({ hostname: addr.hostname, port: addr.port }),
          });
        }
      }
    }
  } catch (e) {
    await release(listening);
    throw e;
  }
  return boundSockets(listening);
}

/**
 * Listens on TCP. An empty host binds loopback, or with `any` both
 * families: `::` first, then `0.0.0.0` on the same port unless the `::`
 * socket is dual-stack already (then that bind fails with EADDRINUSE).
 */
function listenTcp(hostname: string, port: number, any: boolean): Deno.Listener[] {
  if (hostname !== "") return [Deno.listen({ hostname, port })];
  if (!any) return [Deno.listen({ hostname: "127.0.0.1", port })];
  let v6: Deno.Listener | undefined;
  try {
    v6 = Deno.listen({ hostname: "::", port });
  } catch {
    return [Deno.listen({ hostname: "0.0.0.0", port })]; // no IPv6 on this host
  }
  try {
    return [Deno.listen({ hostname: "0.0.0.0", port: (v6.addr as Deno.NetAddr).port }), v6];
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) return [v6]; // dual-stack: IPv4 arrives on `::`
    v6.close();
    throw e;
  }
}

const osError = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).replace(/ \(os error \d+\)$/, "");

/**
 * Connects out to a client-mode (`server=off`) address, as QEMU does for
 * `-qmp unix:PATH` without `server=on`.
 *
 * @example
 * ```ts ignore
 * import { connectOut } from "@cxl-dcd/conformance/qmp";
 * import { parseSocketAddress } from "@cxl-dcd/conformance/qmp";
 * const conn = await connectOut(parseSocketAddress("unix:/tmp/fm.sock"));
 * ```
 *
 * @throws {Error} with QEMU's message, e.g. `Failed to connect to '/tmp/x.sock': No such file or directory`.
 */
export async function connectOut(address: SocketAddress): Promise<Deno.Conn> {
  const target = address.transport === "unix"
    ? address.path
    : `${address.hostname}:${address.port}`;
  const path = address.transport === "unix" && isAbstract(address)
    ? abstractSocketPath(address.path, isTight(address))
    : target;
  try {
    return address.transport === "unix"
      ? await Deno.connect({ transport: "unix", path })
      : await Deno.connect({ hostname: address.hostname, port: address.port });
  } catch (e) {
    throw new Error(`Failed to connect to '${target}': ${osError(e)}`);
  }
}

/**
 * The process's standard input and output as a {@linkcode QmpStream}
 * (`-qmp stdio`).
 */
export function stdioStream(): QmpStream {
  return {
    readable: Deno.stdin.readable,
    write: (p: Uint8Array) => Deno.stdout.write(p),
    close: () => {},
  };
}

/** Refuses a connection past the client limit: one QMP error line, then close. */
async function refuse(conn: Deno.Conn, limit: number): Promise<void> {
  const desc = `too many QMP clients: ${limit} are connected, the server's limit ` +
    `(maxClients, serve --max-clients); disconnect one or raise the limit`;
  const line = formatJson({ error: { class: "GenericError", desc } }) + "\r\n";
  try {
    await Promise.race([
      conn.write(new TextEncoder().encode(line)),
      new Promise((r) => setTimeout(r, 1000)),
    ]);
  } catch { /* gone already */ }
  try {
    conn.close();
  } catch { /* closed */ }
}

/**
 * A running QMP server.
 *
 * @example
 * ```ts
 * import { QmpClient } from "@cxl-dcd/conformance/qmp";
 * import { QmpServer } from "@cxl-dcd/conformance/qmp";
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
  readonly #conns = new Set<QmpStream>();
  readonly #readers = new Set<ReadableStreamDefaultReader<Uint8Array>>();
  readonly #sessions = new Set<QmpSession>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #turns = new Turns();
  #closing: Promise<void> | undefined;
  #quit = false;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;

  private constructor(opts: QmpServerOptions, listening: Listening[]) {
    this.#opts = opts;
    this.#listening = listening;
    this.#done = new Promise((r) => this.#resolveDone = r);
    for (const l of listening) this.#track(this.#accept(l));
    for (const stream of opts.streams ?? []) this.#track(this.#serve(stream));
  }

  /**
   * Starts listening on every address (or on the sockets of `opts.bound`)
   * and serving.
   *
   * @throws {TypeError} for an address that is not `unix:` or `tcp:`, a client-mode (`server=off`) one, or a unix path longer than QEMU accepts; when both `listen` and `bound` are given, or `bound` was closed or handed to a server already.
   * @throws {Deno.errors.AddrInUse} when an address is taken.
   */
  static async listen(opts: QmpServerOptions): Promise<QmpServer> {
    if (opts.bound !== undefined && (opts.listen?.length ?? 0) > 0) {
      throw new TypeError(
        "QmpServer.listen: both listen and bound given: expected one of them (bound sockets already say where to listen)",
      );
    }
    const bound = opts.bound ?? await bindSockets(opts.listen ?? [], opts);
    return new QmpServer(opts, takeBound(bound));
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
    const limit = this.#opts.maxClients ?? DEFAULT_MAX_CLIENTS;
    let backoff = 0;
    while (this.#closing === undefined) {
      let conn: Deno.Conn;
      try {
        conn = await l.listener.accept();
        backoff = 0;
      } catch (e) {
        if (this.#closing !== undefined || e instanceof Deno.errors.BadResource) return;
        // Out of file descriptors (EMFILE/ENFILE) or an aborted connection:
        // keep listening, backing off, rather than stop accepting for good.
        backoff = Math.min(Math.max(backoff * 2, 10), 500);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      if (this.#closing !== undefined) {
        conn.close();
        continue;
      }
      if (this.#conns.size >= limit) {
        this.#track(refuse(conn, limit));
        continue;
      }
      const served = this.#serve(conn);
      this.#track(served);
      // One client at a time: the next waits in the kernel's accept backlog.
      if (this.#opts.concurrentClients !== true) await served;
    }
  }

  async #serve(conn: QmpStream): Promise<void> {
    this.#conns.add(conn);
    const maxOut = this.#opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const highWater = Math.max(1, Math.floor(maxOut / 4));
    const lowWater = Math.floor(highWater / 2);
    const encoder = new TextEncoder();
    const out: Uint8Array[] = [];
    let queued = 0;
    let dropped = false;
    let wake: (() => void) | undefined;
    let drained: (() => void) | undefined;
    let finishing = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      try {
        conn.close();
      } catch { /* closed */ }
      wake?.();
      drained?.();
    };
    const write = (text: string) => {
      if (dropped) return;
      const b = encodeOutput(text, encoder);
      queued += b.length;
      // Input is throttled above highWater, so only output the client did not
      // ask for (events) can pass the bound: a client that does not read.
      if (queued > maxOut) return drop();
      out.push(b);
      wake?.();
    };
    const writer = (async () => {
      while (!dropped) {
        let b = out.shift();
        if (b !== undefined && out.length > 0 && b.length < 65536) {
          // Coalesce queued replies (a flood of small errors) into one write.
          const parts = [b];
          let size = b.length;
          while (out.length > 0 && size + out[0]!.length <= 65536) {
            const next = out.shift()!;
            parts.push(next);
            size += next.length;
          }
          b = new Uint8Array(size);
          let at = 0;
          for (const part of parts) {
            b.set(part, at);
            at += part.length;
          }
        }
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
        if (drained !== undefined && queued <= lowWater) {
          drained();
          drained = undefined;
        }
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
    // A socket is read into one buffer (its close() ends a pending read);
    // other streams (stdio) through their readable, which close() cannot end.
    const reader = conn.read === undefined ? conn.readable.getReader() : undefined;
    const buffer = reader === undefined ? new Uint8Array(READ_BUFFER_BYTES) : undefined;
    if (reader !== undefined) this.#readers.add(reader);
    try {
      while (!dropped && !session.closed) {
        let chunk: Uint8Array;
        if (reader !== undefined) {
          const r = await reader.read();
          if (r.done) break;
          chunk = r.value;
        } else {
          const n = await conn.read!(buffer!);
          if (n === null) break;
          // Fed (copied by the parser) before the next read reuses the buffer.
          chunk = buffer!.subarray(0, n);
        }
        let since = performance.now();
        // Feed slice by slice, taking turns with the other connections once
        // a turn took TURN_MS (fairness; short input is handled as if fed at
        // once, out-of-band order kept), and stop reading while the unsent
        // output is above highWater (backpressure).
        for (
          let off = 0;
          off < chunk.length && !dropped && !session.closed;
          off += INPUT_SLICE_BYTES
        ) {
          session.feed(chunk.subarray(off, off + INPUT_SLICE_BYTES));
          if (queued > highWater && !dropped) {
            await new Promise<void>((r) => drained = r);
          } else if (
            off + INPUT_SLICE_BYTES < chunk.length && performance.now() - since > TURN_MS
          ) {
            await this.#turns.next();
            since = performance.now();
          }
        }
      }
    } catch {
      // reset by peer, or dropped
    }
    if (reader !== undefined) {
      this.#readers.delete(reader);
      try {
        reader.releaseLock();
      } catch { /* a read was pending */ }
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
      await release(this.#listening);
      for (const s of this.#sessions) s.close();
      for (const c of this.#conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      for (const r of this.#readers) r.cancel().catch(() => {}); // stdio: close() cannot end a read
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
      this.#resolveDone();
    })();
    return this.#closing;
  }
}
