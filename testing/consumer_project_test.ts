import assert from "node:assert/strict";
import { consumerFiles } from "./consumer_project.ts";

Deno.test("another Deno project uses the package through its public import names, from a checkout, without JSR", async () => {
  const project = await Deno.makeTempDir({ prefix: "consumer-" });
  try {
    const { config, main } = await consumerFiles(project);
    assert.match(config, /"@cxl-dcd\/conformance": "[^"]*\/mod\.ts"/);
    await Deno.writeTextFile(`${project}/deno.json`, config);
    await Deno.writeTextFile(`${project}/main.ts`, main);
    const env = Deno.env.toObject();
    delete env["INIT_CWD"];
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-RWN", "main.ts"], // the README's command,
      cwd: project,
      clearEnv: true,
      env: { ...env, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /^true \{"qemu":\{"micro":\d+,"minor":1,"major":11\},"package":".*"\}\n$/);
    await assert.rejects(Deno.lstat(`${project}/qmp.sock`), Deno.errors.NotFound, "socket removed");
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});
