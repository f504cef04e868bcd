/**
 * cxl-dcd-conformance: a reference model of QEMU's CXL Type-3 device with
 * Dynamic Capacity (DCD) and the tagged-memory RFC, a QMP wire layer that
 * serves it as a drop-in fake QEMU, and a conformance suite of QMP
 * transcripts that runs against the model and against a real QEMU.
 *
 * This root module is what a user of the model, the served fake and the
 * suite needs; everything else stays public at the sub-module paths
 * `@cxl-dcd/conformance/model`, `@cxl-dcd/conformance/qmp` and
 * `@cxl-dcd/conformance/conformance`.
 *
 * - the model: {@linkcode createMachine} builds a machine from QEMU's own
 *   command-line arguments; profiles (`qemu-10.0`, `seed`, ...) are data,
 *   taken as records or by name ({@linkcode profileByName}).
 * - the served fake: {@linkcode QmpServer} with a {@linkcode HostExtension},
 *   and {@linkcode QmpClient} to talk to it (or to QEMU).
 * - the suite: {@linkcode runSuite} / {@linkcode runFixture} over
 *   {@linkcode loadFixtures}, targets from {@linkcode createTargets}, the
 *   reporters, {@linkcode parseTranscript}, and the host codec
 *   {@linkcode HOST_COMMANDS} with the host helpers shared by every target.
 *
 * @example Offer capacity to a model device and accept it as the host
 * ```ts
 * import { acceptOffer, createMachine, listAllExtents } from "@cxl-dcd/conformance";
 *
 * const machine = createMachine([
 *   "-M", "q35,cxl=on", "-m", "2G,maxmem=8G,slots=4",
 *   "-object", "memory-backend-ram,id=vmem0,share=on,size=2G",
 *   "-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
 *   "-device", "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
 *   "-device", "cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
 *   "-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
 * ], { profile: "seed" });
 * const reply = machine.execute("cxl-add-dynamic-capacity", {
 *   path: "/machine/peripheral/cxl-vmem0", "host-id": 0,
 *   "selection-policy": "prescriptive", region: 0,
 *   extents: [{ offset: 0, len: 128 * 1024 * 1024 }],
 * });
 * if (!("return" in reply)) throw new Error(reply.error.desc);
 * const host = machine.host("cxl-vmem0");
 * await acceptOffer(host);
 * const extents = await listAllExtents(host);
 * if (extents.length !== 1) throw new Error("expected one accepted extent");
 * ```
 *
 * @module
 */

// The model: machines, profiles, the host interface, QMP values.
export {
  type CelEntry,
  createMachine,
  DEFAULT_PROFILE,
  type ExecuteOptions,
  type HostInterface,
  type Machine,
  type MachineOptions,
  type MachineState,
  MAILBOX_PAYLOAD_MAX,
  type MailboxReply,
  Opcode,
  type PortStateEncoding,
  type Profile,
  profileByName,
  type ProfileChoice,
  profileForVersion,
  type ProfileRef,
  PROFILES,
  QEMU_10_0,
  QEMU_10_1,
  QEMU_10_2,
  QEMU_11_1,
  type QemuVersion,
  type QmpErrorBody,
  type QmpEvent,
  type QmpObject,
  type QmpResult,
  type QmpValue,
  type ReleaseLine,
  RELEASES,
  resolveProfile,
  ReturnCode,
  type RunState,
  SEED,
  SEED_FEATURES,
  StartupError,
  type SwitchCciRelease,
  withDcd,
  withSeed,
} from "./model/mod.ts";
// The served fake and a QMP client: QEMU's wire protocol over real sockets.
export {
  bindSockets,
  type BoundSockets,
  formatJson,
  HOST_MODES,
  HostExtension,
  type HostMode,
  MAILBOX_COMMAND,
  parseJson,
  QmpClient,
  type QmpClientOptions,
  QmpCommandError,
  QmpServer,
  type QmpServerOptions,
  STATE_COMMAND,
} from "./qmp/mod.ts";
// The suite: fixtures, targets, runs, reports, and the host side of the mailbox.
export {
  acceptOffer,
  ConsoleReporter,
  type CreateTargetOptions,
  createTargets,
  type DcExtent,
  decodeHostReply,
  DEFAULT_EXPECTATIONS_DIR,
  DEFAULT_FIXTURES_DIR,
  DEFAULT_MACHINES_DIR,
  defineFixtureTests,
  drainDcEvents,
  encodeHostRequest,
  filterFixtures,
  type FixtureFile,
  type FixtureResult,
  type FixtureTestOptions,
  formatJsonReport,
  formatJunit,
  formatTap,
  HOST_COMMANDS,
  listAllExtents,
  loadExpectations,
  loadFixtures,
  MachinePresets,
  modelSocketTarget,
  type ModelSocketTargetOptions,
  modelTarget,
  type ModelTargetOptions,
  type Outcome,
  parseTranscript,
  qemuTarget,
  type QemuTargetOptions,
  qmpTarget,
  type QmpTargetOptions,
  readDcConfig,
  type RecordOptions,
  type RecordResult,
  recordTranscript,
  release,
  runFixture,
  type RunFixtureOptions,
  runSuite,
  shardFixtures,
  type Step,
  type SuiteOptions,
  type SuiteResult,
  type SuiteTarget,
  type Target,
  type TargetCapabilities,
  TargetClosedError,
  type TargetExit,
  type TargetInstance,
  TargetStartupError,
  type TargetSummary,
  TargetTimeoutError,
  type Transcript,
  TranscriptError,
} from "./conformance/mod.ts";
// Types the values above mention (so that each is documented where it is used).
export type {
  DcdParameters,
  DevicePropertyTable,
  JsonErrorDialect,
  QmpParameters,
  QomParameters,
  TableCommand,
  TaggedMemoryFeatures,
} from "./model/mod.ts";
export type {
  CommandExtension,
  DeviceHost,
  EventExtent,
  FormatOptions,
  HostAction,
  QmpChannel,
  QmpStream,
  SocketAddress,
  SocketAddressLike,
} from "./qmp/mod.ts";
export type {
  AcceptOptions,
  Alternative,
  Bringup,
  CloseOptions,
  DcConfig,
  DcRegionConfig,
  DpaRange,
  EventRecord,
  ExpectNoneStep,
  ExpectSetStep,
  ExpectStep,
  FailureClass,
  FixtureMachines,
  HostCommand,
  HostExpectation,
  HostField,
  HostFieldType,
  HostRequest,
  HostResult,
  HostStep,
  MachineSpec,
  OfferAnswer,
  PciAddress,
  QemuInstance,
  QemuProcess,
  QtestClient,
  RecordEdit,
  ReleaseOp,
  ReportedVersion,
  Selector,
  SelectorAtom,
  SendRawStep,
  SendStep,
  StartOptions,
  StartupErrorStep,
  StepBase,
  StepFailure,
  TargetInfo,
  TargetRunInfo,
  TranscriptHeader,
  Type3Device,
} from "./conformance/mod.ts";
