/**
 * The QAPI schema subset the model implements, per profile: the commands,
 * events and types of QEMU 10.0.2 that concern the CXL model (plus the seed's
 * additions when the profile has them), described as data.
 *
 * @module
 */

import type { Profile } from "../profile.ts";
import type { CommandDef, EventDef, MemberDef, QapiSchema, TypeDef } from "./types.ts";

/** The `ObjectType` enum values of QEMU 10.0.2 that are not memory backends, split where the backends go. */
const OBJECT_TYPES_BEFORE_BACKENDS: readonly string[] = [
  "acpi-generic-initiator",
  "acpi-generic-port",
  "authz-list",
  "authz-listfile",
  "authz-pam",
  "authz-simple",
  "can-bus",
  "can-host-socketcan",
  "colo-compare",
  "cryptodev-backend",
  "cryptodev-backend-builtin",
  "cryptodev-backend-lkcf",
  "cryptodev-vhost-user",
  "dbus-vmstate",
  "filter-buffer",
  "filter-dump",
  "filter-mirror",
  "filter-redirector",
  "filter-replay",
  "filter-rewriter",
  "input-barrier",
  "input-linux",
  "iommufd",
  "iothread",
  "main-loop",
];
const OBJECT_TYPES_AFTER_BACKENDS: readonly string[] = [
  "pef-guest",
  "pr-manager-helper",
  "qtest",
  "rng-builtin",
  "rng-egd",
  "rng-random",
  "secret",
  "secret_keyring",
  "sev-guest",
  "sev-snp-guest",
  "thread-context",
  "s390-pv-guest",
  "throttle-group",
  "tls-creds-anon",
  "tls-creds-psk",
  "tls-creds-x509",
  "tls-cipher-suites",
  "x-remote-object",
  "x-vfio-user-server",
];

/** Members common to every memory backend (MemoryBackendProperties). */
const BACKEND_MEMBERS: readonly MemberDef[] = [
  { name: "dump", type: "bool", optional: true },
  { name: "host-nodes", type: "[uint16]", optional: true },
  { name: "merge", type: "bool", optional: true },
  { name: "policy", type: "HostMemPolicy", optional: true },
  { name: "prealloc", type: "bool", optional: true },
  { name: "prealloc-threads", type: "uint32", optional: true },
  { name: "prealloc-context", type: "str", optional: true },
  { name: "share", type: "bool", optional: true },
  { name: "reserve", type: "bool", optional: true },
  { name: "size", type: "size" },
  { name: "x-use-canonical-path-for-ramblock-id", type: "bool", optional: true },
];

/** Extra members per memory-backend type (beyond {@linkcode BACKEND_MEMBERS}). */
const BACKEND_EXTRA: Readonly<Record<string, readonly MemberDef[]>> = {
  "memory-backend-epc": [],
  "memory-backend-file": [
    { name: "align", type: "size", optional: true },
    { name: "offset", type: "size", optional: true },
    { name: "discard-data", type: "bool", optional: true },
    { name: "mem-path", type: "str" },
    { name: "pmem", type: "bool", optional: true },
    { name: "readonly", type: "bool", optional: true },
    { name: "rom", type: "OnOffAuto", optional: true },
  ],
  "memory-backend-memfd": [
    { name: "hugetlb", type: "bool", optional: true },
    { name: "hugetlbsize", type: "size", optional: true },
    { name: "seal", type: "bool", optional: true },
  ],
  "memory-backend-ram": [],
  "memory-backend-shm": [],
  "memory-backend-tagged": [{ name: "tag", type: "str" }],
};

const PATH: MemberDef = { name: "path", type: "str" };
const LOG: MemberDef = { name: "log", type: "CxlEventLog" };

function struct(name: string, members: readonly MemberDef[]): TypeDef {
  return { kind: "struct", name, members };
}

function enumeration(name: string, values: readonly string[]): TypeDef {
  return { kind: "enum", name, values };
}

function opt(name: string, type: string): MemberDef {
  return { name, type, optional: true };
}

