/**
 * The reference of the host-step vocabulary, rendered from the codec's own
 * table ({@linkcode HOST_COMMANDS}): every command with its opcode, request
 * fields (type, default, meaning), reply fields and an example line, plus the
 * return code names. `deno task host-reference` writes it to
 * `fixtures/HOST_COMMANDS.md` (through `deno fmt`, so the committed file is
 * what the formatter keeps); a test fails when the two differ.
 *
 * @module
 */

import { ReturnCode } from "../../model/host_interface.ts";
import type { QmpValue } from "../../model/qmp_value.ts";
import { stringifyJson } from "../transcript/json.ts";
import { HOST_COMMANDS, type HostCommand, type HostField } from "./codec.ts";
import { FM_COMMANDS } from "./fm_codec.ts";

/**
 * Every command a host step can name: the mailbox commands of
 * {@linkcode HOST_COMMANDS}, then the fabric manager's `fm-` commands of
 * {@linkcode FM_COMMANDS} (same shape; they go through the switch CCI).
 */
export const REFERENCE_COMMANDS: Readonly<Record<string, HostCommand>> = {
  ...HOST_COMMANDS,
  ...FM_COMMANDS,
};

/** Where `deno task host-reference` writes the reference. */
export const HOST_REFERENCE_PATH: string =
  new URL("../../fixtures/HOST_COMMANDS.md", import.meta.url).pathname;

/** The device id the example lines address (the `cxl-vmem0` of every DC machine preset). */
export const EXAMPLE_DEVICE = "cxl-vmem0";

/**
 * The example host step of a command, as a transcript writes it.
 *
 * @example
 * ```ts
 * import { exampleLine } from "./reference.ts";
 * import { HOST_COMMANDS } from "@cxl-dcd/conformance/conformance";
 * const line = exampleLine(HOST_COMMANDS["get-event-records"]!);
 * if (line !== '=> cxl-vmem0 get-event-records {"log": "dynamic-capacity"}') throw new Error(line);
 * ```
 */
export function exampleLine(command: HostCommand): string {
  return `=> ${EXAMPLE_DEVICE} ${command.name} ${spaced(command.example)}`;
}

/** JSON on one line with a space after `:` and `,`, as the fixtures write it. */
function spaced(value: QmpValue): string {
  if (Array.isArray(value)) return `[${value.map(spaced).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{${
      Object.entries(value).map(([k, v]) => `${stringifyJson(k)}: ${spaced(v)}`).join(", ")
    }}`;
  }
  return stringifyJson(value);
}

function opcodeText(command: HostCommand): string {
  return command.opcode === undefined
    ? "the `opcode` field"
    : `0x${command.opcode.toString(16).padStart(4, "0")}`;
}

function typeText(field: HostField): string {
  if (field.type === "list") {
    return field.element !== undefined ? `list of ${field.element}` : "list of objects";
  }
  return field.type;
}

function defaultText(field: HostField): string {
  if (field.default !== undefined) return `\`${JSON.stringify(field.default)}\``;
  if (field.defaultText !== undefined) return field.defaultText;
  return "required";
}

function flatten(fields: readonly HostField[], prefix = ""): { path: string; field: HostField }[] {
  return fields.flatMap((field) => {
    const path = `${prefix}${field.name}`;
    const inner = field.fields === undefined
      ? []
      : flatten(field.fields, `${path}${field.type === "list" ? "[]" : ""}.`);
    return [{ path, field }, ...inner];
  });
}

