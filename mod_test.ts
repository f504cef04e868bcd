import assert from "node:assert/strict";
import * as root from "./mod.ts";
import * as conformance from "./conformance/mod.ts";
import * as model from "./model/mod.ts";
import * as qmp from "./qmp/mod.ts";

/**
 * The root module's values, pinned: adding or removing one is a decision about
 * the public surface, made here on purpose (types are pinned by deno doc --lint).
 */
const ROOT_VALUES = [
  "ConsoleReporter",
  "DEFAULT_EXPECTATIONS_DIR",
  "DEFAULT_FIXTURES_DIR",
  "DEFAULT_MACHINES_DIR",
  "DEFAULT_PROFILE",
  "HOST_COMMANDS",
  "HOST_MODES",
  "HostExtension",
  "MAILBOX_COMMAND",
  "MAILBOX_PAYLOAD_MAX",
  "MachinePresets",
  "Opcode",
  "PROFILES",
  "QEMU_10_0",
  "QEMU_10_1",
  "QEMU_10_2",
  "QEMU_11_1",
  "QmpClient",
  "QmpCommandError",
  "QmpServer",
  "RELEASES",
  "ReturnCode",
  "SEED",
  "SEED_FEATURES",
  "STATE_COMMAND",
  "StartupError",
  "TargetClosedError",
  "TargetStartupError",
  "TargetTimeoutError",
  "TranscriptError",
  "acceptOffer",
  "bindSockets",
  "createMachine",
  "createTargets",
  "decodeHostReply",
  "defineFixtureTests",
  "drainDcEvents",
  "encodeHostRequest",
  "filterFixtures",
  "formatJson",
  "formatJsonReport",
  "formatJunit",
  "formatTap",
  "listAllExtents",
  "loadExpectations",
  "loadFixtures",
  "modelSocketTarget",
  "modelTarget",
  "parseJson",
  "parseTranscript",
  "profileByName",
  "profileForVersion",
  "qemuTarget",
  "qmpTarget",
  "readDcConfig",
  "recordTranscript",
  "release",
  "resolveProfile",
  "runFixture",
  "runSuite",
  "shardFixtures",
  "withDcd",
  "withSeed",
];

/** Internals that once leaked through the root: never again. */
const INTERNALS = [
  "qdictBucket",
  "qdictOrder",
  "toQdictOrder",
  "spawnedPids",
  "liveProcessCount",
  "escapeXml",
  "main",
  "makePrivateDir",
  "isDescriptorExhaustion",
  "shellQuote",
  "PayloadReader",
  "PayloadWriter",
  "dispatchMailbox",
  "Validator",
  "buildSchema",
  "JsonStreamParser",
  "QmpSession",
  "readLine",
  "writeLine",
  "respond",
];

Deno.test("the root module exports exactly the curated values", () => {
  assert.deepEqual(Object.keys(root).sort(), [...ROOT_VALUES].sort());
});

Deno.test("no internal helper is exported from the root module", () => {
  const leaked = INTERNALS.filter((name) => name in root);
  assert.deepEqual(leaked, []);
});

Deno.test("every root value is the sub-module's own, so both paths name one thing", () => {
  const subs: Record<string, unknown>[] = [model, qmp, conformance];
  for (const [name, value] of Object.entries(root)) {
    const owner = subs.find((m) => name in m);
    assert.ok(owner !== undefined, `${name} is in no sub-module`);
    assert.equal(owner[name], value, name);
  }
  // What left the root stays reachable at its sub-module path.
  assert.equal(typeof qmp.QmpSession, "function");
  assert.equal(typeof conformance.escapeXml, "function");
  assert.equal(typeof model.buildSchema, "function");
});
