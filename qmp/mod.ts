/**
 * The QMP wire layer: a QEMU-compatible JSON stream parser and serializer,
 * the per-client protocol session, a socket server and client, the simulated
 * host modes and the `serve` command line.
 *
 * @example
 * ```ts
 * import { formatJson, parseJson } from "@cxl-dcd/conformance/qmp";
 * const v = parseJson('{"return": {}, "id": 18446744073709551615}');
 * if (formatJson(v) !== '{"return": {}, "id": 18446744073709551615}') throw new Error("round trip");
 * ```
 *
 * @module
 */

export * from "./address.ts";
export * from "./channel.ts";
export * from "./client.ts";
export * from "./device_host.ts";
export * from "./extension.ts";
export * from "./host_accept.ts";
export * from "./json_format.ts";
export * from "./json_stream.ts";
export * from "./server.ts";
export * from "./session.ts";
export * from "./unix_socket.ts";
