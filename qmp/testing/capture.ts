/**
 * Captures what `serve`'s main writes (test helper).
 *
 * @module
 */

/** Lines written to stdout and stderr, and the dependencies that collect them. */
export interface Captured {
  /** Lines written to stdout. */
  out: string[];
  /** Lines written to stderr. */
  err: string[];
  /** Pass these to `main`. */
  deps: { stdout: (l: string) => void; stderr: (l: string) => void };
}

/** A fresh capture. */
export function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    deps: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l) },
  };
}
