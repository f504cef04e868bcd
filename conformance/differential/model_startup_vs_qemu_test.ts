/**
 * Runs every pinned start-up case on the real QEMU binary and checks that the
 * model prints the same stderr, byte for byte. Skips (loudly) when the binary
 * is absent; QEMU_BINARY overrides the default `qemu-system-x86_64`.
 */
import { availableQemu } from "../qemu/test_util.ts";
import { deepStrictEqual } from "node:assert";
import { createMachine } from "../../model/machine.ts";
import { StartupError } from "../../model/machine_types.ts";
import { QEMU_10_0 } from "../../model/profile.ts";
import { STARTUP_CASES } from "../../model/test_startup_cases.ts";

// The binary (QEMU_BINARY or qemu-system-x86_64 on PATH); availableQemu() warns
// loudly, once, when it is absent and the tests below are skipped.
const BINARY = availableQemu() ?? "qemu-system-x86_64";

const available = availableQemu() !== undefined;

async function realStderr(args: readonly string[]): Promise<string> {
  const child = new Deno.Command(BINARY, {
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

function modelStderr(args: readonly string[]): string {
  try {
    createMachine(args, { profile: QEMU_10_0 });
  } catch (e) {
    if (e instanceof StartupError) return e.stderr;
    throw e;
  }
  return "(started)";
}

for (const [what, args] of STARTUP_CASES) {
  Deno.test({
    name: `model start-up error equals real QEMU's: ${what}`,
    ignore: !available,
    fn: async () => {
      deepStrictEqual(modelStderr(args), await realStderr(args));
    },
  });
}
