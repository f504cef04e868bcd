/**
 * QMP socket addresses in QEMU's chardev spelling: `unix:PATH[,options]` and
 * `tcp:HOST:PORT[,options]`, with `,,` standing for a literal comma and the
 * `server=on,wait=off` or legacy `server,nowait` options.
 *
 * @module
 */

import { splitKeyval } from "../model/cmdline/keyval.ts";

/** A parsed socket address. */
export type SocketAddress =
  | { transport: "unix"; path: string; options: Record<string, string> }
  | { transport: "tcp"; hostname: string; port: number; options: Record<string, string> };

/** What callers may pass: a spec string, an address object, or an address already parsed. */
export type SocketAddressLike =
  | SocketAddress
  | string
  | {
    path: string;
    /** A Linux abstract socket: `path` is its name, no file (`abstract=on`). */
    abstract?: boolean;
    /** With `abstract`: the address is the name only (default), or padded to all of `sun_path`. */
    tight?: boolean;
  }
  | { hostname: string; port: number };

/**
 * Parses a socket address.
 *
 * @example
 * ```ts
 * import { parseSocketAddress } from "@cxl-dcd/conformance/qmp";
 * const a = parseSocketAddress("unix:/tmp/q.sock,server=on,wait=off");
 * if (a.transport !== "unix" || a.path !== "/tmp/q.sock") throw new Error("bad parse");
 * const legacy = parseSocketAddress("tcp:127.0.0.1:4444,server,nowait");
 * if (legacy.transport !== "tcp" || legacy.options.server !== "on" || legacy.options.wait !== "off") {
 *   throw new Error("legacy flags are server=on, wait=off");
 * }
 * ```
 *
 * @throws {TypeError} when the text is neither `unix:PATH` nor `tcp:HOST:PORT`.
 */
export function parseSocketAddress(spec: SocketAddressLike): SocketAddress {
  if (typeof spec !== "string") {
    if ("transport" in spec) return spec;
    if ("path" in spec) {
      const options: Record<string, string> = {};
      if (spec.abstract !== undefined) options.abstract = spec.abstract ? "on" : "off";
      if (spec.tight !== undefined) options.tight = spec.tight ? "on" : "off";
      return { transport: "unix", path: spec.path, options };
    }
    return { transport: "tcp", hostname: spec.hostname, port: spec.port, options: {} };
  }
  const [head = "", ...rest] = splitKeyval(spec);
  const options: Record<string, string> = {};
  for (const opt of rest) {
    if (opt === "") continue;
    const eq = opt.indexOf("=");
    if (eq >= 0) options[opt.slice(0, eq)] = opt.slice(eq + 1);
    else if (opt.startsWith("no")) options[opt.slice(2)] = "off";
    else options[opt] = "on";
  }
  if (head.startsWith("unix:")) {
    const path = head.slice(5);
    if (path === "") {
      throw new TypeError(`socket address '${spec}' has an empty path: expected unix:PATH`);
    }
    return { transport: "unix", path, options };
  }
  if (head.startsWith("tcp:")) {
    const hp = head.slice(4);
    const colon = hp.lastIndexOf(":");
    const port = Number(hp.slice(colon + 1));
    let hostname = colon >= 0 ? hp.slice(0, colon) : "";
    if (hostname.startsWith("[") && hostname.endsWith("]")) hostname = hostname.slice(1, -1);
    if (
      colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535 || hp.slice(colon + 1) === ""
    ) {
      throw new TypeError(`socket address '${spec}' has no valid port: expected tcp:HOST:PORT`);
    }
    return { transport: "tcp", hostname, port, options };
  }
  throw new TypeError(
    `socket address '${spec}' is not supported: expected unix:PATH or tcp:HOST:PORT`,
  );
}

/** Whether a unix address names an abstract socket (`abstract=on`). */
export function isAbstract(a: SocketAddress): boolean {
  return a.transport === "unix" && a.options.abstract === "on";
}

/** Whether an abstract socket's address is its name only (`tight=on`, QEMU's default), not padded. */
export function isTight(a: SocketAddress): boolean {
  return a.options.tight !== "off";
}

/**
 * Formats an address as `unix:PATH` or `tcp:HOST:PORT` (no options); an
 * abstract socket as `unix:@NAME`, as Linux lists it.
 *
 * @example
 * ```ts
 * import { formatSocketAddress } from "@cxl-dcd/conformance/qmp";
 * if (formatSocketAddress({ path: "/x" }) !== "unix:/x") throw new Error("unix:/x expected");
 * ```
 */
export function formatSocketAddress(spec: SocketAddressLike): string {
  const a = parseSocketAddress(spec);
  if (a.transport === "unix") return `unix:${isAbstract(a) ? "@" : ""}${a.path}`;
  const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
  return `tcp:${host}:${a.port}`;
}
