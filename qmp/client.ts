/**
 * A QMP client over a unix or TCP socket: connect with retry (QEMU's socket
 * may not exist yet), greeting, negotiation, commands with replies matched by
 * id, events kept in order, and a raw mode for the conformance runner
 * ({@linkcode QmpChannel}).
 *
 * @module
 */

import { type QmpChannel, TargetClosedError, TargetTimeoutError } from "./channel.ts";
import type { QmpErrorBody, QmpObject, QmpResult, QmpValue } from "../model/qmp_value.ts";
import { formatSocketAddress, parseSocketAddress, type SocketAddressLike } from "./address.ts";
import { formatJson } from "./json_format.ts";
import { JsonStreamParser } from "./json_stream.ts";

/** Timeouts of a {@linkcode QmpClient}. */
export interface QmpClientOptions {
  /** How long to keep retrying the connection (default 5000 ms). */
  connectTimeoutMs?: number;
  /** How long to wait for the greeting once connected (default 5000 ms). */
  greetingTimeoutMs?: number;
  /** How long to wait for each command's reply (default 10000 ms). */
  commandTimeoutMs?: number;
  /** Messages kept for {@linkcode QmpClient.receive} and events kept for waitEvent (default 100000). */
  maxBuffered?: number;
  /**
   * Gives up connecting when aborted (e.g. the QEMU being waited for has
   * exited): the retry loop stops at once and a late connection is closed.
   */
  signal?: AbortSignal;
}

/** A command answered with a QMP error. */
export class QmpCommandError extends Error {
  /** QapiErrorClass, e.g. `GenericError`. */
  readonly errorClass: string;
  /** QEMU's description. */
  readonly desc: string;
  /** The command that failed. */
  readonly command: string;
  /**
   * Builds the error of a failed command.
   *
   * @param command the command.
   * @param body the error body.
   */
  constructor(command: string, body: QmpErrorBody) {
    super(`${command} failed: ${body.class}: ${body.desc}`);
    this.name = "QmpCommandError";
    this.errorClass = body.class;
    this.desc = body.desc;
    this.command = command;
  }
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(e: unknown): void;
}

function isObject(v: QmpValue | undefined): v is QmpObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Sleeps `ms`, or less when `signal` aborts first (no timer is left behind). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function abortedError(address: string, signal: AbortSignal): Error {
  const why = signal.reason instanceof Error ? `: ${signal.reason.message}` : "";
  return new TargetClosedError(`gave up connecting to ${address}${why}`);
}

/**
 * A QMP client.
 *
 * @example
 * ```ts
 * import { QmpClient } from "@cxl-dcd/conformance/qmp";
 * import { QmpServer } from "@cxl-dcd/conformance/qmp";
 * import { FakeMachine } from "./testing/fake_machine.ts";
 * const server = await QmpServer.listen({ machine: new FakeMachine(), listen: ["tcp:127.0.0.1:0"] });
 * const c = await QmpClient.connect(server.addresses[0]!, { connectTimeoutMs: 5000 });
 * await c.negotiate();
 * await c.execute("stop");
 * const stop = await c.waitEvent("STOP", 1000); // also sees events that came earlier
 * if (stop.event !== "STOP") throw new Error("STOP expected");
 * await c.close();
 * await server.close();
 * ```
 */
export class QmpClient implements QmpChannel {
  /** The greeting the server sent. */
  readonly greeting: QmpObject;
  /** The address, as `unix:PATH` or `tcp:HOST:PORT`. */
  readonly address: string;
  readonly #conn: Deno.Conn;
  readonly #commandTimeoutMs: number;
  readonly #maxBuffered: number;
  readonly #inbox: QmpObject[];
  readonly #events: QmpObject[] = [];
  #receiver: Waiter<QmpObject> | undefined;
  readonly #eventWaiters = new Set<{ name: string; waiter: Waiter<QmpObject> }>();
  readonly #pending = new Map<string, Waiter<QmpObject>>();
  #nextId = 1;
  #closedError: Error | undefined;
  #connClosed = false;
  #writeChain: Promise<void> = Promise.resolve();
  readonly #reading: Promise<void>;

  private constructor(
    conn: Deno.Conn,
    address: string,
    greeting: QmpObject,
    rest: QmpObject[],
    opts: Required<Pick<QmpClientOptions, "commandTimeoutMs" | "maxBuffered">>,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    parser: { feed(b: Uint8Array): void; sink: (m: QmpObject | Error) => void },
  ) {
    this.#conn = conn;
    this.address = address;
    this.greeting = greeting;
    this.#commandTimeoutMs = opts.commandTimeoutMs;
    this.#maxBuffered = opts.maxBuffered;
    this.#inbox = [];
    parser.sink = (m) => this.#dispatch(m);
    for (const m of rest) this.#dispatch(m);
    this.#reading = this.#readLoop(reader, parser);
  }

