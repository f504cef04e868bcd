/**
 * The machine a benchmark ran on: CPUs, memory, OS, Deno and QEMU versions.
 *
 * @module
 */

/** Facts about the benchmark machine. */
export interface SystemInfo {
  /** Logical CPUs (`navigator.hardwareConcurrency`, as nproc). */
  nproc: number;
  /** CPU model from /proc/cpuinfo (or `unknown`). */
  cpuModel: string;
  /** Total memory in bytes (or 0 when unknown). */
  memoryBytes: number;
  /** OS and kernel, e.g. `linux 6.1.0`. */
  os: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  /** First line of `qemu-system-x86_64 --version`, or `QEMU not found`. */
  qemu: string;
  /** QEMU binary path as given. */
  qemuBinary: string;
  /** When the run started (ISO 8601). */
  date: string;
  /** 1-minute load average when the run started (/proc/loadavg; null when unknown). */
  loadStart: number | null;
  /** 1-minute load average when it ended (set by the driver; null when unknown). */
  loadEnd: number | null;
}

/**
 * The 1-minute load average (/proc/loadavg), or null where there is none:
 * other work on the machine while the numbers were taken.
 */
export async function loadAverage(): Promise<number | null> {
  const first = (await readText("/proc/loadavg")).split(" ")[0];
  const n = Number(first);
  return first === undefined || first === "" || !Number.isFinite(n) ? null : n;
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

/**
 * The first line of `BINARY --version`, or undefined when it cannot run.
 *
 * @example
 * ```ts
 * import { qemuVersion } from "./system_info.ts";
 * if (await qemuVersion("/nonexistent/qemu") !== undefined) throw new Error("absent binary");
 * ```
 */
export async function qemuVersion(binary: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(binary, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) return undefined;
    return new TextDecoder().decode(out.stdout).split("\n")[0]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Collects the machine's facts.
 *
 * @example
 * ```ts
 * import { systemInfo } from "./system_info.ts";
 * const info = await systemInfo("/nonexistent/qemu");
 * if (info.qemu !== "QEMU not found" || !(info.nproc > 0)) throw new Error();
 * ```
 */
export async function systemInfo(qemuBinary: string): Promise<SystemInfo> {
  const cpuinfo = await readText("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const meminfo = await readText("/proc/meminfo");
  const kb = Number(/^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo)?.[1] ?? 0);
  const v = Deno.version;
  return {
    nproc: navigator.hardwareConcurrency,
    cpuModel: model,
    memoryBytes: kb * 1024,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: `deno ${v.deno} (V8 ${v.v8}, TypeScript ${v.typescript})`,
    qemu: (await qemuVersion(qemuBinary)) ?? "QEMU not found",
    qemuBinary,
    date: new Date().toISOString(),
    loadStart: await loadAverage(),
    loadEnd: null,
  };
}
