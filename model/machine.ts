/**
 * The model machine: {@linkcode createMachine} parses QEMU arguments, builds
 * the CXL topology and answers QMP commands the way QEMU 10.0.2 (or the
 * `seed` profile) does, with no I/O.
 *
 * Command execution order is QEMU's: unknown command, then the
 * `-compat unstable-input=reject` policy, then QAPI argument validation
 * ({@linkcode Validator}), then the handler.
 *
 * @module
 */

import type { HostInterface, MailboxReply } from "./host_interface.ts";
import { fmThroughSwitch, switchCciAbove, switchCciMailbox } from "./switch_cci.ts";
import type {
  ExecuteOptions,
  Machine,
  MachineOptions,
  MachineState,
  RunState,
} from "./machine_types.ts";
import type { Profile } from "./profile.ts";
import { resolveProfile } from "./profile_ref.ts";
import { qmpError, type QmpEvent, type QmpObject, type QmpResult, qmpReturn } from "./qmp_value.ts";
import { parseCommandLine } from "./cmdline/parse.ts";
import { buildSchema } from "./qapi/schema.ts";
import { introspect } from "./qapi/introspect.ts";
import type { CommandDef, QapiSchema } from "./qapi/types.ts";
import { QapiError, toBigInt, toNumber, Validator } from "./qapi/validate.ts";
import { backendNode, buildTopology, type Topology, type Type3 } from "./topology.ts";
import { allocationError, Backend, BACKEND_SIZE_LIMIT, TAGGED_BACKEND_TYPE } from "./backends.ts";
import { deviceProperties } from "./device_properties.ts";
import { qomTreeChanges, resolvePath } from "./qom.ts";
import { tryParseUuid } from "./uuid.ts";
import type { QmpExtent } from "./dcd/types.ts";

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9\-._]*$/;
/** Most distinct paths whose type-3 resolution a machine keeps. */
const TYPE3_PATHS_CACHED = 64;

