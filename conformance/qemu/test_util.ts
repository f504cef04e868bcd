/**
 * Shared helpers of the QEMU tests: the binary check (tests skip loudly when
 * it is absent), the seed-like machine description, and a process-table
 * check for leftover children.
 *
 * @module
 */

import { DCD_1X2G as MODEL_DCD_1X2G } from "../../model/test_machines.ts";
import { type Profile, profileOfBuild } from "../../model/profile.ts";
import { qemuBinary } from "./args.ts";
import { resolveBinary } from "./capabilities.ts";
import { spawnedPids } from "./process.ts";

/**
 * The seed's CXL topology adapted to this machine: q35 with CXL, TCG, one
 * 2 GiB RAM backend as the DC memdev of one type-3 device (one region), a
 * 4 GiB fixed memory window (the model's tests use the same arguments).
 */
export const DCD_1X2G: readonly string[] = MODEL_DCD_1X2G;

/** Two DC devices behind one host bridge (2 regions of 1 GiB on the second). */
export const TWO_DEVICES: readonly string[] = [
  "-machine",
  "q35,cxl=on",
  "-m",
  "2G,maxmem=8G,slots=4",
  "-object",
  "memory-backend-ram,id=vmem0,share=on,size=1G",
  "-object",
  "memory-backend-ram,id=vmem1,share=on,size=2G",
  "-device",
  "pxb-cxl,bus_nr=23,bus=pcie.0,id=cxl.1",
  "-device",
  "cxl-rp,port=0,bus=cxl.1,id=rp0,chassis=0,slot=2",
  "-device",
  "cxl-rp,port=1,bus=cxl.1,id=rp1,chassis=0,slot=3",
  "-M",
  "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G",
  "-device",
  "cxl-type3,bus=rp0,id=dev-a,num-dc-regions=1,volatile-dc-memdev=vmem0",
  "-device",
  "cxl-type3,bus=rp1,id=dev-b,num-dc-regions=2,volatile-dc-memdev=vmem1",
];

const warned = new Set<string>();

/**
 * The QEMU binary's resolved path when it exists as a file, else undefined
 * after a loud warning naming what is skipped (once per `what`).
 *
 * @param what the tests that are skipped without QEMU, for the warning
 */
export function availableQemu(what = "QEMU tests"): string | undefined {
  const binary = qemuBinary();
  const path = existingBinary(binary);
  if (path !== undefined) return path;
  if (!warned.has(what)) {
    warned.add(what);
    console.warn(
      `\n!!! SKIPPING ${what}: no QEMU binary '${binary}' (set QEMU_BINARY or put ` +
        "qemu-system-x86_64 on PATH)\n",
    );
  }
  return undefined;
}

/** The resolved path of a binary (a name looked up on PATH, or a path) when it is a file. */
function existingBinary(binary: string): string | undefined {
  const path = resolveBinary(binary);
  try {
    return path !== undefined && Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

/** One QEMU build the tests run against. */
export interface QemuBuild {
  /** Resolved path of the binary (or wrapper). */
  binary: string;
  /** The version its `--version` prints, e.g. `11.1.3`. */
  version: string;
  /**
   * The stock profile the runner picks for that version, reporting the
   * build's own version and package string (as `query-version` does).
   */
  profile: Profile;
  /** A short label for test names, e.g. `QEMU 11.1.3`. */
  label: string;
}

function versionOfBinary(
  binary: string,
): { major: number; minor: number; micro: number; package: string } {
  const out = new Deno.Command(binary, { args: ["--version"], stdout: "piped", stderr: "null" })
    .outputSync();
  const text = new TextDecoder().decode(out.stdout);
  const m = /version ([0-9]+)\.([0-9]+)\.([0-9]+)/.exec(text);
  if (m === null) {
    throw new Error(
      `${binary} --version printed no version: expected 'QEMU emulator version X.Y.Z'`,
    );
  }
  const pkg = /version [0-9.]+ \(([^)]*)\)/.exec(text)?.[1] ?? "";
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3]), package: pkg };
}

let builds: QemuBuild[] | undefined;

/**
 * Every QEMU build the tests compare the model with: the binaries listed in
 * `CXL_DCD_QEMU_BUILDS` (colon-separated paths; `.ci/run` lists every Debian
 * build it installs), else the one {@linkcode availableQemu} finds. A listed
 * binary that is missing is a loud warning, and the tests that need it are
 * skipped; an empty result means every such test is skipped (said once).
 *
 * @param what the tests that are skipped without QEMU, for the warning
 */
export function qemuBuilds(what = "QEMU tests"): QemuBuild[] {
  if (builds === undefined) {
    let listed: string[] = [];
    try {
      listed = (Deno.env.get("CXL_DCD_QEMU_BUILDS") ?? "").split(":").filter((p) => p !== "");
    } catch {
      listed = [];
    }
    const paths: string[] = [];
    if (listed.length === 0) {
      const one = availableQemu(what);
      if (one !== undefined) paths.push(one);
    } else {
      for (const p of listed) {
        const path = existingBinary(p);
        if (path !== undefined) paths.push(path);
        else {console.warn(
            `\n!!! SKIPPING ${what} on '${p}': listed in CXL_DCD_QEMU_BUILDS, not found\n`,
          );}
      }
    }
    builds = paths.map((binary) => {
      const v = versionOfBinary(binary);
      const version = `${v.major}.${v.minor}.${v.micro}`;
      return {
        binary,
        version,
        profile: profileOfBuild(v, { seed: false }),
        label: `QEMU ${version}`,
      };
    });
  }
  return builds;
}

/**
 * The seed's own QEMU build (the tagged-memory RFC tree), from
 * `CXL_DCD_SEED_QEMU`; undefined after a loud warning when it is not set or
 * not there. CI cannot have this build (it is never committed or built by the
 * project), so the tests that need it skip there, loudly.
 *
 * @param what the tests that are skipped without it, for the warning
 */
export function seedQemu(what = "tests of the seed's own QEMU build"): string | undefined {
  let path: string | undefined;
  try {
    path = Deno.env.get("CXL_DCD_SEED_QEMU");
  } catch {
    path = undefined;
  }
  if (path !== undefined && path !== "" && existingBinary(path) !== undefined) return path;
  if (!warned.has(`seed:${what}`)) {
    warned.add(`seed:${what}`);
    console.warn(
      `\n!!! SKIPPING ${what}: no seed QEMU build (set CXL_DCD_SEED_QEMU to its qemu-system-x86_64${
        path ? `; '${path}' does not exist` : ""
      })\n`,
    );
  }
  return undefined;
}

/** State letter of a process from /proc (`gone` when it no longer exists). */
export function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "";
  } catch {
    return "gone";
  }
}

/** Waits up to `ms` for a process to be gone or a zombie; returns its last state. */
export async function waitDead(pid: number, ms = 2000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = processState(pid);
    if (state === "gone" || state === "Z" || state === "X" || Date.now() >= deadline) {
      return state;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Pids among those this test module started that are still running (not
 * gone, not a zombie). Checks only our own QEMUs, so it holds when other
 * test files run QEMUs in parallel.
 */
export function runningSpawned(): number[] {
  return spawnedPids().filter((pid) => {
    const state = processState(pid);
    return state !== "gone" && state !== "Z" && state !== "X";
  });
}

/** Whether a path exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
