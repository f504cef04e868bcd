/**
 * What happens when the runner is told to stop (Ctrl-C, `kill`, a closed
 * terminal): SIGINT, SIGTERM and SIGHUP alike run every registered cleanup
 * (newest first: QEMU children are killed and their directories removed
 * before the report of what ran is written), then the process exits with
 * 128 + the signal's number, as a shell reports it.
 *
 * Listeners are installed only while a cleanup is registered, so that a
 * process with nothing to clean up keeps Deno's default handling (and
 * Deno's test sanitizers stay quiet).
 *
 * @module
 */

/** The signals that end a run. */
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** A signal that ends a run. */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** A synchronous cleanup run when the process is interrupted. */
export type InterruptHook = (signal: InterruptSignal) => void;

/** 128 + the signal's number. */
const EXIT_STATUS: Record<InterruptSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const hooks: InterruptHook[] = [];
const listeners = new Map<InterruptSignal, () => void>();

function interrupted(signal: InterruptSignal): void {
  for (const hook of [...hooks].reverse()) {
    try {
      hook(signal);
    } catch {
      // one failing cleanup must not keep the others from running
    }
  }
  Deno.exit(EXIT_STATUS[signal]);
}

/**
 * Registers `hook` to run (synchronously) when SIGINT, SIGTERM or SIGHUP
 * ends the process; returns the function that unregisters it.
 *
 * @example
 * ```ts
 * import { onInterrupt } from "./interrupt.ts";
 * const dir = Deno.makeTempDirSync();
 * const dispose = onInterrupt(() => Deno.removeSync(dir, { recursive: true }));
 * // ... work in dir ...
 * dispose();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function onInterrupt(hook: InterruptHook): () => void {
  hooks.push(hook);
  if (listeners.size === 0) {
    for (const s of INTERRUPT_SIGNALS) {
      const listener = () => interrupted(s);
      listeners.set(s, listener);
      Deno.addSignalListener(s, listener);
    }
  }
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
    if (hooks.length === 0) {
      for (const [s, listener] of listeners) Deno.removeSignalListener(s, listener);
      listeners.clear();
    }
  };
}

/** The exit status an interrupted run ends with: 128 + the signal's number. */
export function interruptExitStatus(signal: InterruptSignal): number {
  return EXIT_STATUS[signal];
}
