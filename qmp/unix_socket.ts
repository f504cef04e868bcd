/**
 * Listening unix sockets for the QMP server: owner-only (0600), a stale
 * socket of a dead server taken over, a live one or any other file left
 * alone, and every path QEMU accepts.
 *
 * - Stale means nobody listens: only `ECONNREFUSED` on a probe connect. Any
 *   other error (a full accept backlog gives `EAGAIN`, a permission error
 *   `EACCES`) means a live server or a socket that is not ours to take.
 * - QEMU accepts paths up to 108 bytes (the whole `sun_path`, no NUL). Deno
 *   binds paths of at most 107 bytes; a 108-byte path is refused with
 *   QEMU's own "is too long" message, as is every longer path.
 * - Owner-only without a moment where others could connect: bind in a
 *   private 0700 directory beside the target and rename into place. When that
 *   temporary path would not fit in `sun_path` (targets of about 86 bytes and
 *   more), bind at the target under umask 0177 when the process may set the
 *   umask (`--allow-sys=umask`), else bind and chmod at once.
 *
 * @module
 */

/** Longest unix socket path Deno can bind, in bytes (`sun_path` minus its NUL). */
export const MAX_UNIX_PATH_BYTES = 107;

const encoder = new TextEncoder();

/** How a probe connect to an existing socket file ended. */
export type SocketProbe = "live" | "stale";

/**
 * Probes a socket file: `stale` only when the connect was refused
 * (`ECONNREFUSED`: nobody listens); `live` otherwise, including a full
 * accept backlog (`EAGAIN`) or any other error.
 *
 * @example
 * ```ts ignore
 * import { probeUnixSocket } from "./unix_socket.ts";
 * if (await probeUnixSocket("/tmp/qmp.sock") === "stale") await Deno.remove("/tmp/qmp.sock");
 * ```
 *
 * @param path the socket file.
 * @param connect the connect function (tests inject failures).
 */
export async function probeUnixSocket(
  path: string,
  connect: (path: string) => Promise<Deno.Conn> = (p) =>
    Deno.connect({ transport: "unix", path: p }),
): Promise<SocketProbe> {
  try {
    const c = await connect(path);
    c.close();
    return "live";
  } catch (e) {
    return e instanceof Deno.errors.ConnectionRefused ? "stale" : "live";
  }
}

/**
 * QEMU's message for a unix socket path longer than `sun_path`, or undefined
 * when the path fits (QEMU 10.0.2, `util/qemu-sockets.c`).
 */
export function unixPathError(path: string): string | undefined {
  const bytes = encoder.encode(path).length;
  if (bytes <= MAX_UNIX_PATH_BYTES) return undefined;
  return `UNIX socket path '${path}' is too long\nPath must be less than 108 bytes`;
}

function bindAtUmask(path: string): Deno.Listener {
  let old: number | undefined;
  try {
    old = Deno.umask(0o177);
  } catch {
    // no permission to set the umask: chmod right after the bind below
  }
  try {
    return Deno.listen({ transport: "unix", path });
  } finally {
    if (old !== undefined) Deno.umask(old);
  }
}

/**
 * Listens on a unix socket path, owner-only; replaces a stale socket.
 *
 * @throws {Deno.errors.AddrInUse} when a live server listens there, or a file that is not a socket is in the way.
 * @throws {TypeError} with QEMU's message when the path is too long.
 */
export async function listenUnix(path: string): Promise<Deno.Listener> {
  const tooLong = unixPathError(path);
  if (tooLong !== undefined) throw new TypeError(tooLong);
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
    if (await probeUnixSocket(path) === "live") {
      throw new Deno.errors.AddrInUse(
        `cannot listen on unix:${path}: another server is listening there`,
      );
    }
    await Deno.remove(path); // stale socket of a dead server
  }
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const priv = await Deno.makeTempDir({ dir, prefix: ".qmp-bind-" });
  try {
    await Deno.chmod(priv, 0o700);
    const tmp = `${priv}/s`;
    if (unixPathError(tmp) !== undefined) {
      const listener = bindAtUmask(path);
      try {
        await Deno.chmod(path, 0o600);
      } catch (e) {
        listener.close();
        throw e;
      }
      return listener;
    }
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
