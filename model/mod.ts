/**
 * The reference model of QEMU's CXL Type-3 device with Dynamic Capacity, and
 * of the seed's tagged memory, as a pure in-process machine: QEMU arguments
 * in, QMP commands and host mailbox commands answered exactly as QEMU 10.0.2
 * (profile `qemu-10.0`) or the seed profile (`seed`, the default) answers.
 *
 * @example
 * ```ts
 * import { createMachine, QEMU_10_0 } from "@cxl-dcd/conformance/model";
 * const m = createMachine([
 *   "-machine", "q35,cxl=on",
 *   "-m", "2G,maxmem=8G,slots=4",
 *   "-object", "memory-backend-ram,id=vmem0,share=on,size=2G",
 *   "-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
 *   "-device", "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
 *   "-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
 *   "-device", "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
 * ], { profile: QEMU_10_0 });
 * const r = m.execute("object-add", {
 *   "qom-type": "memory-backend-tagged", id: "tm0", size: 1073741824,
 *   tag: "5be13bce-ae34-4a77-b6c3-16df975fcf1a",
 * });
 * if (!("error" in r)) throw new Error("stock QEMU has no tagged backends");
 * ```
 *
 * @module
 */

export { createMachine } from "./machine.ts";
export {
  type ExecuteOptions,
  type Machine,
  type MachineOptions,
  type MachineState,
  type RunState,
  StartupError,
} from "./machine_types.ts";
export {
  type DcdParameters,
  DEFAULT_PROFILE,
  type JsonErrorDialect,
  type Profile,
  profileByName,
  type ProfileChoice,
  profileForVersion,
  profileOfBuild,
  PROFILES,
  QEMU_10_0,
  QEMU_10_1,
  QEMU_10_2,
  QEMU_11_1,
  type QemuVersion,
  type QmpParameters,
  type QomParameters,
  type ReleaseLine,
  RELEASES,
  SEED,
  SEED_FEATURES,
  type TaggedMemoryFeatures,
  withDcd,
  withSeed,
} from "./profile.ts";
export { type ProfileRef, resolveProfile } from "./profile_ref.ts";
export {
  type CelEntry,
  type PortStateEncoding,
  QEMU_10_1_SWITCH_CCI,
  QEMU_11_1_SWITCH_CCI,
  type SwitchCciRelease,
} from "./switch_release_tables.ts";
export type { DevicePropertyTable } from "./device_property_tables.ts";
export {
  type HostInterface,
  MAILBOX_PAYLOAD_MAX,
  type MailboxReply,
  Opcode,
  ReturnCode,
  type ReturnCodeName,
} from "./host_interface.ts";
export {
  qmpError,
  type QmpErrorBody,
  type QmpEvent,
  type QmpObject,
  type QmpResult,
  qmpReturn,
  type QmpValue,
} from "./qmp_value.ts";
export {
  formatUuid,
  isNilUuid,
  isUuid,
  NIL_UUID,
  parseUuid,
  tryParseUuid,
  UUID_BYTES,
  uuidEquals,
} from "./uuid.ts";
export * from "./dcd/mod.ts";
export {
  type CommandLine,
  type DeviceSpec,
  type FixedWindowSpec,
  type ObjectSpec,
  parseCommandLine,
} from "./cmdline/parse.ts";
export { parseSize } from "./cmdline/size.ts";
export { type OptionMap, parseKeyval } from "./cmdline/keyval.ts";
export { fixedWindowBase } from "./topology.ts";
export { Backend, BackendStore } from "./backends.ts";
export { buildSchema } from "./qapi/schema.ts";
export { introspect } from "./qapi/introspect.ts";
export { QapiError, Validator } from "./qapi/validate.ts";
export type {
  CommandDef,
  EnumDef,
  EventDef,
  MemberDef,
  QapiSchema,
  StructDef,
  TypeDef,
  UnionDef,
} from "./qapi/types.ts";
