/**
 * A client of QEMU's qtest line protocol over a unix socket
 * (`-qtest unix:PATH,server=on,wait=off`): one request line, one reply line
 * (`OK ...`, `FAIL ...` or `ERR ...`); asynchronous `IRQ ...` lines are
 * ignored. Requests may be pipelined with {@linkcode QtestClient.batch}: QEMU
 * answers them in order.
 *
 * Only well-formed requests are ever sent: QEMU 10.0.2 aborts on a request
 * missing an argument (`assertion failed: (words[1])`).
 *
 * @module
 */

import { TargetClosedError, TargetTimeoutError } from "../target_types.ts";
import { fromHex, toHex } from "../host/bytes.ts";

/** QEMU answered a qtest request with something other than `OK`. */
export class QtestError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "QtestError";
  }
}

/** Options of {@linkcode QtestClient.connect}. */
export interface QtestConnectOptions {
  /** Keep retrying the connection until this many milliseconds passed (default 5000). */
  timeoutMs?: number;
  /** Per-request reply timeout in milliseconds (default 10000). */
  replyTimeoutMs?: number;
  /** Stops retrying at once when aborted (e.g. QEMU exited during start-up). */
  signal?: AbortSignal;
}

interface Waiter {
  resolve(line: string): void;
  reject(error: Error): void;
}

/** An address or value as qtest writes it (`0x` and lower-case hex). */
function addrText(addr: number | bigint): string {
  return `0x${addr.toString(16)}`;
}

const encoder = new TextEncoder();

/** A connected qtest session. */
export class QtestClient {
  readonly #conn: Deno.UnixConn;
  readonly #path: string;
  readonly #replyTimeoutMs: number;
  readonly #waiters: Waiter[] = [];
  #closed: Error | undefined;
  #connClosed = false;
  #writeChain: Promise<void> = Promise.resolve();
  #reader: Promise<void>;
  #batches = 0;

  private constructor(conn: Deno.UnixConn, path: string, replyTimeoutMs: number) {
    this.#conn = conn;
    this.#path = path;
    this.#replyTimeoutMs = replyTimeoutMs;
    this.#reader = this.#readLoop();
  }

