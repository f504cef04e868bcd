/**
 * Runs every pinned start-up case on each real QEMU build (every binary in
 * CXL_DCD_QEMU_BUILDS, else QEMU_BINARY or qemu-system-x86_64 on PATH) and
 * checks that the model, under the profile the runner picks for that build,
 * prints the same stderr, byte for byte. Skips (loudly) when no build is there.
 */
import { qemuBuilds } from "../qemu/test_util.ts";
import { deepStrictEqual } from "node:assert";
import { createMachine } from "../../model/machine.ts";
import { StartupError } from "../../model/machine_types.ts";
import type { Profile } from "../../model/profile.ts";
import { STARTUP_CASES } from "../../model/test_startup_cases.ts";

async function realStderr(binary: string, args: readonly string[]): Promise<string> {
  const child = new Deno.Command(binary, {
    args: [...args, "-display", "none", "-nodefaults", "-S"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const out = await child.output();
  clearTimeout(timer);
  return new TextDecoder().decode(out.stderr).replace(/\n$/, "");
}

function modelStderr(profile: Profile, args: readonly string[]): string {
  try {
    createMachine(args, { profile });
  } catch (e) {
    if (e instanceof StartupError) return e.stderr;
    throw e;
  }
  return "(started)";
}

const builds = qemuBuilds("the model-vs-QEMU start-up tests");
if (builds.length === 0) {
  Deno.test({
    name: "model start-up errors equal real QEMU's (no QEMU build)",
    ignore: true,
    fn() {},
  });
}
for (const build of builds) {
  Deno.test(`model[${build.profile.name}] start-up errors equal ${build.label}'s`, async (t) => {
    for (const [what, args] of STARTUP_CASES) {
      await t.step(what, async () => {
        deepStrictEqual(modelStderr(build.profile, args), await realStderr(build.binary, args));
      });
    }
  });
}