function defaultClock(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function generic(desc: string): QmpResult {
  return qmpError("GenericError", desc);
}

/** A synchronous call's answer as a promise: its value, or a rejection with what it threw. */
function settle<T>(run: () => T): Promise<T> {
  return new Promise((resolve) => resolve(run()));
}

function str(args: QmpObject, key: string): string {
  const v = args[key];
  return typeof v === "string" ? v : "";
}

function optStr(args: QmpObject, key: string): string | undefined {
  const v = args[key];
  return typeof v === "string" ? v : undefined;
}

function extents(args: QmpObject): QmpExtent[] {
  const list = args["extents"];
  if (!Array.isArray(list)) return [];
  const out = new Array<QmpExtent>(list.length);
  for (let i = 0; i < list.length; i++) {
    const o = list[i] as QmpObject;
    out[i] = { offset: toBigInt(o["offset"]), len: toBigInt(o["len"]) };
  }
  return out;
}

type Handler = (args: QmpObject) => QmpResult;

class ModelMachine implements Machine {
  readonly profile: Profile;
  readonly notices: readonly string[];
  #status: RunState;
  readonly #clock: () => bigint;
  readonly #schema: QapiSchema;
  readonly #validator: Validator;
  readonly #commands: Map<string, CommandDef>;
  readonly #handlers: Map<string, Handler>;
  readonly #topology: Topology;
  readonly #rejectUnstable: boolean;
  readonly #listeners = new Set<(event: QmpEvent) => void>();
  #schemaCache: QmpObject[] | undefined;
  /** {@linkcode ModelMachine.#resolveType3} answers by path, valid while no QOM tree changes. */
  readonly #type3ByPath = new Map<string, Type3 | undefined>();
  #type3ByPathAt = -1;

  constructor(args: readonly string[], options: MachineOptions) {
    this.profile = resolveProfile(options.profile);
    this.#clock = options.clock ?? defaultClock;
    const cmd = parseCommandLine(args, this.profile);
    this.#topology = buildTopology(cmd, {
      profile: this.profile,
      clock: this.#clock,
      ...(options.extraMonitors === undefined ? {} : { extraMonitors: options.extraMonitors }),
    });
    this.notices = cmd.notices;
    this.#status = cmd.startPaused ? "prelaunch" : "running";
    this.#rejectUnstable = cmd.rejectUnstable;
    this.#schema = buildSchema(this.profile);
    this.#validator = new Validator(this.#schema);
    this.#commands = new Map(this.#schema.commands.map((c) => [c.name, c]));
    this.#handlers = this.#buildHandlers();
  }

  get status(): RunState {
    return this.#status;
  }

  greeting(): QmpObject {
    const v = this.profile.version;
    return {
      QMP: {
        version: {
          qemu: { micro: v.micro, minor: v.minor, major: v.major },
          package: this.profile.package,
        },
        capabilities: ["oob"],
      },
    };
  }

  hasCommand(command: string): boolean {
    return this.#commands.has(command);
  }

  allowsOob(command: string): boolean {
    return this.#commands.get(command)?.allowOob === true;
  }

  execute(command: string, args: QmpObject | undefined, options?: ExecuteOptions): QmpResult {
    const def = this.#commands.get(command);
    if (def === undefined) {
      return qmpError("CommandNotFound", `The command ${command} has not been found`);
    }
    if (this.#rejectUnstable && def.features?.includes("unstable")) {
      return qmpError("CommandNotFound", `Unstable command ${command} disabled by policy`);
    }
    if (options?.oob && !def.allowOob) {
      return generic(`The command ${command} does not support OOB`);
    }
    let validated: QmpObject;
    try {
      validated = this.#validator.validateArguments(def.args, args);
    } catch (e) {
      if (e instanceof QapiError) return generic(e.desc);
      throw e;
    }
    const handler = this.#handlers.get(command);
    if (handler === undefined) return qmpReturn({});
    return handler(validated);
  }

  subscribe(listener: (event: QmpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  type3Ids(): string[] {
    return this.#topology.type3.map((t) => t.id);
  }

  host(device: string): HostInterface {
    const t = this.#type3ByIdOrPath(device);
    return {
      mailbox: (opcode: number, payload: Uint8Array): Promise<MailboxReply> =>
        Promise.resolve(t.device.mailbox(opcode, payload)),
      fm: (opcode: number, payload: Uint8Array): Promise<MailboxReply> =>
        settle(() => fmThroughSwitch(this.#topology, t, opcode, payload)),
      switchCci: (opcode: number, payload: Uint8Array): Promise<MailboxReply> =>
        settle(() => this.switchCciMailboxSync(this.switchCciOf(device), opcode, payload)),
    };
  }

  switchCciOf(device: string): string {
    return switchCciAbove(this.#topology, this.#type3ByIdOrPath(device)).cci.id;
  }

  fmSync(device: string, opcode: number, payload: Uint8Array): MailboxReply {
    return fmThroughSwitch(this.#topology, this.#type3ByIdOrPath(device), opcode, payload);
  }

  switchCciMailboxSync(cci: string, opcode: number, payload: Uint8Array): MailboxReply {
    return switchCciMailbox(this.#topology, cci, opcode, payload);
  }

  mailboxSync(device: string, opcode: number, payload: Uint8Array): MailboxReply {
    return this.#type3ByIdOrPath(device).device.mailbox(opcode, payload);
  }

  state(): MachineState {
    return {
      profile: this.profile.name,
      status: this.#status,
      backends: this.#topology.backends.list().map((b) => b.snapshot()),
      devices: this.#topology.type3.map((t) => t.device.snapshot()),
    };
  }

  #type3ByIdOrPath(device: string): Type3 {
    for (const x of this.#topology.type3) {
      if (x.id === device || x.node.path === device) return x;
    }
    throw new RangeError(
      `no CXL type-3 device '${device}': expected one of ${this.type3Ids().join(", ") || "(none)"}`,
    );
  }

  #emit(event: string, data?: QmpObject): void {
    const ns = this.#clock();
    const e: QmpEvent = {
      event,
      timestamp: {
        seconds: Number(ns / 1_000_000_000n),
        microseconds: Number((ns % 1_000_000_000n) / 1000n),
      },
    };
    if (data !== undefined) e.data = data;
    for (const l of [...this.#listeners]) l(e);
  }

  /** The type-3 device a CXL command's `path` names (QEMU: object_resolve_path_type). */
  #resolveType3(path: string): Type3 | undefined {
    if (this.#type3ByPathAt !== qomTreeChanges()) {
      this.#type3ByPath.clear();
      this.#type3ByPathAt = qomTreeChanges();
    }
    const known = this.#type3ByPath.get(path);
    if (known !== undefined || this.#type3ByPath.has(path)) return known;
    if (this.#type3ByPath.size >= TYPE3_PATHS_CACHED) this.#type3ByPath.clear();
    const node = resolvePath(this.#topology.root, path, (n) => n.type === "cxl-type3");
    const t = node === undefined ? undefined : this.#topology.type3.find((t) => t.node === node);
    this.#type3ByPath.set(path, t);
    return t;
  }

  #buildHandlers(): Map<string, Handler> {
    const h = new Map<string, Handler>();
    h.set(
      "qmp_capabilities",
      () =>
        qmpError(
          "CommandNotFound",
          "Capabilities negotiation is already complete, command ignored",
        ),
    );
    h.set("query-version", () => {
      const v = this.profile.version;
      return qmpReturn({
        qemu: { micro: v.micro, minor: v.minor, major: v.major },
        package: this.profile.package,
      });
    });
    h.set("query-commands", () =>
      qmpReturn(
        // QEMU lists unstable commands even when -compat rejects them.
        this.#schema.commands.map((c) => ({ name: c.name })),
      ));
    h.set(
      "query-status",
      () => qmpReturn({ status: this.#status, running: this.#status === "running" }),
    );
    h.set("stop", () => {
      if (this.#status === "running") {
        this.#status = "paused";
        this.#emit("STOP");
      }
      return qmpReturn({});
    });
    h.set("cont", () => {
      if (this.#status === "paused" || this.#status === "prelaunch") {
        this.#status = "running";
        this.#emit("RESUME");
      }
      return qmpReturn({});
    });
    h.set("quit", () => {
      this.#status = "shutdown";
      this.#emit("SHUTDOWN", { guest: false, reason: "host-qmp-quit" });
      return qmpReturn({});
    });
    h.set("query-qmp-schema", () => {
      this.#schemaCache ??= introspect(this.#schema);
      return qmpReturn(structuredClone(this.#schemaCache));
    });
    h.set("qom-list", (a) => {
      const node = resolvePath(this.#topology.root, str(a, "path"));
      if (node === undefined) {
        return qmpError("DeviceNotFound", `Device '${str(a, "path")}' not found`);
      }
      return qmpReturn(node.list());
    });
    h.set("qom-get", (a) => {
      const node = resolvePath(this.#topology.root, str(a, "path"));
      if (node === undefined) {
        return qmpError("DeviceNotFound", `Device '${str(a, "path")}' not found`);
      }
      const p = node.property(str(a, "property"));
      if (p === undefined) {
        return generic(`Property '${node.type}.${str(a, "property")}' not found`);
      }
      return qmpReturn(p.get());
    });
    h.set("qom-set", (a) => {
      const node = resolvePath(this.#topology.root, str(a, "path"));
      if (node === undefined) {
        return qmpError("DeviceNotFound", `Device '${str(a, "path")}' not found`);
      }
      const name = str(a, "property");
      const p = node.property(name);
      if (p === undefined) return generic(`Property '${node.type}.${name}' not found`);
      if (p.set === undefined) return generic(`Property '${node.type}.${name}' is not writable`);
      const err = p.set(a["value"] ?? null);
      return err === undefined ? qmpReturn({}) : generic(err);
    });
    h.set("object-add", (a) => this.#objectAdd(a));
    h.set("object-del", (a) => {
      const id = str(a, "id");
      const b = this.#topology.backends.get(id);
      if (b === undefined) return generic(`object '${id}' not found`);
      const mapped = this.profile.qom.mappedBackendDeleteError;
      if (b.usedBy !== undefined && mapped !== undefined) return generic(mapped.replace("%s", id));
      if (b.inUse) return generic(`object '${id}' is in use, can not be deleted`);
      this.#topology.backends.delete(id);
      this.#topology.objects.remove(id);
      return qmpReturn({});
    });
    h.set("device-list-properties", (a) => {
      const list = deviceProperties(str(a, "typename"), this.profile);
      if (list === undefined) {
        return qmpError("DeviceNotFound", `Device '${str(a, "typename")}' not found`);
      }
      return qmpReturn(list);
    });
    const inject = (a: QmpObject): QmpResult =>
      this.#resolveType3(str(a, "path")) === undefined
        ? generic("Unable to resolve path")
        : qmpReturn({});
    for (
      const c of [
        "cxl-inject-general-media-event",
        "cxl-inject-dram-event",
        "cxl-inject-memory-module-event",
        "cxl-inject-uncorrectable-errors",
        "cxl-inject-correctable-error",
      ]
    ) h.set(c, inject);
    h.set("cxl-inject-poison", (a) => {
      if (this.#resolveType3(str(a, "path")) === undefined) {
        return generic("Unable to resolve path");
      }
      if (toBigInt(a["start"]) % 64n !== 0n) {
        return generic("Poison start address must be 64 byte aligned");
      }
      if (toBigInt(a["length"]) % 64n !== 0n) {
        return generic("Poison injection must be in multiples of 64 bytes");
      }
      return qmpReturn({});
    });
    h.set("cxl-add-dynamic-capacity", (a) => {
      if (a["selection-policy"] !== "prescriptive") {
        return generic("Selection policy not supported");
      }
      const t = this.#dcDevice(str(a, "path"));
      if (typeof t === "string") return generic(t);
      const err = t.device.add({
        hostId: toNumber(a["host-id"]),
        region: toNumber(a["region"]),
        tag: optStr(a, "tag"),
        extents: extents(a),
      });
      return err === undefined ? qmpReturn({}) : generic(err);
    });
    h.set("cxl-release-dynamic-capacity", (a) => {
      if (a["forced-removal"] === true) return generic("Forced removal not supported yet");
      const policy = a["removal-policy"];
      if (
        policy !== "prescriptive" &&
        !(policy === "tag-based" && this.profile.tagged.tagBasedRelease)
      ) {
        return generic("Removal policy not supported");
      }
      const t = this.#dcDevice(str(a, "path"));
      if (typeof t === "string") return generic(t);
      const err = t.device.release({
        hostId: toNumber(a["host-id"]),
        removalPolicy: policy === "tag-based" ? "tag-based" : "prescriptive",
        forcedRemoval: false,
        sanitizeOnRelease: a["sanitize-on-release"] === true,
        region: toNumber(a["region"]),
        tag: optStr(a, "tag"),
        extents: extents(a),
      });
      return err === undefined ? qmpReturn({}) : generic(err);
    });
    h.set("cxl-release-dynamic-capacity-status", (a) => {
      const t = this.#dcDevice(str(a, "path"));
      if (typeof t === "string") return generic(t);
      const r = t.device.releaseStatus({
        hostId: toNumber(a["host-id"]),
        region: toNumber(a["region"]),
        tag: str(a, "tag"),
      });
      return typeof r === "string" ? generic(r) : qmpReturn({ status: r.status });
    });
    return h;
  }

  /** Path resolution and the DC-support check shared by the DC commands. */
  #dcDevice(path: string): Type3 | string {
    const t = this.#resolveType3(path);
    if (t === undefined) return "Unable to resolve CXL type 3 device";
    if (t.numDcRegions === 0) return "No dynamic capacity support from the device";
    return t;
  }

  #objectAdd(a: QmpObject): QmpResult {
    const qomType = str(a, "qom-type");
    const id = str(a, "id");
    if (!this.profile.memoryBackendTypes.includes(qomType)) {
      return generic(
        `the model implements object-add for memory backends only, not '${qomType}' ` +
          `(expected one of ${this.profile.memoryBackendTypes.join(", ")})`,
      );
    }
    if (!ID_PATTERN.test(id)) return generic("Parameter 'id' expects an identifier");
    const size = toBigInt(a["size"]);
    if (size === 0n) return generic(`property 'size' of ${qomType} doesn't take value '0'`);
    const store = this.#topology.backends;
    if (store.has(id) || this.#topology.objects.children.has(id)) {
      return generic(`attempt to add duplicate property '${id}' to object (type 'container')`);
    }
    if (size >= BACKEND_SIZE_LIMIT) return generic(allocationError(id));
    const tagText = optStr(a, "tag");
    let tag: Uint8Array | undefined;
    if (qomType === TAGGED_BACKEND_TYPE && tagText !== undefined) {
      const problem = store.checkTag(id, tagText);
      if (problem !== undefined) return generic(problem);
      tag = tryParseUuid(tagText);
    }
    const props = new Map<string, boolean | string | bigint>();
    for (const [k, v] of Object.entries(a)) {
      if (k === "qom-type" || k === "id" || k === "size" || k === "tag") continue;
      if (typeof v === "boolean" || typeof v === "string" || typeof v === "bigint") props.set(k, v);
    }
    const b = new Backend({
      id,
      qomType,
      size,
      ...(tagText !== undefined ? { tagText } : {}),
      ...(tag !== undefined ? { tag } : {}),
      props,
    });
    store.add(b);
    this.#topology.objects.add(backendNode(b));
    return qmpReturn({});
  }
}

/**
 * Builds a model machine from QEMU arguments.
 *
 * @example
 * ```ts
 * import { createMachine } from "@cxl-dcd/conformance/model";
 * const m = createMachine([
 *   "-machine", "q35,cxl=on,accel=tcg",
 *   "-m", "2G,maxmem=8G,slots=4",
 *   "-object", "memory-backend-ram,id=vmem0,share=on,size=2G",
 *   "-device", "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1,hdm_for_passthrough=true",
 *   "-device", "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
 *   "-M", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
 *   "-device", "cxl-type3,bus=root_port13,id=cxl-vmem0,num-dc-regions=1,volatile-dc-memdev=vmem0",
 * ]);
 * const r = m.execute("qom-get", { path: "cxl-vmem0", property: "num-dc-regions" });
 * if (!("return" in r) || r.return !== 1) throw new Error("expected 1");
 * ```
 *
 * @throws {StartupError} with QEMU's exact stderr when the configuration is invalid.
 */
export function createMachine(args: readonly string[], options?: MachineOptions): Machine {
  options ??= {};
  return new ModelMachine(args, options);
}