  /**
   * Connects to a qtest unix socket, retrying while it does not exist yet.
   *
   * @example
   * ```ts ignore
   * import { QtestClient } from "@cxl-dcd/conformance/conformance";
   * const qt = await QtestClient.connect("/tmp/q/qtest.sock");
   * console.log((await qt.readl(0xb0000000)).toString(16)); // 29c08086 on q35
   * await qt.close();
   * ```
   */
  static async connect(path: string, options?: QtestConnectOptions): Promise<QtestClient> {
    options ??= {};
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    const signal = options.signal;
    const gaveUp = () => new TargetClosedError(`gave up connecting to the qtest socket ${path}`);
    for (;;) {
      if (signal?.aborted) throw gaveUp();
      try {
        const conn = await Deno.connect({ transport: "unix", path });
        if (signal?.aborted) {
          conn.close();
          throw gaveUp();
        }
        return new QtestClient(conn, path, options.replyTimeoutMs ?? 10000);
      } catch (e) {
        if (signal?.aborted) throw gaveUp();
        if (Date.now() >= deadline) {
          throw new TargetTimeoutError(
            `no qtest socket at ${path} within ${options.timeoutMs ?? 5000} ms: ${
              (e as Error).message
            }`,
          );
        }
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          const timer = setTimeout(done, 10);
          signal?.addEventListener("abort", done, { once: true });
        });
      }
    }
  }

  async #readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(1 << 16);
    let pending = "";
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        pending += decoder.decode(buf.subarray(0, n), { stream: true });
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          if (line.startsWith("IRQ")) continue;
          const waiter = this.#waiters.shift();
          if (waiter === undefined) continue; // an unsolicited line
          waiter.resolve(line);
        }
      }
      this.#fail(new TargetClosedError(`qtest connection ${this.#path} closed by QEMU`));
    } catch (e) {
      this.#fail(
        this.#closed ??
          new TargetClosedError(`qtest connection ${this.#path} failed: ${(e as Error).message}`),
      );
    }
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(this.#closed);
  }

  /**
   * Sends request lines in one write and returns their replies in order.
   * Rejects with {@linkcode QtestError} on the first reply that is not `OK`.
   */
  async batch(lines: readonly string[]): Promise<string[]> {
    if (this.#closed) throw this.#closed;
    this.#batches++;
    const replies = lines.map(() =>
      new Promise<string>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new TargetTimeoutError(
          `QEMU did not answer qtest request '${lines[0]}' within ${this.#replyTimeoutMs} ms ` +
            `(phase: host mailbox over qtest)`,
        );
        this.#fail(error);
        reject(error);
      }, this.#replyTimeoutMs);
    });
    try {
      const data = encoder.encode(lines.map((l) => `${l}\n`).join(""));
      // Requests of concurrent batches must not interleave on the wire: their
      // waiters were queued in this order, so their lines go out in this order.
      const written = this.#writeChain.then(async () => {
        let off = 0;
        while (off < data.length) off += await this.#conn.write(data.subarray(off));
      });
      this.#writeChain = written.catch(() => {});
      await written;
      const out = await Promise.race([Promise.all(replies), timeout]);
      for (let i = 0; i < out.length; i++) {
        const reply = out[i] ?? "";
        if (reply !== "OK" && !reply.startsWith("OK ")) {
          throw new QtestError(`qtest request '${lines[i]}' failed: ${reply}`);
        }
      }
      return out;
    } catch (e) {
      // A rejected reply promise must not surface as an unhandled rejection.
      for (const r of replies) r.catch(() => {});
      if (e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.ConnectionReset) {
        throw new TargetClosedError(`qtest connection ${this.#path} closed by QEMU`);
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one request and returns the text after `OK ` (empty for plain `OK`). */
  async request(line: string): Promise<string> {
    const [reply] = await this.batch([line]);
    return (reply ?? "").slice(3);
  }

  /** Reads a byte of guest physical memory or MMIO. */
  async readb(addr: number | bigint): Promise<number> {
    return Number(BigInt(await this.request(`readb ${addrText(addr)}`)));
  }

  /** Reads 16 bits. */
  async readw(addr: number | bigint): Promise<number> {
    return Number(BigInt(await this.request(`readw ${addrText(addr)}`)));
  }

  /** Reads 32 bits. */
  async readl(addr: number | bigint): Promise<number> {
    return Number(BigInt(await this.request(`readl ${addrText(addr)}`)));
  }

  /** Reads 64 bits. */
  async readq(addr: number | bigint): Promise<bigint> {
    return BigInt(await this.request(`readq ${addrText(addr)}`));
  }

  /** Writes 32 bits (one access). */
  async writel(addr: number | bigint, value: number | bigint): Promise<void> {
    await this.request(`writel ${addrText(addr)} ${addrText(value)}`);
  }

  /** Writes 64 bits (one access). */
  async writeq(addr: number | bigint, value: number | bigint): Promise<void> {
    await this.request(`writeq ${addrText(addr)} ${addrText(value)}`);
  }

  /** Reads `length` bytes (at least 1). */
  async read(addr: number | bigint, length: number): Promise<Uint8Array> {
    if (length === 0) return new Uint8Array(0);
    return fromHex(await this.request(`read ${addrText(addr)} ${length}`));
  }

  /** Writes bytes (nothing is sent for an empty array). */
  async write(addr: number | bigint, data: Uint8Array): Promise<void> {
    if (data.length === 0) return;
    await this.request(writeLine(addr, data));
  }

  /** Batches (round trips) sent so far, counting each single request as one. */
  get batches(): number {
    return this.#batches;
  }

  /** Whether the connection is closed (QEMU exited or {@linkcode close} ran). */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Closes the connection (also after a failure or timeout). */
  async close(): Promise<void> {
    this.#fail(new TargetClosedError(`qtest connection ${this.#path} was closed`));
    if (!this.#connClosed) {
      this.#connClosed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    await this.#reader;
  }
}

/** The `write ADDR LEN 0xHEX` request line. */
export function writeLine(addr: number | bigint, data: Uint8Array): string {
  return `write ${addrText(addr)} ${data.length} 0x${toHex(data)}`;
}

/** The `read ADDR LEN` request line. */
export function readLine(addr: number | bigint, length: number): string {
  return `read ${addrText(addr)} ${length}`;
}

/** Parses the value of an `OK 0x...` reply line. */
export function replyValue(reply: string): bigint {
  return BigInt(reply.slice(3));
}

/** Parses the bytes of an `OK 0x...` reply to `read`. */
export function replyBytes(reply: string): Uint8Array {
  return fromHex(reply.slice(3));
}

export { addrText };
