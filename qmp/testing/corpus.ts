/**
 * The malformed-input corpus recorded from QEMU 10.0.2 (`testdata/qemu_corpus.json`):
 * raw input bytes and QEMU's raw reply bytes, one fresh connection per case.
 *
 * @module
 */

/** One recorded case. */
export interface CorpusCase {
  /** Whether the connection negotiated capabilities before sending `input`. */
  negotiate: boolean;
  /** Raw input bytes. */
  input: Uint8Array;
  /** Raw bytes QEMU answered within 400 ms. */
  output: Uint8Array;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Loads the corpus. */
export function loadCorpus(): CorpusCase[] {
  const url = new URL("../testdata/qemu_corpus.json", import.meta.url);
  const raw = JSON.parse(Deno.readTextFileSync(url)) as {
    negotiate: boolean;
    input: string;
    output: string;
  }[];
  return raw.map((r) => ({
    negotiate: r.negotiate,
    input: latin1(r.input),
    output: latin1(r.output),
  }));
}

/** Shows bytes readably in assertion messages. */
export function showBytes(b: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...b.subarray(0, 400)));
}
