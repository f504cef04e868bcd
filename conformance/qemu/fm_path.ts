/**
 * The fabric manager's path to a type-3 device of a real QEMU, over qtest:
 * the `cxl-switch-mailbox-cci` function whose `target` is the switch above
 * the device, driven like any CXL mailbox, carrying each FM-API command in a
 * 0x5300 Tunnel Management Command to the device's downstream port number
 * (envelope in `model/fm_tunnel.ts`, shared with the model).
 *
 * Which CCI and which port come from the machine's `-device` arguments
 * (type-3 `bus=` a `cxl-downstream` with `port=`, whose `bus=` is a
 * `cxl-upstream` that a `cxl-switch-mailbox-cci` has as `target=`); where
 * the function sits comes from `query-pci` (by the CCI's id) or, for a CCI
 * without an id, from the bus walk when the machine has exactly one.
 *
 * @module
 */

import type { MailboxReply } from "../../model/host_interface.ts";
import {
  decodeTunnelResponse,
  encodeTunnelRequest,
  TUNNEL_MANAGEMENT_COMMAND,
} from "../../model/fm_tunnel.ts";
import type { QmpValue } from "../../model/qmp_value.ts";
import { optionName } from "./args.ts";
import { pciTopology } from "./devices.ts";
import { QtestMailbox } from "./mailbox.ts";
import {
  findPrimaryMailbox,
  formatPciAddress,
  type PciAddress,
  waitMemoryDecoding,
  walkPci,
} from "./pci.ts";
import type { QtestClient } from "./qtest.ts";

/** QEMU's switch mailbox CCI function: 19e5:a123 (Huawei, emulation-only id). */
export const SWITCH_CCI_ID = { vendor: 0x19e5, deviceId: 0xa123 } as const;

/** Where the fabric manager reaches one type-3 device. */
export interface DeclaredFmRoute {
  /** Downstream port number (`port=` of its `cxl-downstream`). */
  port: number;
  /** Id of the `cxl-upstream` above it. */
  upstream: string;
  /** Id of the `cxl-switch-mailbox-cci` targeting that upstream port (empty when it has none). */
  cci: string;
}

function deviceOptions(machine: readonly string[]): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (let i = 0; i < machine.length; i++) {
    if (optionName(machine[i] as string) !== "-device") continue;
    const value = machine[i + 1] ?? "";
    const props = new Map<string, string>();
    value.split(",").forEach((part, k) => {
      const eq = part.indexOf("=");
      if (eq < 0) {
        if (k === 0) props.set("driver", part);
        return;
      }
      props.set(part.slice(0, eq), part.slice(eq + 1));
    });
    out.push(props);
  }
  return out;
}

/**
 * The FM routes the machine's arguments declare, by type-3 id.
 *
 * @example
 * ```ts
 * import { declaredFmRoutes } from "./fm_path.ts";
 * const r = declaredFmRoutes([
 *   "-device", "cxl-upstream,port=33,bus=rp0,id=us0",
 *   "-device", "cxl-switch-mailbox-cci,bus=rp0,addr=0.1,target=us0,id=cci0",
 *   "-device", "cxl-downstream,port=2,bus=us0,id=dsp0",
 *   "-device", "cxl-type3,bus=dsp0,id=mem0,num-dc-regions=1",
 * ]);
 * const m = r.get("mem0");
 * if (m?.port !== 2 || m.cci !== "cci0" || m.upstream !== "us0") throw new Error();
 * ```
 */
export function declaredFmRoutes(machine: readonly string[]): Map<string, DeclaredFmRoute> {
  const devices = deviceOptions(machine);
  const byId = new Map<string, Map<string, string>>();
  for (const d of devices) {
    const id = d.get("id");
    if (id !== undefined) byId.set(id, d);
  }
  const routes = new Map<string, DeclaredFmRoute>();
  for (const d of devices) {
    if (d.get("driver") !== "cxl-type3" || d.get("id") === undefined) continue;
    const dsp = byId.get(d.get("bus") ?? "");
    if (dsp?.get("driver") !== "cxl-downstream") continue;
    const upstream = dsp.get("bus") ?? "";
    if (byId.get(upstream)?.get("driver") !== "cxl-upstream") continue;
    const cci = devices.find((c) =>
      c.get("driver") === "cxl-switch-mailbox-cci" && c.get("target") === upstream
    );
    if (cci === undefined) continue;
    routes.set(d.get("id")!, {
      port: Number(dsp.get("port") ?? "0"),
      upstream,
      cci: cci.get("id") ?? "",
    });
  }
  return routes;
}