function table(head: readonly string[], rows: readonly string[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function section(command: HostCommand): string[] {
  const out = [
    `## \`${command.name}\``,
    "",
    `${command.title}, opcode ${opcodeText(command)}.`,
    "",
  ];
  out.push("```text", exampleLine(command), "```", "");
  if (command.input.length === 0) out.push("Request fields: none.", "");
  else {
    out.push(
      ...table(
        ["request field", "type", "default", "meaning"],
        flatten(command.input).map(({ path, field }) => [
          `\`${path}\``,
          typeText(field),
          path.includes(".") ? "required" : defaultText(field),
          field.doc,
        ]),
      ),
      "",
    );
  }
  if (command.output.length === 0) out.push("Reply fields: none (`<= RC {}`).", "");
  else {
    out.push(
      ...table(
        ["reply field", "type", "meaning"],
        flatten(command.output).map((
          { path, field },
        ) => [`\`${path}\``, typeText(field), field.doc]),
      ),
      "",
    );
  }
  return out;
}

/**
 * Renders the reference of every host command (markdown, before `deno fmt`).
 *
 * @param commands the command table (default: {@linkcode REFERENCE_COMMANDS})
 *
 * @example
 * ```ts
 * import { renderHostReference } from "./reference.ts";
 * const md = renderHostReference();
 * if (!md.includes("## `add-dc-response`") || !md.includes("0x4802")) throw new Error();
 * ```
 */
export function renderHostReference(
  commands: Readonly<Record<string, HostCommand>> = REFERENCE_COMMANDS,
): string {
  const list = Object.values(commands);
  const out = [
    "<!-- Generated by `deno task host-reference` from HOST_COMMANDS in conformance/host/codec.ts and FM_COMMANDS in model/dcd/fm_codec.ts; do not edit. -->",
    "",
    "# Host commands",
    "",
    "The mailbox commands a host step names (`=> DEVICE COMMAND {fields}`, answered by " +
    "`<= RC {fields}`; see [FORMAT.md](FORMAT.md)). Request fields are written as decoded " +
    "values and encoded by the suite; reply fields are what the suite decodes from the " +
    "output payload. Field names are kebab-case; `uN` is an unsigned N-bit integer (a JSON " +
    "number, exact beyond 2^53); `uuid` is UUID text; `hex` is bytes as hex text; `log` is " +
    "an event log by name or id. Reserved bytes are neither written nor shown. DPAs are " +
    "absolute (QMP offsets are relative to the region).",
    "",
    "Every command also accepts `payload-length` (u16): the encoded input is cut or " +
    "zero-padded to exactly that many bytes. Decoding never fails: an empty output payload " +
    "is `{}`, bytes beyond the structure appear as `trailing-hex`, and a payload too short " +
    'for the structure it announces is `{"payload-hex": ..., "decode-error": ...}`.',
    "",
    "The `fm-` commands are the fabric manager's: they run on a type-3 below a switch through " +
    "the 0x5300 tunnel of the `cxl-switch-mailbox-cci` above it (`fm-switch-cci-raw` on that " +
    "switch CCI itself), need feature `fm-api-dcd`, and are what the served model's " +
    "`__io.github.cxl-dcd-conformance_fm-api` extension takes as `{device, command, fields}`.",
    "",
    ...table(
      ["command", "opcode", "CXL command"],
      list.map((c) => [`[\`${c.name}\`](#${c.name})`, opcodeText(c), c.title]),
    ),
    "",
    ...list.flatMap(section),
    "## Return codes",
    "",
    "`<= RC` takes a name or hex (`0x0f`); a code without a name is shown in hex.",
    "",
    ...table(
      ["name", "code"],
      Object.entries(ReturnCode).map(([name, code]) => [
        `\`${name}\``,
        `0x${code.toString(16).padStart(2, "0")}`,
      ]),
    ),
    "",
  ];
  return out.join("\n");
}

/**
 * Formats markdown with the repository's `deno fmt` settings (a `deno fmt -`
 * subprocess run from the repository root).
 */
export async function formatMarkdown(text: string): Promise<string> {
  const root = new URL("../..", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(
      `deno fmt refused the rendered reference (exit ${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
  return new TextDecoder().decode(stdout);
}

if (import.meta.main) {
  const text = await formatMarkdown(renderHostReference());
  await Deno.writeTextFile(HOST_REFERENCE_PATH, text);
  console.log(`wrote ${HOST_REFERENCE_PATH} (${Object.keys(REFERENCE_COMMANDS).length} commands)`);
}
