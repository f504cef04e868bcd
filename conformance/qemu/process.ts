/**
 * One QEMU child process with a private temporary directory (mode 0700) for
 * its sockets, its stderr captured, and a guarantee that it ends: on close(),
 * on SIGINT, SIGTERM or SIGHUP of the runner (every live child is killed,
 * every directory removed, then the runner exits; see `../interrupt.ts`)
 * and when the runner's process exits normally.
 *
 * @module
 */

import { onInterrupt } from "../interrupt.ts";
import type { TargetExit } from "../target_types.ts";

/** Bytes of stderr kept per process (the tail is what matters). */
const STDERR_KEEP = 256 * 1024;

const live = new Set<QemuProcess>();
let uninstall: (() => void) | undefined;

function killAllSync(): void {
  for (const p of live) p.killSync();
}

const onUnload = () => killAllSync();

function register(p: QemuProcess): void {
  live.add(p);
  if (uninstall === undefined) {
    const dispose = onInterrupt(killAllSync);
    globalThis.addEventListener("unload", onUnload);
    uninstall = () => {
      dispose();
      globalThis.removeEventListener("unload", onUnload);
    };
  }
}

function unregister(p: QemuProcess): void {
  live.delete(p);
  if (live.size === 0 && uninstall !== undefined) {
    // Listeners exist only while children do (keeps Deno's test sanitizers quiet).
    uninstall();
    uninstall = undefined;
  }
}

const spawned: number[] = [];

/** Pids of every process this module started, oldest first (for leak checks in tests). */
export function spawnedPids(): readonly number[] {
  return spawned;
}

/** Number of QEMU processes this module currently owns (for tests). */
export function liveProcessCount(): number {
  return live.size;
}

/** The binary could not be started at all. */
export class SpawnError extends Error {
  /** Creates the error with its message. */
  constructor(message: string) {
    super(message);
    this.name = "SpawnError";
  }
}

/** A running (or ended) QEMU child process. */
export class QemuProcess {
  /** The binary that was started. */
  readonly binary: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Private directory holding the sockets (removed on close). */
  readonly dir: string;
  /** Process id. */
  readonly pid: number;
  /** Resolves when the process ended. */
  readonly status: Promise<TargetExit>;
  readonly #child: Deno.ChildProcess;
  readonly #stderrChunks: Uint8Array[] = [];
  #stderrBytes = 0;
  #stderrDone: Promise<void>;
  #exit: TargetExit | undefined;
  #closing = false;
  /** Signals this module sent: a death by one of them is no crash. */
  readonly #sent = new Set<string>();
  #cleaned = false;
  /** Paths in `dir` the runner or the process create (removed by name when `dir` cannot be listed). */
  readonly #files: readonly string[];

  private constructor(
    binary: string,
    args: readonly string[],
    dir: string,
    child: Deno.ChildProcess,
    files: readonly string[],
  ) {
    this.binary = binary;
    this.args = args;
    this.dir = dir;
    this.#files = files;
    this.#child = child;
    this.pid = child.pid;
    this.#stderrDone = this.#drain(child.stderr);
    this.status = child.status.then(async (s) => {
      await this.#stderrDone;
      const exit: TargetExit = {
        code: s.signal ? null : s.code,
        signal: s.signal,
        // A signal nobody here sent (SIGSEGV, an outside SIGKILL) is a death even during close().
        unexpected: s.signal !== null ? !this.#sent.has(s.signal) : !this.#closing,
        stderrTail: this.stderrTail(),
      };
      this.#exit = exit;
      return exit;
    });
  }