  /**
   * Connects, retrying until `connectTimeoutMs`, and reads the greeting.
   *
   * @throws {TargetTimeoutError} when no connection or no greeting came in time.
   */
  static async connect(
    addr: SocketAddressLike,
    options?: QmpClientOptions,
  ): Promise<QmpClient> {
    options ??= {};
    const address = formatSocketAddress(addr);
    const parsed = parseSocketAddress(addr);
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const greetingTimeoutMs = options.greetingTimeoutMs ?? 5000;
    const deadline = Date.now() + connectTimeoutMs;
    let conn: Deno.Conn | undefined;
    let lastError: unknown;
    const signal = options.signal;
    for (;;) {
      if (signal?.aborted) throw abortedError(address, signal);
      try {
        conn = parsed.transport === "unix"
          ? await Deno.connect({ transport: "unix", path: parsed.path })
          : await Deno.connect({ hostname: parsed.hostname || "127.0.0.1", port: parsed.port });
        if (signal?.aborted) {
          conn.close();
          throw abortedError(address, signal);
        }
        break;
      } catch (e) {
        if (signal?.aborted) throw abortedError(address, signal);
        lastError = e;
        if (Date.now() >= deadline) {
          throw new TargetTimeoutError(
            `could not connect to ${address} within ${connectTimeoutMs} ms: ${
              e instanceof Error ? e.message : String(e)
            }`,
          );
        }
        await sleep(Math.min(20, Math.max(1, deadline - Date.now())), signal);
      }
    }
    void lastError;
    const reader = conn.readable.getReader();
    const got: (QmpObject | Error)[] = [];
    const parser = {
      sink: (m: QmpObject | Error) => void got.push(m),
      p: undefined as JsonStreamParser | undefined,
      feed(b: Uint8Array) {
        this.p ??= new JsonStreamParser((item) => {
          if ("error" in item) {
            this.sink(new Error(`malformed output from ${address}: ${item.error}`));
          } else if (isObject(item.value)) this.sink(item.value);
          else this.sink(new Error(`non-object output from ${address}: ${formatJson(item.value)}`));
        });
        this.p.feed(b);
      },
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new TargetTimeoutError(
                `no QMP greeting from ${address} within ${greetingTimeoutMs} ms`,
              ),
            ),
          greetingTimeoutMs,
        );
      });
      while (got.length === 0) {
        const r = await Promise.race([reader.read(), timeout]);
        if (r.done) {
          throw new TargetClosedError(`${address} closed the connection before its QMP greeting`);
        }
        parser.feed(r.value);
      }
    } catch (e) {
      reader.releaseLock();
      try {
        conn.close();
      } catch { /* already closed */ }
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const first = got.shift()!;
    if (first instanceof Error || !isObject(first.QMP)) {
      try {
        conn.close();
      } catch { /* already closed */ }
      throw new TargetClosedError(
        `expected a QMP greeting from ${address}, got ${
          first instanceof Error ? first.message : formatJson(first)
        }`,
      );
    }
    const rest = got.filter((m): m is QmpObject => !(m instanceof Error));
    return new QmpClient(
      conn,
      address,
      first,
      rest,
      {
        commandTimeoutMs: options.commandTimeoutMs ?? 10000,
        maxBuffered: options.maxBuffered ?? 100000,
      },
      reader,
      parser,
    );
  }

  async #readLoop(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    parser: { feed(b: Uint8Array): void },
  ): Promise<void> {
    let why: Error = new TargetClosedError(`${this.address} closed the connection`);
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        parser.feed(r.value);
      }
    } catch (e) {
      if (this.#closedError === undefined) {
        why = new TargetClosedError(
          `connection to ${this.address} failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    this.#shutdown(why);
  }

  #shutdown(why: Error): void {
    if (this.#closedError !== undefined) return;
    this.#closedError = why;
    for (const w of this.#pending.values()) w.reject(why);
    this.#pending.clear();
    this.#receiver?.reject(why);
    this.#receiver = undefined;
    for (const w of this.#eventWaiters) w.waiter.reject(why);
    this.#eventWaiters.clear();
  }

  #dispatch(m: QmpObject | Error): void {
    if (m instanceof Error) {
      m = { error: { class: "ClientParseError", desc: m.message } };
    }
    const id = m.id;
    if (typeof id === "string" && this.#pending.has(id) && ("return" in m || "error" in m)) {
      const w = this.#pending.get(id)!;
      this.#pending.delete(id);
      w.resolve(m);
      return;
    }
    if (typeof m.event === "string") {
      for (const ew of this.#eventWaiters) {
        if (ew.name === m.event) {
          this.#eventWaiters.delete(ew);
          ew.waiter.resolve(m);
          // Still visible in wire order to raw readers.
          this.#toInbox(m);
          return;
        }
      }
      this.#events.push(m);
      if (this.#events.length > this.#maxBuffered) this.#events.shift();
    }
    this.#toInbox(m);
  }

  #toInbox(m: QmpObject): void {
    if (this.#receiver !== undefined) {
      const r = this.#receiver;
      this.#receiver = undefined;
      r.resolve(m);
      return;
    }
    this.#inbox.push(m);
    if (this.#inbox.length > this.#maxBuffered) this.#inbox.shift();
  }

  /** Sends text exactly as given. */
  sendRaw(text: string | Uint8Array): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
    const p = this.#writeChain.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
    });
    this.#writeChain = p.catch(() => {});
    return p;
  }

  /**
   * The next message not claimed by {@linkcode execute}, in wire order.
   *
   * @throws {TargetTimeoutError} after `timeoutMs`.
   * @throws {TargetClosedError} when the peer closed and nothing is left.
   */
  receive(timeoutMs: number): Promise<QmpObject> {
    const m = this.#inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    if (this.#receiver !== undefined) {
      return Promise.reject(new Error("receive() called while another receive() is waiting"));
    }
    return new Promise<QmpObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#receiver = undefined;
        reject(
          new TargetTimeoutError(`no QMP message from ${this.address} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#receiver = {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /**
   * Runs a command and returns its full result (`return` or `error`).
   *
   * @throws {TargetTimeoutError} when no reply came within the command timeout.
   */
  async executeResult(
    command: string,
    args?: QmpObject,
    options?: { timeoutMs?: number; oob?: boolean },
  ): Promise<QmpResult> {
    options ??= {};
    const id = `qmp-client-${this.#nextId++}`;
    const msg: QmpObject = { [options.oob ? "exec-oob" : "execute"]: command };
    if (args !== undefined) msg.arguments = args;
    msg.id = id;
    const timeoutMs = options.timeoutMs ?? this.#commandTimeoutMs;
    const reply = new Promise<QmpObject>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new TargetTimeoutError(
            `no reply to '${command}' from ${this.address} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
    try {
      await this.sendRaw(formatJson(msg, { qdictOrder: false }) + "\n");
    } catch (e) {
      this.#pending.get(id)?.reject(e);
      this.#pending.delete(id);
    }
    const r = await reply;
    if (isObject(r.error)) {
      return { error: { class: String(r.error.class), desc: String(r.error.desc) } };
    }
    return { return: r.return ?? null };
  }

  /**
   * Runs a command and returns its value.
   *
   * @throws {QmpCommandError} when QEMU answered with an error.
   * @throws {TargetTimeoutError} when no reply came in time.
   */
  async execute(
    command: string,
    args?: QmpObject,
    options?: { timeoutMs?: number },
  ): Promise<QmpValue> {
    options ??= {};
    const r = await this.executeResult(command, args, options);
    if ("error" in r) throw new QmpCommandError(command, r.error);
    return r.return;
  }

  /**
   * Negotiates capabilities (`qmp_capabilities`, optionally enabling `oob`).
   *
   * @throws {QmpCommandError} when the server refused.
   */
  async negotiate(options?: { oob?: boolean }): Promise<void> {
    options ??= {};
    await this.execute("qmp_capabilities", options.oob ? { enable: ["oob"] } : undefined);
  }

  /**
   * The first not yet consumed event named `name`, also one that arrived
   * before the call; consumed when returned.
   *
   * @throws {TargetTimeoutError} when none arrives within `timeoutMs`.
   */
  waitEvent(name: string, timeoutMs: number): Promise<QmpObject> {
    const i = this.#events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.#events.splice(i, 1)[0]!);
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    return new Promise<QmpObject>((resolve, reject) => {
      const entry = {
        name,
        waiter: {
          resolve: (v: QmpObject) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          },
        },
      };
      const timer = setTimeout(() => {
        this.#eventWaiters.delete(entry);
        reject(
          new TargetTimeoutError(`no ${name} event from ${this.address} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#eventWaiters.add(entry);
    });
  }

  /** Removes and returns every buffered event, in arrival order. */
  takeEvents(): QmpObject[] {
    return this.#events.splice(0, this.#events.length);
  }

  /** Whether the connection is closed (by either side). */
  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  /** Closes the connection; pending calls reject with {@linkcode TargetClosedError}. */
  async close(): Promise<void> {
    this.#shutdown(
      new TargetClosedError(`connection to ${this.address} was closed by the client`),
    );
    // Close the socket even when the peer closed first (the read loop ended):
    // the resource is ours to release either way.
    if (!this.#connClosed) {
      this.#connClosed = true;
      try {
        this.#conn.close();
      } catch { /* already closed */ }
    }
    await this.#reading.catch(() => {});
  }
}