/** Locates a switch CCI function: by its id in `query-pci`, else the machine's only one. */
export async function findSwitchCci(
  qt: QtestClient,
  queryPci: QmpValue,
  cci: string,
): Promise<PciAddress> {
  const topo = pciTopology(queryPci);
  if (cci !== "") {
    for (const [address, id] of topo.ids) {
      if (id !== cci) continue;
      const [bus, rest] = address.split(":");
      const [device, fn] = (rest ?? "").split(".");
      return { bus: parseInt(bus!, 16), device: parseInt(device!, 16), function: Number(fn) };
    }
    throw new Error(
      `query-pci places no function with id '${cci}': expected the cxl-switch-mailbox-cci ` +
        "to be enumerated",
    );
  }
  const found = (await walkPci(qt, topo.rootBuses)).filter((f) =>
    f.vendor === SWITCH_CCI_ID.vendor && f.deviceId === SWITCH_CCI_ID.deviceId
  );
  if (found.length !== 1) {
    throw new Error(
      `${found.length} switch mailbox CCI functions (19e5:a123) found: give the ` +
        "cxl-switch-mailbox-cci an id= so the device's FM path is unambiguous",
    );
  }
  const f = found[0]!;
  return { bus: f.bus, device: f.device, function: f.function };
}

/**
 * An FM-API view of one type-3 device: each command tunnelled through the
 * switch CCI's mailbox to the device's downstream port.
 *
 * @example
 * ```ts ignore
 * import { QtestFmPath } from "./fm_path.ts";
 * declare const cciMailbox: import("./mailbox.ts").QtestMailbox;
 * const fm = new QtestFmPath(cciMailbox, 2);
 * const { rc, payload } = await fm.fm(0x5600, new Uint8Array(0));
 * ```
 */
export class QtestFmPath {
  readonly #mailbox: QtestMailbox;
  readonly #port: number;
  #tag = 0;

  /** Tunnels through `mailbox` (the switch CCI's) to downstream port `port`. */
  constructor(mailbox: QtestMailbox, port: number) {
    this.#mailbox = mailbox;
    this.#port = port;
  }

  /** Runs one FM-API command on the device below the port. */
  async fm(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
    const tag = this.#tag;
    this.#tag = (this.#tag + 1) & 0xff;
    const outer = await this.#mailbox.mailbox(
      TUNNEL_MANAGEMENT_COMMAND,
      encodeTunnelRequest(this.#port, opcode, payload, tag),
    );
    return decodeTunnelResponse(outer, opcode);
  }

  /** Runs one command on the switch CCI itself (a 0x5300 envelope is sent as given). */
  switchCci(opcode: number, payload: Uint8Array): Promise<MailboxReply> {
    return this.#mailbox.mailbox(opcode, payload);
  }
}

/** Opens the FM path of a declared route: locates the CCI, waits for its BAR, finds its mailbox. */
export async function openFmPath(
  qt: QtestClient,
  queryPci: QmpValue,
  route: DeclaredFmRoute,
  timeoutMs: number,
): Promise<QtestFmPath> {
  const address = await findSwitchCci(qt, queryPci, route.cci);
  await waitMemoryDecoding(qt, address, timeoutMs);
  let base: bigint;
  try {
    base = await findPrimaryMailbox(qt, address);
  } catch (e) {
    throw new Error(
      `switch CCI at ${formatPciAddress(address)}: ${(e as Error).message}`,
    );
  }
  return new QtestFmPath(new QtestMailbox(qt, base), route.port);
}
