/**
 * The `qemu` conformance target: real QEMU (TCG, no display, private QMP
 * and qtest sockets), whose host side is the device mailbox driven over
 * qtest. Starts are costly (`costlyStarts`), so the runner lets fixtures
 * that leave their machine as they found it share one, renewed between them
 * (`QemuInstance.renew`), unless run isolated. Capabilities are detected from
 * the binary itself and cached per binary (path, size, modification time).
 *
 * @module
 */

import { qemuBinary } from "../qemu/args.ts";
import type { Bringup } from "../qemu/bringup.ts";
import {
  binaryKey,
  cacheDir,
  detectCapabilities,
  fetchProbe,
  readCachedCapabilities,
  resolveBinary,
  writeCachedCapabilities,
} from "../qemu/capabilities.ts";
import { launchQemu, type QemuInstance } from "../qemu/launcher.ts";
import type { StartOptions, Target, TargetCapabilities } from "../target_types.ts";

/** Options of {@linkcode qemuTarget}. */
export interface QemuTargetOptions {
  /** QEMU binary (default: `$QEMU_BINARY`, else `qemu-system-x86_64` on PATH). */
  binary?: string;
  /** Start-up timeout per launch (default 10000 ms). */
  startTimeoutMs?: number;
  /** Device discovery timeout per launch (default 5000 ms). */
  deviceTimeoutMs?: number;
  /** Who brings PCI up: `direct` over qtest (default) or `firmware` (SeaBIOS). */
  bringup?: Bringup;
  /** Capability cache directory (default `$XDG_CACHE_HOME/cxl-dcd-conformance` or `.cache`). */
  cacheDir?: string;
  /** Set false to always probe the binary (default true). */
  cache?: boolean;
}

/** Arguments of the short-lived probe machine used for capability detection. */
const PROBE_MACHINE: readonly string[] = ["-machine", "none"];

/**
 * Creates the `qemu` target.
 *
 * @example
 * ```ts ignore
 * import { qemuTarget } from "@cxl-dcd/conformance/conformance";
 * const target = qemuTarget();
 * const caps = await target.capabilities([]);
 * console.log(caps.profile); // "qemu-10.0" for stock Debian QEMU 10.0.2
 * ```
 */
export function qemuTarget(options?: QemuTargetOptions): Target & {
  start(
    machine: readonly string[],
    signal?: AbortSignal,
    startOptions?: StartOptions,
  ): Promise<QemuInstance>;
} {
  options ??= {};
  const binary = qemuBinary(options.binary);
  let cached: Promise<TargetCapabilities> | undefined;
  const launchOptions = (signal?: AbortSignal, keepFailed = false) => ({
    binary,
    ...(keepFailed ? { keepFailed } : {}),
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
    ...(options.deviceTimeoutMs !== undefined ? { deviceTimeoutMs: options.deviceTimeoutMs } : {}),
    ...(options.bringup !== undefined ? { bringup: options.bringup } : {}),
    ...(signal !== undefined ? { signal } : {}),
  });
  const probe = async (): Promise<TargetCapabilities> => {
    const dir = options.cacheDir ?? cacheDir();
    const key = options.cache === false ? undefined : await binaryKey(binary);
    if (key !== undefined) {
      const hit = await readCachedCapabilities(key, dir);
      if (hit !== undefined) return hit;
    }
    const instance = await launchQemu(PROBE_MACHINE, launchOptions());
    try {
      const caps = detectCapabilities(
        await fetchProbe((command, args) => instance.control.execute(command, args)),
        { hostSide: true },
      );
      if (key !== undefined) await writeCachedCapabilities(key, caps, dir);
      return caps;
    } finally {
      await instance.close();
    }
  };
  return {
    name: "qemu",
    capabilities(_machine: readonly string[]): Promise<TargetCapabilities> {
      // The banner and the reports name the binary that answered, as found on PATH.
      cached ??= probe().then((caps) => ({
        ...caps,
        binary: resolveBinary(binary) ?? binary,
        costlyStarts: true,
      }));
      cached.catch(() => cached = undefined);
      return cached;
    },
    start(
      machine: readonly string[],
      signal?: AbortSignal,
      startOptions: StartOptions = {},
    ): Promise<QemuInstance> {
      return launchQemu(machine, launchOptions(signal, startOptions.keepFailed === true));
    },
  };
}
