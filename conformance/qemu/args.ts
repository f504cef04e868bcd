/**
 * The command line a QEMU target runs: the machine description (QEMU
 * arguments, as the model takes them) plus TCG, no display, no default
 * devices, and the target's own QMP and qtest sockets.
 *
 * @module
 */

/** Paths of the sockets the target gives QEMU. */
export interface QemuSockets {
  /** QMP monitor handed to the conformance runner. */
  qmp: string;
  /** Private QMP monitor of the target (discovery, capabilities). */
  control: string;
  /** qtest server socket (the host side). */
  qtest: string;
}

/**
 * The QEMU binary to run: the explicit option, else `$QEMU_BINARY`, else
 * `qemu-system-x86_64` from PATH.
 *
 * @example
 * ```ts
 * import { qemuBinary } from "@cxl-dcd/conformance/conformance";
 * if (qemuBinary("/opt/qemu") !== "/opt/qemu") throw new Error();
 * ```
 */
export function qemuBinary(option?: string): string {
  if (option !== undefined && option !== "") return option;
  let env: string | undefined;
  try {
    env = Deno.env.get("QEMU_BINARY");
  } catch {
    env = undefined; // no --allow-env
  }
  return env !== undefined && env !== "" ? env : "qemu-system-x86_64";
}

/**
 * QMP monitors the QEMU target gives QEMU: the fixture's and a private control
 * monitor (see {@linkcode buildQemuArgs}). The model targets give their
 * machines as many, so releases that list monitors in QOM (11.1) show the same.
 */
export const TARGET_MONITORS = 2;

/** Options the target replaces with its own (with their values). */
const OWN_OPTIONS = new Set(["-qmp", "-qmp-pretty", "-qtest", "-qtest-log", "-daemonize"]);
const OPTIONS_WITHOUT_VALUE = new Set(["-daemonize"]);

/**
 * An argument as the option QEMU reads it: `--opt` is `-opt` (QEMU accepts
 * both spellings); anything else is unchanged.
 *
 * @example
 * ```ts
 * import { optionName } from "@cxl-dcd/conformance/conformance";
 * if (optionName("--device") !== "-device" || optionName("-M") !== "-M") throw new Error();
 * ```
 */
export function optionName(arg: string): string {
  return arg.startsWith("--") ? arg.slice(1) : arg;
}

/**
 * Builds QEMU's arguments from a machine description: the description's own
 * `-qmp`, `-qtest`, `-qtest-log` and `-daemonize` are dropped; `-accel tcg`
 * is added unless an accelerator is given (`accel=` in `-machine`/`-M`, or
 * `-accel`); `-display none` and `-nodefaults` are added unless present;
 * then two QMP monitors and the qtest server on the given sockets.
 *
 * @example
 * ```ts
 * import { buildQemuArgs } from "@cxl-dcd/conformance/conformance";
 * const args = buildQemuArgs(["-M", "q35"], { qmp: "/d/q", control: "/d/c", qtest: "/d/t" });
 * if (!args.includes("tcg")) throw new Error();
 * ```
 */
export function buildQemuArgs(machine: readonly string[], sockets: QemuSockets): string[] {
  const out: string[] = [];
  let accel = false;
  let display = false;
  let nodefaults = false;
  for (let i = 0; i < machine.length; i++) {
    const arg = machine[i] as string;
    const name = optionName(arg);
    if (OWN_OPTIONS.has(name)) {
      if (!OPTIONS_WITHOUT_VALUE.has(name)) i++;
      continue;
    }
    if ((name === "-machine" || name === "-M") && /(^|,)accel=/.test(machine[i + 1] ?? "")) {
      accel = true;
    }
    if (name === "-accel" || name === "-enable-kvm") accel = true;
    if (name === "-display" || name === "-nographic") display = true;
    if (name === "-nodefaults") nodefaults = true;
    out.push(arg);
  }
  if (!accel) out.push("-accel", "tcg");
  if (!display) out.push("-display", "none");
  if (!nodefaults) out.push("-nodefaults");
  out.push(
    "-qmp",
    `unix:${sockets.qmp},server=on,wait=off`,
    "-qmp",
    `unix:${sockets.control},server=on,wait=off`,
    "-qtest",
    `unix:${sockets.qtest},server=on,wait=off`,
    "-qtest-log",
    "none",
  );
  return out;
}

