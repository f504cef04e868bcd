/**
 * The QMP monitors a QEMU command line asks for: `-qmp CHARDEV` (and
 * `-qmp-pretty`), and libvirt's spelling `-chardev socket,id=X,path=...`
 * (or `host=...,port=...`, or `-chardev stdio,id=X`) with
 * `-mon chardev=X,mode=control`. A socket without `server=on` is a
 * client-mode socket: QEMU connects out to it.
 *
 * @module
 */

import { splitKeyval } from "../model/cmdline/keyval.ts";
import { parseSocketAddress, type SocketAddress } from "./address.ts";

/** One QMP monitor of the command line. */
export type MonitorSpec =
  | {
    /** A socket: listened on (`server=on`) or connected to. */
    kind: "socket";
    /** The address. */
    address: SocketAddress;
    /** Whether QEMU listens (`server=on`) rather than connects out. */
    server: boolean;
    /** The option QEMU names in its messages, e.g. `-qmp unix:q.sock`. */
    location: string;
  }
  | {
    /** Standard input and output. */
    kind: "stdio";
    /** The option QEMU names in its messages. */
    location: string;
  };

const isOn = (v: string | undefined): boolean => v === "on" || v === "yes" || v === "true";

/** `key=value` options; a leading part without `=` is the `backend`. */
function keyval(text: string): Map<string, string> {
  const parts = splitKeyval(text);
  const m = new Map<string, string>();
  if (parts[0] !== undefined && !parts[0].includes("=")) m.set("backend", parts.shift()!);
  for (const opt of parts) {
    if (opt === "") continue;
    const eq = opt.indexOf("=");
    if (eq >= 0) m.set(opt.slice(0, eq), opt.slice(eq + 1));
    else if (opt.startsWith("no")) m.set(opt.slice(2), "off");
    else m.set(opt, "on");
  }
  return m;
}

function chardevSpec(value: string, location: string): MonitorSpec {
  const o = keyval(value);
  const backend = o.get("backend");
  if (backend === "stdio") return { kind: "stdio", location };
  if (backend !== "socket") {
    throw new TypeError(
      `${location}: chardev backend '${backend}' is not supported: expected socket or stdio`,
    );
  }
  const path = o.get("path");
  const options: Record<string, string> = {};
  for (const [k, v] of o) if (k !== "backend" && k !== "id") options[k] = v;
  let address: SocketAddress;
  if (path !== undefined) {
    address = { transport: "unix", path, options };
  } else {
    const port = Number(o.get("port"));
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TypeError(`${location}: expected path=PATH or host=HOST,port=PORT`);
    }
    address = { transport: "tcp", hostname: o.get("host") ?? "", port, options };
  }
  return { kind: "socket", address, server: isOn(options.server), location };
}

/**
 * The QMP monitors of a QEMU command line, in order.
 *
 * @example
 * ```ts
 * import { monitorSpecs } from "./monitor_args.ts";
 * const [m] = monitorSpecs([
 *   "-chardev", "socket,id=mon0,path=/tmp/q.sock,server=on,wait=off",
 *   "-mon", "chardev=mon0,mode=control",
 * ]);
 * if (m?.kind !== "socket" || !m.server || m.address.transport !== "unix") throw new Error();
 * ```
 *
 * @throws {TypeError} with QEMU's message for `-mon` naming an unknown chardev, or for an unsupported chardev.
 */
export function monitorSpecs(args: readonly string[]): MonitorSpec[] {
  const out: MonitorSpec[] = [];
  const chardevs = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const m = /^--?(qmp|qmp-pretty|chardev|mon)(?:=(.*))?$/.exec(args[i]!);
    if (m === null) continue;
    const value = m[2] ?? args[++i];
    if (value === undefined) continue;
    const location = `-${m[1]} ${value}`;
    if (m[1] === "chardev") {
      const id = keyval(value).get("id");
      if (id !== undefined) chardevs.set(id, value);
    } else if (m[1] === "mon") {
      const o = keyval(value);
      const chardev = o.get("chardev");
      if (o.get("mode") !== "control") continue; // readline: the human monitor
      const spec = chardev === undefined ? undefined : chardevs.get(chardev);
      if (spec === undefined) {
        throw new TypeError(`${location}: chardev "${chardev ?? ""}" not found`);
      }
      out.push(chardevSpec(spec, `-chardev ${spec}`));
    } else if (value === "stdio") {
      out.push({ kind: "stdio", location });
    } else {
      const address = parseSocketAddress(value);
      out.push({ kind: "socket", address, server: isOn(address.options.server), location });
    }
  }
  return out;
}
