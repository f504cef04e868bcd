/**
 * Transcripts (`*.qmp`, fixtures/FORMAT.md): the parser, its types, and the
 * bigint-preserving JSON reader and writer.
 *
 * @module
 */

export * from "./types.ts";
export {
  alternativeFor,
  DEFAULT_MACHINE,
  DEFAULT_STEP_TIMEOUT_MS,
  escapeText,
  parseTranscript,
  splitArgs,
  TranscriptError,
  unescapeText,
} from "./parse.ts";
export {
  formatJsonForTranscript,
  type JsonReadResult,
  JsonSyntaxError,
  parseJson,
  readJson,
  stringifyJson,
} from "./json.ts";
