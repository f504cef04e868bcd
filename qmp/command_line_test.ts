import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { QmpClient } from "./client.ts";
import { invocationDir, nearest } from "./command_line.ts";
import { capture } from "./testing/capture.ts";
import { main } from "./serve_main.ts";

Deno.test("nearest suggests the option one or two edits away, or a prefix, and nothing far", () => {
  const options = ["profile", "host", "listen-any", "concurrent-clients", "max-clients", "quiet"];
  assertEquals(nearest("profle", options), "profile");
  assertEquals(nearest("hots", options), "host");
  assertEquals(nearest("concurrent", options), "concurrent-clients");
  assertEquals(nearest("max-client", options), "max-clients");
  assertEquals(nearest("bogus", options), undefined);
  assertEquals(nearest("M", options), undefined);
});

Deno.test("invocationDir is INIT_CWD when run in the task root and it names a directory, else the current directory", () => {
  const saved = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", "/");
    assertEquals(invocationDir(), "/");
    assertEquals(invocationDir(Deno.cwd()), "/", "run by the task of this directory");
    assertEquals(
      invocationDir("/nonexistent/repo"),
      Deno.cwd(),
      "run directly, elsewhere: an inherited INIT_CWD is stale",
    );
    Deno.env.set("INIT_CWD", "/nonexistent/dir");
    assertEquals(invocationDir(), Deno.cwd());
    Deno.env.delete("INIT_CWD");
    assertEquals(invocationDir(), Deno.cwd());
  } finally {
    if (saved === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", saved);
  }
});

Deno.test("serve suggests the option a misspelt one was meant to be", async () => {
  const c = capture();
  assertEquals(await main(["--profle", "seed", "--", "-qmp", "unix:x"], c.deps), 2);
  assertEquals(
    c.err[0],
    "serve: unknown option '--profle' (did you mean --profile?); QEMU arguments go after '--' (see --help)",
  );
});

Deno.test("deno task serve binds a relative -qmp unix: path in the caller's directory, not the repository's", async () => {
  const home = await Deno.makeTempDir({ prefix: "serve-cwd-" });
  const env = Deno.env.toObject();
  delete env["INIT_CWD"]; // a user's shell, not the `npx deno test` above us
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "--quiet",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      "serve",
      "--",
      "-M",
      "q35",
      "-qmp",
      "unix:rel.sock,server=on,wait=off",
    ],
    cwd: home,
    clearEnv: true,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.text();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let said = "";
    while (!said.includes("listening")) {
      const { value, done } = await reader.read();
      if (done) break;
      said += value;
    }
    ok(said.includes("QMP listening on unix:rel.sock"), said);
    ok((await Deno.lstat(`${home}/rel.sock`)).isSocket, "the socket is in the caller's directory");
    const client = await QmpClient.connect(`unix:${home}/rel.sock`);
    await client.negotiate();
    await client.execute("quit").catch(() => {});
    await client.close();
    await reader.cancel();
    const status = await child.status;
    assertEquals(status.code, 0, await stderr);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
    await stderr.catch(() => "");
    await Deno.remove(home, { recursive: true });
  }
});
