/**
 * Listening unix sockets for the QMP server: owner-only (0600), a stale
 * socket of a dead server taken over, a live one or any other file left
 * alone, and every path QEMU accepts.
 *
 * - Stale means nobody listens: only `ECONNREFUSED` on a probe connect. Any
 *   other error (a full accept backlog gives `EAGAIN`, a permission error
 *   `EACCES`) means a live server or a socket that is not ours to take.
 * - QEMU accepts paths up to 108 bytes (the whole `sun_path`, no NUL), and
 *   so does this module. Deno binds paths of at most 107 bytes, so a 108-byte
 *   path is bound under a short name and renamed into place (connects go by
 *   the file, not by the name it was bound under); a longer path is refused
 *   with QEMU's own "is too long" message.
 *   Deno cannot connect to a 108-byte path, so an existing socket there is
 *   taken for live (refused, not replaced) and a client-mode socket of 108
 *   bytes fails to connect.
 * - Abstract sockets (`abstract=on`, Linux): no file, so no mode, no stale
 *   check and nothing to remove; the name may be up to 107 bytes, the
 *   address is the name only (`tight=on`, the default) or padded with NULs
 *   to all 108 bytes of `sun_path` (`tight=off`), as QEMU binds them.
 * - Owner-only without a moment where others could connect: bind in a
 *   private 0700 directory beside the target and rename into place. When that
 *   temporary path would not fit in `sun_path` (targets of about 86 bytes and
 *   more), bind at the target under umask 0177 when the process may set the
 *   umask (`--allow-sys=umask`), else bind and chmod at once.
 *
 * @module
 */

/** Longest unix socket path QEMU (and this module) accepts, in bytes: all of `sun_path`. */
export const MAX_UNIX_PATH_BYTES = 108;
/** Longest path Deno binds directly, in bytes (`sun_path` minus its NUL). */
const MAX_BIND_PATH_BYTES = 107;

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
 * import { probeUnixSocket } from "@cxl-dcd/conformance/qmp";
 * if (await probeUnixSocket("/tmp/qmp.sock") === "stale") await Deno.remove("/tmp/qmp.sock");
 * ```
 *
 * @param path the socket file.
 * @param connect the connect function (tests inject failures).
 */
export async function probeUnixSocket(
  path: string,
  connect?: (path: string) => Promise<Deno.Conn>,
): Promise<SocketProbe> {
  connect ??= (p) => Deno.connect({ transport: "unix", path: p });
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

/** Longest abstract socket name QEMU accepts, in bytes (`sun_path` minus the leading NUL). */
export const MAX_ABSTRACT_NAME_BYTES = 107;
const SUN_PATH_BYTES = 108;

/**
 * QEMU's message for an abstract socket name longer than it accepts, or
 * undefined when the name fits (QEMU 10.0.2 says "less than 107 bytes" for
 * a 108-byte name and binds a 107-byte one).
 */
export function abstractNameError(name: string): string | undefined {
  if (encoder.encode(name).length <= MAX_ABSTRACT_NAME_BYTES) return undefined;
  return `UNIX socket path '${name}' is too long\nPath must be less than 107 bytes`;
}

/**
 * The `sun_path` of an abstract socket: a NUL, the name, and with
 * `tight: false` NULs up to all 108 bytes.
 *
 * @example
 * ```ts
 * import { abstractSocketPath } from "@cxl-dcd/conformance/qmp";
 * if (abstractSocketPath("fm", true) !== "\0fm") throw new Error("tight: NUL and name");
 * if (abstractSocketPath("fm", false).length !== 108) throw new Error("padded to sun_path");
 * ```
 */
export function abstractSocketPath(name: string, tight: boolean): string {
  const path = `\0${name}`;
  if (tight) return path;
  return path + "\0".repeat(Math.max(0, SUN_PATH_BYTES - encoder.encode(path).length));
}

/**
 * Listens on an abstract unix socket.
 *
 * @throws {TypeError} with QEMU's message when the name is too long.
 * @throws {Deno.errors.AddrInUse} with QEMU's message (`Failed to bind socket to NAME: Address already in use`).
 */
export function listenAbstract(name: string, tight: boolean): Deno.Listener {
  const tooLong = abstractNameError(name);
  if (tooLong !== undefined) throw new TypeError(tooLong);
  try {
    return Deno.listen({ transport: "unix", path: abstractSocketPath(name, tight) });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new Deno.errors.AddrInUse(`Failed to bind socket to ${name}: Address already in use`);
    }
    throw e;
  }
}

/**
 * Binds `dir/name` by a short relative name: from `dir` as the working
 * directory for the moment of the bind. Nothing else runs in between (chdir,
 * bind and chdir back are synchronous).
 */
function bindInDirectory(dir: string, name: string): Deno.Listener {
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    return Deno.listen({ transport: "unix", path: name });
  } finally {
    Deno.chdir(cwd);
  }
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
  // The file steps are synchronous: each is a local metadata call of a few
  // microseconds, and the asynchronous ones cost a thread-pool round trip
  // each (about 2 ms of the served model's start-up in all).
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.lstatSync(path);
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
    Deno.removeSync(path); // stale socket of a dead server
  }
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const priv = Deno.makeTempDirSync({ dir, prefix: ".qmp-bind-" });
  try {
    Deno.chmodSync(priv, 0o700);
    const tmp = `${priv}/s`;
    const tooLong = (p: string) => encoder.encode(p).length > MAX_BIND_PATH_BYTES;
    // Bound at the target itself only when the target fits sun_path and the
    // temporary path does not; otherwise bound at the temporary path and
    // renamed into place. A target of 108 bytes (only QEMU's last byte of
    // sun_path is missing) is bound under the short relative name `s`.
    const atTarget = !tooLong(path) && tooLong(tmp);
    const listener = atTarget
      ? bindAtUmask(path)
      : tooLong(path)
      ? bindInDirectory(priv, "s")
      : Deno.listen({ transport: "unix", path: tmp });
    try {
      Deno.chmodSync(atTarget ? path : tmp, 0o600);
      if (!atTarget) Deno.renameSync(tmp, path);
    } catch (e) {
      listener.close();
      throw e;
    }
    return listener;
  } finally {
    try {
      Deno.removeSync(priv, { recursive: true });
    } catch { /* best effort: the private directory is owner-only */ }
  }
}
