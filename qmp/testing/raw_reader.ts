/**
 * Reads a QMP socket as raw text (latin1, so every byte is kept), for tests
 * that compare wire bytes with QEMU's.
 *
 * @module
 */

/** Accumulates what a connection sends, reading only while asked to. */
export class RawReader {
  /** Text received since the last {@linkcode RawReader.clear}. */
  text = "";
  readonly #conn: Deno.Conn;
  readonly #buf = new Uint8Array(1 << 16);
  readonly #decoder = new TextDecoder("latin1");

  /** @param conn the connection to read */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.text = "";
  }

  /**
   * Reads until `done()` holds, the peer closes, or `ms` pass (then the
   * connection is closed, ending the pending read).
   */
  async readUntil(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline) {
      const t = setTimeout(() => this.#conn.close(), Math.max(1, deadline - Date.now()));
      const n = await this.#conn.read(this.#buf).catch(() => null);
      clearTimeout(t);
      if (n === null) break;
      this.text += this.#decoder.decode(this.#buf.subarray(0, n));
    }
  }
}
