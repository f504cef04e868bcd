/**
 * Temporary folders, socket files and connections for the serve tests (test
 * helper).
 *
 * @module
 */

/** Runs `fn` in a fresh temporary folder (its path), removed afterwards. */
export async function inTempDir(
  prefix: string,
  fn: (dir: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether a unix socket file is at `path`. */
export function isSocket(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}

/** Whether nothing at all is at `path`. */
export function isGone(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/**
 * Connects to a unix socket as soon as a server listens there (every 10 ms,
 * for at most `ms`).
 *
 * @throws {Error} when nothing listens at `path` within `ms`.
 */
export async function connectWhenListening(path: string, ms = 5000): Promise<Deno.UnixConn> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`nothing listened at ${path} within ${ms} ms: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
