/**
 * Real QEMU as a conformance target: the launcher (process, sockets,
 * cleanup, crash and hang detection), the qtest client, PCI discovery of CXL
 * type-3 devices, the mailbox driver implementing `HostInterface`, and
 * capability detection over QMP.
 *
 * @example
 * ```ts
 * import { buildQemuArgs } from "@cxl-dcd/conformance/conformance";
 * const args = buildQemuArgs(["-machine", "q35,cxl=on"], {
 *   qmp: "/tmp/d/qmp.sock",
 *   control: "/tmp/d/control.sock",
 *   qtest: "/tmp/d/qtest.sock",
 * });
 * if (!args.includes("-qtest")) throw new Error();
 * ```
 *
 * @module
 */

export type { QmpObject, QmpValue } from "../../model/qmp_value.ts";
export type { QmpClient } from "../../qmp/client.ts";
export type { Target, TargetCapabilities, TargetExit, TargetInstance } from "../target_types.ts";
export * from "./args.ts";
export * from "./bringup.ts";
export * from "./capabilities.ts";
export * from "./devices.ts";
export * from "./launcher.ts";
export * from "./mailbox.ts";
export * from "./pci.ts";
export * from "./process.ts";
export * from "./qtest.ts";