function req(name: string, type: string): MemberDef {
  return { name, type };
}

/** Members the general-media and DRAM event injections share, in QAPI order. */
const MEDIA_EVENT_MEMBERS: readonly MemberDef[] = [
  PATH,
  LOG,
  req("flags", "uint8"),
  req("dpa", "uint64"),
  req("descriptor", "uint8"),
  req("type", "uint8"),
  req("transaction-type", "uint8"),
  opt("channel", "uint8"),
  opt("rank", "uint8"),
];

/** Struct type name of a memory backend's object-add variant. */
export function backendPropertiesType(qomType: string): string {
  return `${qomType}:properties`;
}

/**
 * Builds the schema for a profile.
 *
 * @example
 * ```ts
 * import { buildSchema } from "@cxl-dcd/conformance/model";
 * import { SEED } from "@cxl-dcd/conformance/model";
 * const s = buildSchema(SEED);
 * if (!s.commands.some((c) => c.name === "cxl-release-dynamic-capacity-status")) throw new Error();
 * ```
 */
export function buildSchema(profile: Profile): QapiSchema {
  const types: TypeDef[] = [
    struct("VersionTriple", [req("major", "int"), req("minor", "int"), req("micro", "int")]),
    struct("VersionInfo", [req("qemu", "VersionTriple"), req("package", "str")]),
    struct("CommandInfo", [req("name", "str")]),
    enumeration("RunState", [
      "debug",
      "inmigrate",
      "internal-error",
      "io-error",
      "paused",
      "postmigrate",
      "prelaunch",
      "finish-migrate",
      "restore-vm",
      "running",
      "save-vm",
      "shutdown",
      "suspended",
      "watchdog",
      "guest-panicked",
      "colo",
    ]),
    struct("StatusInfo", [req("running", "bool"), req("status", "RunState")]),
    enumeration("ShutdownCause", [
      "none",
      "host-error",
      "host-qmp-quit",
      "host-qmp-system-reset",
      "host-signal",
      "host-ui",
      "guest-shutdown",
      "guest-reset",
      "guest-panic",
      "subsystem-reset",
      "snapshot-load",
    ]),
    struct("SHUTDOWN:data", [req("guest", "bool"), req("reason", "ShutdownCause")]),
    enumeration("QMPCapability", ["oob"]),
    struct("qmp_capabilities:args", [opt("enable", "[QMPCapability]")]),
    // query-qmp-schema's own types.
    enumeration("SchemaMetaType", [
      "builtin",
      "enum",
      "array",
      "object",
      "alternate",
      "command",
      "event",
    ]),
    enumeration("JSONType", [
      "string",
      "number",
      "int",
      "boolean",
      "null",
      "object",
      "array",
      "value",
    ]),
    struct("SchemaInfoBuiltin", [req("json-type", "JSONType")]),
    struct("SchemaInfoEnumMember", [req("name", "str"), opt("features", "[str]")]),
    struct("SchemaInfoEnum", [
      req("members", "[SchemaInfoEnumMember]"),
      { name: "values", type: "[str]", features: ["deprecated"] },
    ]),
    struct("SchemaInfoArray", [req("element-type", "str")]),
    struct("SchemaInfoObjectMember", [
      req("name", "str"),
      req("type", "str"),
      opt("default", "any"),
      opt("features", "[str]"),
    ]),
    struct("SchemaInfoObjectVariant", [req("case", "str"), req("type", "str")]),
    struct("SchemaInfoObject", [
      req("members", "[SchemaInfoObjectMember]"),
      opt("tag", "str"),
      opt("variants", "[SchemaInfoObjectVariant]"),
    ]),
    struct("SchemaInfoAlternateMember", [req("type", "str")]),
    struct("SchemaInfoAlternate", [req("members", "[SchemaInfoAlternateMember]")]),
    struct("SchemaInfoCommand", [
      req("arg-type", "str"),
      req("ret-type", "str"),
      opt("allow-oob", "bool"),
    ]),
    struct("SchemaInfoEvent", [req("arg-type", "str")]),
    {
      kind: "union",
      name: "SchemaInfo",
      members: [req("name", "str"), req("meta-type", "SchemaMetaType"), opt("features", "[str]")],
      discriminator: "meta-type",
      variants: {
        builtin: "SchemaInfoBuiltin",
        enum: "SchemaInfoEnum",
        array: "SchemaInfoArray",
        object: "SchemaInfoObject",
        alternate: "SchemaInfoAlternate",
        command: "SchemaInfoCommand",
        event: "SchemaInfoEvent",
      },
    },
    // QOM.
    struct("qom-list:args", [PATH]),
    struct("ObjectPropertyInfo", [
      req("name", "str"),
      req("type", "str"),
      opt("description", "str"),
      opt("default-value", "any"),
    ]),
    struct("qom-get:args", [PATH, req("property", "str")]),
    struct("qom-set:args", [PATH, req("property", "str"), req("value", "any")]),
    enumeration("HostMemPolicy", ["default", "preferred", "bind", "interleave"]),
    enumeration("OnOffAuto", ["auto", "on", "off"]),
    enumeration("ObjectType", [
      ...OBJECT_TYPES_BEFORE_BACKENDS,
      ...profile.memoryBackendTypes,
      ...OBJECT_TYPES_AFTER_BACKENDS,
    ]),
    ...profile.memoryBackendTypes.map((t) =>
      struct(backendPropertiesType(t), [...BACKEND_MEMBERS, ...(BACKEND_EXTRA[t] ?? [])])
    ),
    {
      kind: "union",
      name: "ObjectOptions",
      members: [req("qom-type", "ObjectType"), req("id", "str")],
      discriminator: "qom-type",
      variants: Object.fromEntries(
        profile.memoryBackendTypes.map((t) => [t, backendPropertiesType(t)]),
      ),
    },
    struct("object-del:args", [req("id", "str")]),
    struct("device-list-properties:args", [req("typename", "str")]),
    // CXL (qapi/cxl.json).
    enumeration("CxlEventLog", ["informational", "warning", "failure", "fatal"]),
    struct("cxl-inject-general-media-event:args", [
      ...MEDIA_EVENT_MEMBERS,
      opt("device", "uint32"),
      opt("component-id", "str"),
    ]),
    struct("cxl-inject-dram-event:args", [
      ...MEDIA_EVENT_MEMBERS,
      opt("nibble-mask", "uint32"),
      opt("bank-group", "uint8"),
      opt("bank", "uint8"),
      opt("row", "uint32"),
      opt("column", "uint16"),
      opt("correction-mask", "[uint64]"),
    ]),
    struct("cxl-inject-memory-module-event:args", [
      PATH,
      LOG,
      req("flags", "uint8"),
      req("type", "uint8"),
      req("health-status", "uint8"),
      req("media-status", "uint8"),
      req("additional-status", "uint8"),
      req("life-used", "uint8"),
      req("temperature", "int16"),
      req("dirty-shutdown-count", "uint32"),
      req("corrected-volatile-error-count", "uint32"),
      req("corrected-persistent-error-count", "uint32"),
    ]),
    struct("cxl-inject-poison:args", [PATH, req("start", "uint64"), req("length", "size")]),
    enumeration("CxlUncorErrorType", [
      "cache-data-parity",
      "cache-address-parity",
      "cache-be-parity",
      "cache-data-ecc",
      "mem-data-parity",
      "mem-address-parity",
      "mem-be-parity",
      "mem-data-ecc",
      "reinit-threshold",
      "rsvd-encoding",
      "poison-received",
      "receiver-overflow",
      "internal",
      "cxl-ide-tx",
      "cxl-ide-rx",
    ]),
    struct("CXLUncorErrorRecord", [req("type", "CxlUncorErrorType"), req("header", "[uint32]")]),
    struct("cxl-inject-uncorrectable-errors:args", [PATH, req("errors", "[CXLUncorErrorRecord]")]),
    enumeration("CxlCorErrorType", [
      "cache-data-ecc",
      "mem-data-ecc",
      "crc-threshold",
      "retry-threshold",
      "cache-poison-received",
      "mem-poison-received",
      "physical",
    ]),
    struct("cxl-inject-correctable-error:args", [PATH, req("type", "CxlCorErrorType")]),
    enumeration("CxlExtentSelectionPolicy", [
      "free",
      "contiguous",
      "prescriptive",
      "enable-shared-access",
    ]),
    struct("CxlDynamicCapacityExtent", [req("offset", "uint64"), req("len", "uint64")]),
    struct("cxl-add-dynamic-capacity:args", [
      PATH,
      req("host-id", "uint16"),
      req("selection-policy", "CxlExtentSelectionPolicy"),
      req("region", "uint8"),
      opt("tag", "str"),
      req("extents", "[CxlDynamicCapacityExtent]"),
    ]),
    enumeration("CxlExtentRemovalPolicy", ["tag-based", "prescriptive"]),
    struct("cxl-release-dynamic-capacity:args", [
      PATH,
      req("host-id", "uint16"),
      req("removal-policy", "CxlExtentRemovalPolicy"),
      opt("forced-removal", "bool"),
      opt("sanitize-on-release", "bool"),
      req("region", "uint8"),
      opt("tag", "str"),
      req("extents", "[CxlDynamicCapacityExtent]"),
    ]),
  ];

  const unstable = ["unstable"];
  const commands: CommandDef[] = [
    { name: "qmp_capabilities", args: "qmp_capabilities:args" },
    { name: "query-version", returns: "VersionInfo" },
    { name: "query-commands", returns: "[CommandInfo]" },
    { name: "query-status", returns: "StatusInfo" },
    { name: "stop" },
    { name: "cont" },
    { name: "quit" },
    { name: "query-qmp-schema", returns: "[SchemaInfo]" },
    { name: "qom-list", args: "qom-list:args", returns: "[ObjectPropertyInfo]" },
    { name: "qom-get", args: "qom-get:args", returns: "any" },
    { name: "qom-set", args: "qom-set:args" },
    { name: "object-add", args: "ObjectOptions" },
    { name: "object-del", args: "object-del:args" },
    {
      name: "device-list-properties",
      args: "device-list-properties:args",
      returns: "[ObjectPropertyInfo]",
    },
    { name: "cxl-inject-general-media-event", args: "cxl-inject-general-media-event:args" },
    { name: "cxl-inject-dram-event", args: "cxl-inject-dram-event:args" },
    { name: "cxl-inject-memory-module-event", args: "cxl-inject-memory-module-event:args" },
    { name: "cxl-inject-poison", args: "cxl-inject-poison:args" },
    { name: "cxl-inject-uncorrectable-errors", args: "cxl-inject-uncorrectable-errors:args" },
    { name: "cxl-inject-correctable-error", args: "cxl-inject-correctable-error:args" },
    {
      name: "cxl-add-dynamic-capacity",
      args: "cxl-add-dynamic-capacity:args",
      features: unstable,
    },
    {
      name: "cxl-release-dynamic-capacity",
      args: "cxl-release-dynamic-capacity:args",
      features: unstable,
    },
  ];
  if (profile.tagged.releaseStatus) {
    types.push(
      struct("cxl-release-dynamic-capacity-status:args", [
        PATH,
        req("host-id", "uint16"),
        req("region", "uint8"),
        req("tag", "str"),
      ]),
      struct("ExtentStatus", [req("status", "str")]),
    );
    commands.push({
      name: "cxl-release-dynamic-capacity-status",
      args: "cxl-release-dynamic-capacity-status:args",
      returns: "ExtentStatus",
      features: unstable,
    });
  }
  const events: EventDef[] = [
    { name: "SHUTDOWN", data: "SHUTDOWN:data" },
    { name: "STOP" },
    { name: "RESUME" },
  ];
  return { types: new Map(types.map((t) => [t.name, t])), commands, events };
}
