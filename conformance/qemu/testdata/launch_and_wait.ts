/**
 * Test helper process: launches a QEMU and prints its pid and socket
 * directory as one JSON line. Then, with `wait` (default), it waits to be
 * interrupted; with `exit`, it exits at once without closing the QEMU.
 * launcher_test.ts checks that either way the QEMU dies and the directory
 * goes.
 *
 * @module
 */

import { launchQemu } from "../launcher.ts";
import { DCD_1X2G } from "../test_util.ts";

const q = await launchQemu(DCD_1X2G, { binary: Deno.args[0] ?? "qemu-system-x86_64" });
console.log(JSON.stringify({ pid: q.process.pid, dir: q.process.dir }));
if (Deno.args[1] === "exit") Deno.exit(0);
await new Promise(() => {});
