/**
 * Runs `serve` in process for a test (test helper).
 *
 * @module
 */

import { main } from "../serve_main.ts";
import { capture } from "./capture.ts";

/**
 * Runs `serve` with its own options and QEMU's arguments until `fn` is
 * done, then stops it as a signal would. Rejects with serve's error output
 * when it ends before listening, and when it exits with a status other than 0.
 */
export async function serving(
  own: readonly string[],
  qemuArgs: readonly string[],
  fn: () => Promise<void>,
): Promise<void> {
  const stop = Promise.withResolvers<void>();
  const listening = Promise.withResolvers<void>();
  const c = capture();
  const done = main([...own, "--quiet", "--", ...qemuArgs], {
    ...c.deps,
    stopSignal: stop.promise,
    onListening: () => listening.resolve(),
  });
  await Promise.race([
    listening.promise,
    done.then(() => Promise.reject(new Error(c.err.join("\n")))),
  ]);
  let status: number;
  try {
    await fn();
  } finally {
    stop.resolve();
    status = await done;
  }
  if (status !== 0) throw new Error(`serve exited with ${status}: ${c.err.join("\n")}`);
}