  /**
   * Starts `binary` with `args` (stdin and stdout null, stderr captured) and
   * registers it for cleanup. `dir` is owned by the process from now on;
   * `files` are the paths in it that the runner wrote or the process will
   * create (its sockets), so that `dir` can be emptied by name when no file
   * descriptor is left to list it. Throws {@linkcode SpawnError} when the
   * binary cannot be started.
   */
  static spawn(
    binary: string,
    args: readonly string[],
    dir: string,
    files?: readonly string[],
  ): QemuProcess {
    files ??= [];
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(binary, {
        args: [...args],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      removePrivateDir(dir, files);
      const why = e instanceof Deno.errors.NotFound
        ? "no such file (set QEMU_BINARY or pass --qemu with the path of qemu-system-x86_64)"
        : e instanceof Deno.errors.PermissionDenied
        ? "permission denied (is it executable?)"
        : isDescriptorExhaustion(e)
        ? `the runner is out of file descriptors (${
          (e as Error).message
        }): raise the limit (ulimit -n) or run fewer fixtures at once (--jobs)`
        : (e as Error).message;
      throw new SpawnError(`cannot start QEMU binary '${binary}': ${why}`);
    }
    const p = new QemuProcess(binary, args, dir, child, files);
    spawned.push(p.pid);
    register(p);
    return p;
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of stream) {
        this.#stderrChunks.push(chunk);
        this.#stderrBytes += chunk.length;
        while (this.#stderrBytes > STDERR_KEEP && this.#stderrChunks.length > 1) {
          this.#stderrBytes -= this.#stderrChunks.shift()?.length ?? 0;
        }
      }
    } catch {
      // the pipe broke: the process is gone
    }
  }

  /** Everything captured from stderr so far (at most the last 256 KiB). */
  stderr(): string {
    const all = new Uint8Array(this.#stderrBytes);
    let at = 0;
    for (const c of this.#stderrChunks) {
      all.set(c, at);
      at += c.length;
    }
    return new TextDecoder().decode(all);
  }

  /**
   * The last `lines` lines of stderr.
   *
   * @param lines how many lines (default 20)
   */
  stderrTail(lines?: number): string {
    lines ??= 20;
    const text = this.stderr().replace(/\n+$/, "");
    return text === "" ? "" : text.split("\n").slice(-lines).join("\n");
  }

  /** Waits until stderr reached end of file (after the process ended). */
  async stderrComplete(): Promise<string> {
    await this.#stderrDone;
    return this.stderr();
  }

  /** How the process ended, once it has. */
  exited(): TargetExit | undefined {
    return this.#exit;
  }

  /** Marks the end as expected (a `quit` or close() is under way). */
  expectExit(): void {
    this.#closing = true;
  }

  /**
   * The exact command line, shell-quoted: paste it after `gdb --args` to
   * rerun this QEMU by hand (its sockets are in {@linkcode dir}).
   */
  get commandLine(): string {
    return shellQuote([this.binary, ...this.args]);
  }

  /** Sends a signal, ignoring a process that is already gone. */
  kill(signal: Deno.Signal): void {
    this.#sent.add(signal);
    try {
      this.#child.kill(signal);
    } catch {
      // already ended
    }
  }

  /** Kills the process and removes its directory, synchronously (signal path). */
  killSync(): void {
    this.#closing = true;
    if (this.#exit === undefined) this.kill("SIGKILL");
    removePrivateDir(this.dir, this.#files);
  }

  /**
   * Waits at most `ms` for the process to end; undefined when it still runs.
   */
  async waitExit(ms: number): Promise<TargetExit | undefined> {
    if (this.#exit !== undefined) return this.#exit;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exit = await Promise.race([
      this.status,
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms)),
    ]);
    clearTimeout(timer);
    return exit;
  }

  /**
   * Ends the process: SIGTERM, then SIGKILL after `graceMs`; removes the
   * directory (unless `keep`: then its sockets stay, with `stderr.log` and
   * `command.sh` written beside them); unregisters. Returns how it ended.
   *
   * @param graceMs how long SIGTERM has before SIGKILL (default 2000)
   * @param options `keep` leaves the directory in place (default: removed)
   */
  async close(graceMs?: number, options?: { keep?: boolean }): Promise<TargetExit> {
    graceMs ??= 2000;
    options ??= {};
    if (this.#exit === undefined) this.#closing = true;
    if (this.#exit === undefined) {
      this.kill("SIGTERM");
      this.kill("SIGCONT"); // a stopped QEMU must run to act on SIGTERM
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        this.status.then(() => false),
        new Promise<boolean>((r) => timer = setTimeout(() => r(true), graceMs)),
      ]);
      clearTimeout(timer);
      if (timedOut) this.kill("SIGKILL");
    }
    const exit = await this.status;
    if (options.keep && !this.#cleaned) await this.#writeKeptFiles();
    this.#cleanup(options.keep === true);
    return exit;
  }

  async #writeKeptFiles(): Promise<void> {
    try {
      await Deno.writeTextFile(`${this.dir}/stderr.log`, this.stderr());
      await Deno.writeTextFile(
        `${this.dir}/command.sh`,
        `#!/bin/sh\n# Reruns this QEMU (prefix 'gdb --args' to debug it).\nexec ${this.commandLine}\n`,
        { mode: 0o700 },
      );
    } catch {
      // The directory is gone (a signal cleaned up): nothing to keep.
    }
  }

  #cleanup(keep = false): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    if (!keep) removePrivateDir(this.dir, this.#files);
    unregister(this);
  }
}

/**
 * Removes a process's private directory (also one no process owns yet). An empty one (QEMU removes its sockets as it
 * exits; a binary that never started made none) goes by rmdir(2), which needs
 * no file descriptor; so does unlinking the `files` known to be in it (a
 * killed QEMU leaves its sockets), which is tried next. Only then the
 * recursive removal, which opens the directory and fails when the runner has
 * run out of descriptors.
 */
export function removePrivateDir(dir: string, files: readonly string[]): void {
  try {
    Deno.removeSync(dir);
    return;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
  }
  for (const f of files) {
    try {
      Deno.removeSync(f);
    } catch {
      // not created, or already gone
    }
  }
  try {
    Deno.removeSync(dir);
    return;
  } catch {
    // something else is in it
  }
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // already gone, or no descriptor left to list it
  }
}

/** Whether an error is the process's file-descriptor limit (EMFILE) or the system's (ENFILE). */
export function isDescriptorExhaustion(e: unknown): boolean {
  return e instanceof Error && /os error 2[34]\b|Too many open files/.test(e.message);
}

/**
 * Quotes arguments for a POSIX shell: plain words as they are, anything else
 * in single quotes.
 *
 * @example
 * ```ts
 * import { shellQuote } from "@cxl-dcd/conformance/conformance";
 * const line = shellQuote(["qemu", "-object", "memory-backend-ram,id=m,size=1G", "it's"]);
 * if (line !== "qemu -object memory-backend-ram,id=m,size=1G 'it'\\''s'") throw new Error(line);
 * ```
 */
export function shellQuote(args: readonly string[]): string {
  return args.map((a) =>
    /^[A-Za-z0-9_\/.,=:@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`
  )
    .join(" ");
}

/** Creates a private (0700) temporary directory for one QEMU's sockets. */
export async function makePrivateDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "cxl-qemu-" });
  await Deno.chmod(dir, 0o700);
  return dir;
}