/** Whether the description starts the machine paused (`-S`): no firmware runs. */
export function startsPaused(machine: readonly string[]): boolean {
  return machine.some((a) => a === "-S" || a === "--S");
}

/** Ids of the `cxl-type3` devices the description declares, in order (`""` for a device without one). */
export function declaredType3Ids(machine: readonly string[]): string[] {
  const ids: string[] = [];
  for (let i = 0; i < machine.length; i++) {
    const name = optionName(machine[i] as string);
    if (name !== "-device") continue;
    const value = machine[i + 1] ?? "";
    if (value.trimStart().startsWith("{")) {
      // JSON syntax: -device '{"driver": "cxl-type3", "id": ...}'
      try {
        const json = JSON.parse(value) as { driver?: unknown; id?: unknown };
        if (json.driver === "cxl-type3") ids.push(typeof json.id === "string" ? json.id : "");
      } catch {
        // QEMU will refuse it
      }
      continue;
    }
    const parts = value.split(",");
    const driver = parts[0]?.startsWith("driver=") ? parts[0].slice(7) : parts[0];
    if (driver !== "cxl-type3" && !parts.includes("driver=cxl-type3")) continue;
    ids.push(parts.find((p) => p.startsWith("id="))?.slice(3) ?? "");
  }
  return ids;
}

/** The expander host bridges, whose `bus_nr` numbers a root bus of its own. */
const EXPANDERS = new Set(["pxb", "pxb-pcie", "pxb-cxl"]);
/** Options that may add or change devices other than by `-device` (then nothing is declared for sure). */
const DEVICE_CHANGERS = new Set(["-readconfig", "-set", "-global"]);

/**
 * The root bus numbers a description declares: 0 and the `bus_nr` of each
 * expander host bridge (`pxb`, `pxb-pcie`, `pxb-cxl`), ascending, or
 * `undefined` when the arguments do not say for sure (an expander without
 * a `bus_nr` QEMU would take as given, or `-readconfig`, `-set`, `-global`
 * that may add or change devices).
 *
 * @example
 * ```ts
 * import { declaredRootBuses } from "@cxl-dcd/conformance/conformance";
 * const roots = declaredRootBuses(["-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1"]);
 * if (roots?.join() !== "0,23") throw new Error();
 * ```
 */
export function declaredRootBuses(machine: readonly string[]): number[] | undefined {
  const roots = new Set([0]);
  for (let i = 0; i < machine.length; i++) {
    const name = optionName(machine[i] as string);
    if (DEVICE_CHANGERS.has(name)) return undefined;
    if (name !== "-device") continue;
    const value = machine[i + 1] ?? "";
    let driver: unknown;
    let busNr: unknown;
    if (value.trimStart().startsWith("{")) {
      try {
        const json = JSON.parse(value) as { driver?: unknown; bus_nr?: unknown };
        [driver, busNr] = [json.driver, json.bus_nr];
      } catch {
        return undefined; // QEMU will refuse it
      }
    } else {
      const parts = value.split(",");
      driver = parts[0]?.startsWith("driver=") ? parts[0].slice(7) : parts[0];
      if (parts.includes("driver=pxb-cxl")) driver = "pxb-cxl";
      busNr = parts.findLast((p) => p.startsWith("bus_nr="))?.slice(7);
    }
    if (typeof driver !== "string" || !EXPANDERS.has(driver)) continue;
    const n = typeof busNr === "number"
      ? busNr
      : typeof busNr === "string" && /^(0x[0-9a-f]+|[0-9]+)$/i.test(busNr)
      ? Number(busNr)
      : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 0xff) return undefined;
    roots.add(n);
  }
  return [...roots].sort((a, b) => a - b);
}
