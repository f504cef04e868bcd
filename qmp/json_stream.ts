/**
 * An incremental JSON stream parser that behaves like QEMU's QMP input path
 * (json-lexer, json-streamer and json-parser) on well-formed AND malformed
 * input: the same values, the same error texts, the same number of error
 * objects for one malformed line, the same recovery points. Two dialects,
 * chosen by {@linkcode JsonStreamOptions.dialect} (a profile's
 * `qmp.jsonErrors`); values parsed from valid input are the same in both.
 *
 * `qemu-10.0` (verified against QEMU 10.0.2, see `json_stream_test.ts`):
 * - a lexical error reports `JSON parse error, stray '<token so far>'` and the
 *   lexer then skips input until a structural character (`{ } [ ] , :`), a
 *   control character other than TAB, or a byte 0xFE/0xFF;
 * - a message is parsed as soon as its brackets balance (or go negative), so
 *   a lone `}` gives `JSON parse error, expecting value` and an unterminated
 *   object produces nothing until more input arrives; a lexical error drops
 *   the message collected so far;
 * - single-quoted strings are accepted, `\u0000` is allowed, invalid UTF-8
 *   inside strings is an error, interpolation (`%`) is not available;
 * - nesting above 1024 gives `JSON nesting depth limit exceeded`; a message
 *   above the size bound gives `JSON token size limit exceeded` (QEMU's bound
 *   is 64 MiB; servers pass a smaller one with the same text); each limit
 *   error drops the message collected so far;
 * - integers that fit int64/uint64 stay exact (bigint beyond the safe range),
 *   others become doubles, as QEMU's QNum does;
 * - at end of input ({@linkcode JsonStreamParser.flush}) an unfinished string
 *   or number is a stray and an open message gives `JSON parse error,
 *   premature EOI`.
 *
 * `qemu-11.1` (verified against QEMU 11.1.3): the same lexer, the same
 * message boundaries and limits, but the parser runs token by token:
 * - every `JSON parse error, ...` text starts with `LINE:COLUMN: ` (1-based,
 *   over everything the stream was fed: the lines of one QMP connection).
 *   Lines end at LF only; the column counts bytes (CR, TAB and each byte of
 *   a UTF-8 sequence are one column). The position is the first byte of the
 *   offending token (for a stray, of the text shown), plus one when that byte
 *   was the lookahead that ended a number, a keyword or the skipping after a
 *   lexical error (as if that byte were counted twice); whitespace between
 *   resynchronises;
 * - a grammar error is reported at the token that shows it, as soon as it
 *   arrives, with new texts: `expecting key` (10.0: `key is not a string in
 *   object`, or `expecting value` / `invalid keyword` in a key position),
 *   `expecting ':'` (`missing : in object pair`), `expected ',' or '}'`
 *   (`expected separator in dict`), `expected ',' or ']'` (`expected
 *   separator in list`); `duplicate key` is reported at the last token of the
 *   repeated member's value; string and keyword errors keep their texts;
 * - after an error (also a limit error: `JSON nesting depth limit exceeded`,
 *   `JSON token size limit exceeded`, `JSON token count limit exceeded`, which
 *   keep their unprefixed texts), the rest of the message up to where its
 *   brackets balance is skipped without further errors; a lexical error while skipping
 *   is silent and ends the skipping (the next byte starts a new message), a
 *   lexical error otherwise is reported and also starts a new message;
 * - so `{"execute": query-status}` gives `invalid keyword 'query'` (the
 *   parser sees `query` before the lexer sees `-s`) and then `expecting value`
 *   for the `}` after the silent stray;
 * - at end of input (only {@linkcode JsonStreamParser.flush}, never on a QMP
 *   connection) an unfinished token is a stray and an open message gives
 *   `JSON parse error, premature end of input` one column after the last
 *   byte, two after a number or keyword it ends (as `-blockdev` JSON shows).
 *
 * @module
 */

import type { JsonErrorDialect } from "../model/profile.ts";
import type { QmpObject, QmpValue } from "../model/qmp_value.ts";
import { markFloat } from "../model/qapi/json_float.ts";

/** QEMU's bound on the bytes of one message (MAX_TOKEN_SIZE, 64 MiB). */
export const QEMU_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** QEMU's bound on the tokens of one message (MAX_TOKEN_COUNT). */
export const QEMU_MAX_TOKEN_COUNT = 2 * 1024 * 1024;
/** QEMU's bound on bracket nesting (MAX_NESTING). */
export const QEMU_MAX_NESTING = 1024;

/** Limits of a {@linkcode JsonStreamParser}. */
export interface JsonStreamOptions {
  /**
   * Largest message, in bytes of its tokens (default: QEMU's 64 MiB). A
   * longer message is answered with QEMU's `JSON token size limit exceeded`.
   */
  maxMessageBytes?: number;
  /** Largest token count of one message (default: QEMU's 2 Mi). */
  maxTokenCount?: number;
  /** Deepest nesting (default: QEMU's 1024). */
  maxNesting?: number;
  /**
   * Whose error behaviour to reproduce (default `qemu-10.0`): `qemu-11.1`
   * prefixes parse errors with `LINE:COLUMN: ` and reports grammar errors
   * token by token with 11.1's texts (see the module documentation).
   */
  dialect?: JsonErrorDialect;
}

/** One thing the stream produced: a parsed value, or QEMU's error text. */
export type JsonStreamItem = { value: QmpValue } | { error: string };

const enum T {
  LCURLY,
  RCURLY,
  LSQUARE,
  RSQUARE,
  COLON,
  COMMA,
  INTEGER,
  FLOAT,
  KEYWORD,
  STRING,
}

/**
 * The tokens of one message (10.0's parser runs once the message is
 * complete), stored compactly: token `i` has type `types[i]` and the bytes
 * `data[starts[i]]` up to `data[starts[i + 1]]`. A few bytes per token, so an
 * unfinished message of N bytes holds about 6 N bytes, never an object per
 * token.
 */
class TokenStore {
  types = new Uint8Array(INITIAL_TOKENS);
  starts = new Uint32Array(INITIAL_TOKENS + 1);
  data = new Uint8Array(INITIAL_TOKEN_DATA);
  count = 0;

  /** Appends a token: its type and the first `len` bytes of `src` (all of them by default). */
  push(type: T, src: Uint8Array, len: number = src.length): void {
    const n = this.count;
    if (n === this.types.length) {
      // transfer() moves the contents and frees the old memory at once.
      this.types = new Uint8Array(this.types.buffer.transfer(n * 2));
      this.starts = new Uint32Array(this.starts.buffer.transfer((n * 2 + 1) * 4));
    }
    const at = this.starts[n]!;
    const end = at + len;
    if (end > this.data.length) {
      let size = this.data.length * 2;
      while (size < end) size *= 2;
      this.data = new Uint8Array(this.data.buffer.transfer(size));
    }
    if (len <= 64) { for (let i = 0; i < len; i++) this.data[at + i] = src[i]!; }
    else this.data.set(src.subarray(0, len), at);
    this.types[n] = type;
    this.starts[n + 1] = end;
    this.count = n + 1;
  }

  /** Type of token `i`. */
  type(i: number): T {
    return this.types[i] as T;
  }

  /** Bytes of token `i` (a view, valid until the store changes). */
  bytes(i: number): Uint8Array {
    return this.data.subarray(this.starts[i]!, this.starts[i + 1]!);
  }

  /** Value of token `i` (a string, number or keyword; see `literal`). */
  literal(i: number): QmpValue {
    return literal(this.types[i] as T, this.data, this.starts[i]!, this.starts[i + 1]!);
  }

  /** Forgets every token and shrinks to the initial size. */
  release(): void {
    this.#forget(1);
  }

  /** Forgets every token; memory grown for a big message is freed at once. */
  clear(): void {
    this.#forget(16);
  }

  /** Forgets every token; an array above `factor` times its initial size shrinks back to it. */
  #forget(factor: number): void {
    this.count = 0;
    if (this.types.length > INITIAL_TOKENS * factor) {
      this.types = new Uint8Array(this.types.buffer.transfer(INITIAL_TOKENS));
      this.starts = new Uint32Array(this.starts.buffer.transfer((INITIAL_TOKENS + 1) * 4));
    }
    if (this.data.length > INITIAL_TOKEN_DATA * factor) {
      this.data = new Uint8Array(this.data.buffer.transfer(INITIAL_TOKEN_DATA));
    }
  }
}

const INITIAL_TOKENS = 256;
const INITIAL_TOKEN_DATA = 1024;

const enum S {
  START,
  RECOVERY,
  DQ,
  DQ_ESC,
  SQ,
  SQ_ESC,
  ZERO,
  NONZERO,
  NEG,
  MANTISSA,
  MANTISSA_DIGITS,
  EXP_E,
  DIGIT,
  DIGITS,
  KEYWORD,
  WHITESPACE,
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

// Only ever applied to bytes below 0x80, where latin1 is ASCII.
const ASCII = new TextDecoder("latin1");

/**
 * Feeds bytes (or text, encoded as UTF-8) in arbitrary chunks and calls
 * `onItem` for every complete message or error, in input order.
 *
 * @example
 * ```ts
 * import { JsonStreamParser, type JsonStreamItem } from "@cxl-dcd/conformance/qmp";
 * const items: JsonStreamItem[] = [];
 * const p = new JsonStreamParser((item) => items.push(item));
 * p.feed('{"execute": query-status}\n');
 * if (items.length !== 2) throw new Error("QEMU answers this line twice");
 * ```
 */
export class JsonStreamParser {
  readonly #onItem: (item: JsonStreamItem) => void;
  readonly #maxBytes: number;
  readonly #maxTokens: number;
  readonly #maxNesting: number;
  /** The 11.1 parser when that dialect is chosen (undefined: 10.0). */
  readonly #incremental: IncrementalParser | undefined;
  #state: S = S.START;
  #buf = new Uint8Array(64);
  #len = 0;
  /** 10.0: the tokens of the current message. */
  readonly #tokens = new TokenStore();
  #tokenCount = 0;
  #tokenBytes = 0;
  #braces = 0;
  #brackets = 0;
  /** 11.1: an error was reported in this message; skip to its end. */
  #skipping = false;
  /** Line and column of the byte being lexed (1-based; column 0 before a line's first byte). */
  #line = 1;
  #col = 0;
  /** Where the token being lexed starts, as 11.1 reports it. */
  #tokLine = 1;
  #tokCol = 1;
  readonly #encoder = new TextEncoder();

  /**
   * Creates a parser.
   *
   * @param onItem receives each parsed value or error, in order.
   * @param options limits (defaults are QEMU's) and the error dialect.
   */
  constructor(onItem: (item: JsonStreamItem) => void, options?: JsonStreamOptions) {
    options ??= {};
    this.#onItem = onItem;
    this.#maxBytes = options.maxMessageBytes ?? QEMU_MAX_MESSAGE_BYTES;
    this.#maxTokens = options.maxTokenCount ?? QEMU_MAX_TOKEN_COUNT;
    this.#maxNesting = options.maxNesting ?? QEMU_MAX_NESTING;
    if (options.dialect === "qemu-11.1") this.#incremental = new IncrementalParser();
  }

  /** Bytes held for an incomplete message (tokens plus the token being lexed). */
  get pendingBytes(): number {
    return this.#tokenBytes + this.#len;
  }

  /**
   * Drops an unfinished message and frees the memory it held at once (no
   * need to wait for a garbage collection); the parser stays usable.
   */
  release(): void {
    this.#state = S.START;
    this.#reset();
    this.#tokens.release();
    this.#len = 0;
    this.#buf = new Uint8Array(this.#buf.buffer.transfer(64));
  }

  /** Feeds a chunk; text is encoded as UTF-8. */
  feed(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === "string" ? this.#encoder.encode(chunk) : chunk;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      this.#col++;
      this.#char(c);
      if (c === 0x0a) {
        this.#line++;
        this.#col = 0;
      }
    }
  }

  /** End of input: parses what is complete (QEMU's JSON_END_OF_INPUT). */
  flush(): void {
    if (this.#incremental !== undefined) return this.#flush11();
    // A number or keyword in progress ends; an unfinished string or number is
    // a stray (as `-blockdev` JSON shows on QEMU 10.0.2).
    if (this.#state !== S.START && this.#state !== S.RECOVERY) {
      this.#char(-1);
      if (this.#len > 0) this.#lexError();
    }
    this.#state = S.START;
    this.#len = 0;
    if (this.#tokens.count === 0) return;
    const item = parseTokens(this.#tokens);
    this.#reset();
    this.#onItem(item);
  }

  /** 11.1's end of input, as its `-blockdev` JSON shows it. */
  #flush11(): void {
    const state = this.#state;
    // The end of input is one more column; as the lookahead ending a number
    // or keyword it counts twice.
    this.#col++;
    const col = isLookaheadTerminal(state) ? this.#col + 1 : this.#col;
    if (state !== S.START && state !== S.RECOVERY && state !== S.WHITESPACE) {
      this.#char(-1);
      // An unfinished string or number is a stray.
      if (this.#len > 0) this.#lexError();
    }
    this.#state = S.START;
    this.#len = 0;
    const report = this.#tokenCount > 0 && !this.#skipping;
    this.#reset();
    if (report) {
      this.#onItem({ error: `${this.#line}:${col}: JSON parse error, premature end of input` });
    }
  }

  #push(c: number): void {
    if (this.#len === this.#buf.length) {
      this.#buf = new Uint8Array(this.#buf.buffer.transfer(this.#buf.length * 2));
    }
    this.#buf[this.#len++] = c;
  }

  #take(): Uint8Array {
    const b = this.#buf.slice(0, this.#len);
    this.#dropLexeme();
    return b;
  }

  /** Forgets the bytes of the token being lexed (a buffer grown for a long one is released). */
  #dropLexeme(): void {
    this.#len = 0;
    if (this.#buf.length > 65536) this.#buf = new Uint8Array(this.#buf.buffer.transfer(64));
  }

  #reset(): void {
    this.#tokens.clear();
    this.#tokenCount = 0;
    this.#tokenBytes = 0;
    this.#braces = 0;
    this.#brackets = 0;
    this.#skipping = false;
    this.#incremental?.reset();
  }

  #emitError(desc: string): void {
    this.#reset();
    this.#onItem({ error: desc });
  }

  /** 11.1: reports an error of the current message unless one was already reported. */
  #error11(desc: string): void {
    if (this.#skipping) return;
    this.#skipping = true;
    this.#tokens.clear();
    this.#onItem({ error: desc });
  }

  /** `LINE:COLUMN: ` of the current token, 11.1's prefix. */
  #where(): string {
    return `${this.#tokLine}:${this.#tokCol}: `;
  }

  #lexError(): void {
    const text = cStringText(this.#take());
    this.#state = S.RECOVERY;
    const desc = `JSON parse error, stray '${text}'`;
    if (this.#incremental === undefined) return this.#emitError(desc);
    // 11.1: silent when the message already had its error; a new message follows.
    const silent = this.#skipping;
    this.#reset();
    if (!silent) this.#onItem({ error: this.#where() + desc });
  }

  /** One byte (or -1 for end of input) through the lexer state machine. */
  #char(c: number): void {
    // Whether `c` is being looked at again after it ended a number, a keyword
    // or the skipping after an error: 11.1 then reports a token starting
    // with it one column further.
    let again = false;
    for (;;) {
      switch (this.#state) {
        case S.RECOVERY:
          if (endsRecovery(c)) {
            this.#state = S.START;
            again = true;
            continue;
          }
          return;
        case S.START:
          if (c < 0) return;
          this.#push(c);
          this.#tokLine = this.#line;
          this.#tokCol = again ? this.#col + 1 : this.#col;
          switch (c) {
            case 0x22:
              this.#state = S.DQ;
              break;
            case 0x27:
              this.#state = S.SQ;
              break;
            case 0x30:
              this.#state = S.ZERO;
              break;
            case 0x2d:
              this.#state = S.NEG;
              break;
            case 0x7b:
              return this.#token(T.LCURLY);
            case 0x7d:
              return this.#token(T.RCURLY);
            case 0x5b:
              return this.#token(T.LSQUARE);
            case 0x5d:
              return this.#token(T.RSQUARE);
            case 0x3a:
              return this.#token(T.COLON);
            case 0x2c:
              return this.#token(T.COMMA);
            case 0x20:
            case 0x09:
            case 0x0d:
            case 0x0a:
              this.#len = 0;
              this.#state = S.WHITESPACE;
              return;
            default:
              if (c >= 0x31 && c <= 0x39) this.#state = S.NONZERO;
              else if (c >= 0x61 && c <= 0x7a) this.#state = S.KEYWORD;
              else return this.#lexError();
          }
          break;
        case S.DQ:
        case S.SQ: {
          if (c < 0) return;
          this.#push(c);
          const quote = this.#state === S.DQ ? 0x22 : 0x27;
          if (c === quote) return this.#token(T.STRING);
          if (c === 0x5c) this.#state = this.#state === S.DQ ? S.DQ_ESC : S.SQ_ESC;
          else if (c < 0x20 || c >= 0xfe) return this.#lexError();
          break;
        }
        case S.DQ_ESC:
        case S.SQ_ESC:
          if (c < 0) return;
          this.#push(c);
          if (c < 0x20 || c >= 0xfe) return this.#lexError();
          this.#state = this.#state === S.DQ_ESC ? S.DQ : S.SQ;
          break;
        case S.ZERO:
          if (isDigit(c)) {
            this.#push(c);
            return this.#lexError();
          }
          if (c === 0x2e) {
            this.#push(c);
            this.#state = S.MANTISSA;
            break;
          }
          this.#token(T.INTEGER);
          again = true;
          continue;
        case S.NONZERO:
          if (isDigit(c)) this.#push(c);
          else if (c === 0x65 || c === 0x45) {
            this.#push(c);
            this.#state = S.EXP_E;
          } else if (c === 0x2e) {
            this.#push(c);
            this.#state = S.MANTISSA;
          } else {
            this.#token(T.INTEGER);
            again = true;
            continue;
          }
          break;
        case S.NEG:
          if (c < 0) return;
          this.#push(c);
          if (c === 0x30) this.#state = S.ZERO;
          else if (c >= 0x31 && c <= 0x39) this.#state = S.NONZERO;
          else return this.#lexError();
          break;
        case S.MANTISSA:
        case S.DIGIT:
          if (c < 0) return;
          this.#push(c);
          if (!isDigit(c)) return this.#lexError();
          this.#state = this.#state === S.MANTISSA ? S.MANTISSA_DIGITS : S.DIGITS;
          break;
        case S.MANTISSA_DIGITS:
          if (isDigit(c)) this.#push(c);
          else if (c === 0x65 || c === 0x45) {
            this.#push(c);
            this.#state = S.EXP_E;
          } else {
            this.#token(T.FLOAT);
            again = true;
            continue;
          }
          break;
        case S.EXP_E:
          if (c < 0) return;
          this.#push(c);
          if (c === 0x2d || c === 0x2b) this.#state = S.DIGIT;
          else if (isDigit(c)) this.#state = S.DIGITS;
          else return this.#lexError();
          break;
        case S.DIGITS:
          if (isDigit(c)) this.#push(c);
          else {
            this.#token(T.FLOAT);
            again = true;
            continue;
          }
          break;
        case S.KEYWORD:
          if (c >= 0x61 && c <= 0x7a) this.#push(c);
          else {
            this.#token(T.KEYWORD);
            again = true;
            continue;
          }
          break;
        case S.WHITESPACE:
          if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) return;
          this.#state = S.START;
          continue;
      }
      // A token still being lexed may not grow without bound.
      if (this.#len > this.#maxBytes) {
        this.#len = 0;
        this.#state = S.START;
        this.#limitError("JSON token size limit exceeded");
      }
      return;
    }
  }

  /** A limit error: 10.0 drops the message, 11.1 skips to its end. */
  #limitError(desc: string): void {
    if (this.#incremental === undefined) this.#emitError(desc);
    else this.#error11(desc);
  }

  /** A complete token: the json-streamer's bookkeeping. */
  #token(type: T): void {
    this.#state = S.START;
    // The lexer's buffer holds the token: copied into the store (10.0) or
    // consumed at once by the 11.1 parser (as a view), then dropped.
    const len = this.#len;
    this.#len = 0;
    try {
      this.#completeToken(type, len);
    } finally {
      this.#dropLexeme();
    }
  }

  #completeToken(type: T, len: number): void {
    switch (type) {
      case T.LCURLY:
        this.#braces++;
        break;
      case T.RCURLY:
        this.#braces--;
        break;
      case T.LSQUARE:
        this.#brackets++;
        break;
      case T.RSQUARE:
        this.#brackets--;
        break;
      default:
        break;
    }
    const limit = this.#limitExceeded(len);
    if (this.#incremental !== undefined) {
      return this.#token11(type, this.#buf.subarray(0, len), limit, this.#incremental);
    }
    if (limit !== undefined) return this.#emitError(limit);
    this.#tokenCount++;
    this.#tokenBytes += len;
    this.#tokens.push(type, this.#buf, len);
    if (this.#messageOpen()) return;
    const item = parseTokens(this.#tokens);
    this.#reset();
    this.#onItem(item);
  }

  /** The streamer's limits on the message with one more token of `size` bytes. */
  #limitExceeded(size: number): string | undefined {
    if (this.#tokenBytes + size + 1 > this.#maxBytes) return "JSON token size limit exceeded";
    if (this.#tokenCount + 1 > this.#maxTokens) return "JSON token count limit exceeded";
    if (this.#braces + this.#brackets > this.#maxNesting) {
      return "JSON nesting depth limit exceeded";
    }
    return undefined;
  }

  /** Whether the current message continues (its brackets neither balance nor go negative). */
  #messageOpen(): boolean {
    return (this.#braces > 0 || this.#brackets > 0) && this.#braces >= 0 && this.#brackets >= 0;
  }

  /**
   * 11.1: the token goes straight to the parser, errors are reported where
   * they show, and the message ends where 10.0's would.
   */
  #token11(type: T, bytes: Uint8Array, limit: string | undefined, parser: IncrementalParser): void {
    if (limit !== undefined) this.#error11(limit);
    else {
      this.#tokenCount++;
      this.#tokenBytes += bytes.length;
      if (!this.#skipping) {
        const err = parser.step(type, bytes);
        if (err !== undefined) {
          this.#error11(this.#where() + err);
          this.#tokens.clear();
        } else this.#tokens.push(type, bytes);
      }
    }
    if (this.#messageOpen()) return;
    // The incremental parser only checks; the value of a message it accepted
    // is built from the compact tokens (valid input parses the same in both dialects).
    const item = this.#skipping ? undefined : parseTokens(this.#tokens);
    this.#reset();
    if (item !== undefined) this.#onItem(item);
  }
}

/**
 * Whether the skipping after a lexical error ends at `c` (which is then
 * lexed): a structural character `{ } [ ] , :`, a control character other
 * than TAB, or a byte 0xFE/0xFF (never valid in UTF-8).
 */
function endsRecovery(c: number): boolean {
  if (c < 0x20) return c !== 0x09;
  return c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x2c || c === 0x3a ||
    c >= 0xfe;
}

/** Lexer states that end their token on the byte after it (which is then looked at again). */
function isLookaheadTerminal(s: S): boolean {
  return s === S.ZERO || s === S.NONZERO || s === S.MANTISSA_DIGITS || s === S.DIGITS ||
    s === S.KEYWORD;
}

class ParseError extends Error {}

/** What the 11.1 parser accepts next. */
const enum X {
  /** A value (message start, after `:`, after `,` in an array). */
  VALUE,
  /** A value or `]` (after `[`). */
  VALUE_OR_END,
  /** A key (after `,` in an object). */
  KEY,
  /** A key or `}` (after `{`). */
  KEY_OR_END,
  /** The `:` after a key. */
  COLON,
  /** `,` or the closing bracket (after a member or element). */
  SEPARATOR,
  /** Nothing: the message's value is complete. */
  DONE,
}

/** An open array (`null`), or an open object: its keys and the key of the member being parsed. */
type Frame = null | { keys: Set<string>; key: string };

/**
 * QEMU 11.1's parser: fed one token at a time, it checks the message and
 * reports the first grammar, keyword or string error at the token showing it.
 * It keeps no values (only the keys of open objects, for repeated keys); the
 * value of an accepted message is built from its tokens afterwards.
 */
class IncrementalParser {
  #frames: Frame[] = [];
  #expect: X = X.VALUE;

  /** Forgets the message. */
  reset(): void {
    this.#frames.length = 0;
    this.#expect = X.VALUE;
  }

  /** Takes one token; returns QEMU's error text (no position) when it is wrong there. */
  step(type: T, bytes: Uint8Array): string | undefined {
    try {
      this.#step(type, bytes);
      return undefined;
    } catch (e) {
      if (e instanceof ParseError) return e.message;
      throw e;
    }
  }

  #step(type: T, bytes: Uint8Array): void {
    switch (this.#expect) {
      case X.VALUE_OR_END:
        if (type === T.RSQUARE) return this.#close();
        return this.#valueToken(type, bytes);
      case X.VALUE:
        return this.#valueToken(type, bytes);
      case X.KEY_OR_END:
        if (type === T.RCURLY) return this.#close();
        return this.#key(type, bytes);
      case X.KEY:
        return this.#key(type, bytes);
      case X.COLON:
        if (type !== T.COLON) fail("expecting ':'");
        this.#expect = X.VALUE;
        return;
      case X.SEPARATOR:
        return this.#separator(type);
      case X.DONE:
        // The streamer ends the message with its value; nothing follows.
        throw new Error("token after the end of a message");
    }
  }

  #valueToken(type: T, bytes: Uint8Array): void {
    switch (type) {
      case T.LCURLY:
        this.#frames.push({ keys: new Set(), key: "" });
        this.#expect = X.KEY_OR_END;
        return;
      case T.LSQUARE:
        this.#frames.push(null);
        this.#expect = X.VALUE_OR_END;
        return;
      case T.INTEGER:
      case T.FLOAT:
        return this.#complete();
      case T.STRING:
      case T.KEYWORD:
        literal(type, bytes, 0, bytes.length); // for its errors
        return this.#complete();
      default:
        fail("expecting value");
    }
  }

  #key(type: T, bytes: Uint8Array): void {
    if (type !== T.STRING) fail("expecting key");
    this.#frames.at(-1)!.key = decodeString(bytes, 0, bytes.length);
    this.#expect = X.COLON;
  }

  #separator(type: T): void {
    const inObject = this.#frames.at(-1) !== null;
    if (type === T.COMMA) {
      this.#expect = inObject ? X.KEY : X.VALUE;
      return;
    }
    if (type === (inObject ? T.RCURLY : T.RSQUARE)) return this.#close();
    fail(inObject ? "expected ',' or '}'" : "expected ',' or ']'");
  }

  #close(): void {
    this.#frames.pop();
    this.#complete();
  }

  /** A value is complete: the message's, an element, or a member (checked for a repeated key). */
  #complete(): void {
    if (this.#frames.length === 0) {
      this.#expect = X.DONE;
      return;
    }
    const top = this.#frames.at(-1)!;
    if (top !== null) {
      if (top.keys.has(top.key)) fail("duplicate key");
      top.keys.add(top.key);
    }
    this.#expect = X.SEPARATOR;
  }
}

/** Throws QEMU's parse error. */
function fail(msg: string): never {
  throw new ParseError(`JSON parse error, ${msg}`);
}

/** Recursive-descent parse of one message's tokens, QEMU's error texts. */
function parseTokens(tokens: TokenStore): JsonStreamItem {
  let pos = 0;
  const n = tokens.count;
  const peek = (): T => pos < n ? tokens.type(pos) : fail("premature EOI");
  const pop = (): T => pos < n ? tokens.type(pos++) : fail("premature EOI");

  const value = (): QmpValue => {
    const t = peek();
    switch (t) {
      case T.LCURLY:
        return object();
      case T.LSQUARE:
        return array();
      case T.INTEGER:
      case T.FLOAT:
      case T.STRING:
      case T.KEYWORD:
        return tokens.literal(pos++);
      default:
        return fail("expecting value");
    }
  };
  const object = (): QmpObject => {
    pos++;
    const obj: QmpObject = {};
    if (peek() === T.RCURLY) {
      pos++;
      return obj;
    }
    pair(obj);
    let t = pop();
    while (t !== T.RCURLY) {
      if (t !== T.COMMA) fail("expected separator in dict");
      pair(obj);
      t = pop();
    }
    return obj;
  };
  const pair = (obj: QmpObject): void => {
    peek();
    const key = value();
    if (typeof key !== "string") fail("key is not a string in object");
    if (pop() !== T.COLON) fail("missing : in object pair");
    const float = peek() === T.FLOAT;
    const v = value();
    if (Object.hasOwn(obj, key as string)) fail("duplicate key");
    setMember(obj, key as string, v);
    if (float) markFloat(obj, key as string);
  };
  const array = (): QmpValue[] => {
    pos++;
    const arr: QmpValue[] = [];
    if (peek() === T.RSQUARE) {
      pos++;
      return arr;
    }
    const element = (): void => {
      if (peek() === T.FLOAT) markFloat(arr, arr.length);
      arr.push(value());
    };
    element();
    let t = pop();
    while (t !== T.RSQUARE) {
      if (t !== T.COMMA) fail("expected separator in list");
      element();
      t = pop();
    }
    return arr;
  };

  try {
    return { value: value() };
  } catch (e) {
    if (e instanceof ParseError) return { error: e.message };
    throw e;
  }
}

/** Sets a member, also `__proto__`, as an own data property. */
export function setMember(obj: QmpObject, key: string, v: QmpValue): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else obj[key] = v;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * The value of the string, number or keyword token `b[start, end)`. Short
 * integers and the keywords are read from the bytes (no text, no bigint):
 * request ids and arguments are mostly those, and every allocation a request
 * makes brings the next garbage collection (a latency spike) closer.
 */
function literal(type: T, b: Uint8Array, start: number, end: number): QmpValue {
  switch (type) {
    case T.STRING:
      return decodeString(b, start, end);
    case T.KEYWORD: {
      const len = end - start;
      if (len === 4 && b[start] === 0x74 && b[start + 1] === 0x72 && b[start + 2] === 0x75) {
        if (b[start + 3] === 0x65) return true;
      } else if (len === 4 && b[start] === 0x6e && b[start + 1] === 0x75) {
        if (b[start + 2] === 0x6c && b[start + 3] === 0x6c) return null;
      } else if (
        len === 5 && b[start] === 0x66 && b[start + 1] === 0x61 && b[start + 2] === 0x6c &&
        b[start + 3] === 0x73 && b[start + 4] === 0x65
      ) return false;
      throw new ParseError(`JSON parse error, invalid keyword '${asciiText(b, start, end)}'`);
    }
    case T.INTEGER: {
      const neg = b[start] === 0x2d;
      // Up to 15 digits stay below 2^53: exact as a number (and -0 is 0, as
      // QEMU's int64 has no negative zero).
      if (end - start - (neg ? 1 : 0) <= 15) {
        let n = 0;
        for (let i = neg ? start + 1 : start; i < end; i++) n = n * 10 + (b[i]! - 0x30);
        return neg && n !== 0 ? -n : n;
      }
      const text = asciiText(b, start, end);
      const big = BigInt(text);
      if (big >= INT64_MIN && big <= INT64_MAX || big >= 0n && big <= UINT64_MAX) {
        const n = Number(big);
        return Number.isSafeInteger(n) ? n : big;
      }
      return Number(text);
    }
    default:
      return Number(asciiText(b, start, end));
  }
}

/** Longest ASCII run kept in {@linkcode asciiText}'s cache, in bytes. */
const INTERN_MAX_BYTES = 48;
/** Slots of that cache (direct-mapped by a hash of the bytes). */
const INTERN_SLOTS = 512;
const internBytes: (Uint8Array | undefined)[] = new Array(INTERN_SLOTS);
const internText: string[] = new Array(INTERN_SLOTS);

/**
 * Text of the ASCII bytes `b[start, end)`. Short runs (member names, command
 * names, device paths: what every request repeats) come from a small
 * direct-mapped cache, so a repeated one allocates nothing; `TextDecoder` is
 * only used for long runs (it costs a runtime call, over a microsecond).
 */
function asciiText(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len > INTERN_MAX_BYTES) return ASCII.decode(b.subarray(start, end));
  let h = len;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const slot = (h >>> 0) % INTERN_SLOTS;
  const cached = internBytes[slot];
  if (cached !== undefined && cached.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (cached[i] !== b[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return internText[slot]!;
  }
  let text = "";
  for (let i = start; i < end; i++) text += String.fromCharCode(b[i]!);
  internBytes[slot] = b.slice(start, end);
  internText[slot] = text;
  return text;
}

/** Whether QEMU accepts a code point (no surrogates, no noncharacters). */
export function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if (cp >= 0xfdd0 && cp <= 0xfdef || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

const MIN_CP = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/**
 * Decodes one modified-UTF-8 sequence at `i` as QEMU does (C0 80 is NUL).
 * Returns the code point (-1 when invalid) and the index after it.
 */
export function modUtf8Codepoint(b: Uint8Array, i: number, end: number): [number, number] {
  if (i >= end || b[i] === 0) return [-1, i];
  let p = i;
  let byte = b[p++]!;
  if (byte < 0x80) return [byte, p];
  if (byte >= 0xfe || (byte & 0x40) === 0) return [-1, p];
  let len = 0;
  let mask = 0x80;
  for (; byte & mask; mask >>= 1) len++;
  let cp = byte & (mask - 1);
  for (let k = 1; k < len; k++) {
    byte = p < end && k < 6 ? b[p]! : 0;
    if ((byte & 0xc0) !== 0x80) return [-1, p];
    p++;
    cp = cp * 64 + (byte & 0x3f);
  }
  if (!isValidCodepoint(cp)) return [-1, p];
  if (cp < MIN_CP[len - 2]! && !(cp === 0 && len === 2)) return [-1, p];
  return [cp, p];
}

/**
 * Text of raw bytes as QEMU would print it in an error message: cut at the
 * first NUL byte, invalid sequences shown as U+FFFD.
 */
export function cStringText(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  let out = "";
  for (let i = 0; i < end;) {
    const [cp, next] = modUtf8Codepoint(b, i, end);
    out += String.fromCodePoint(cp < 0 ? 0xfffd : cp);
    i = next > i ? next : i + 1;
  }
  return out;
}

function hex4(b: Uint8Array, i: number, end: number): number {
  let cp = 0;
  for (let k = 0; k < 4; k++) {
    const c = i + k < end ? b[i + k]! : 0;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else return -1;
    cp = cp * 16 + d;
  }
  return cp;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  0x22: '"',
  0x27: "'",
  0x5c: "\\",
  0x2f: "/",
  0x62: "\b",
  0x66: "\f",
  0x6e: "\n",
  0x72: "\r",
  0x74: "\t",
};

/** Decodes the string token `b[start, end)` (quotes included) with QEMU's checks. */
function decodeString(b: Uint8Array, start: number, end: number): string {
  const quote = b[start];
  // end - 1 is the closing quote. The common case, one run of plain ASCII, is
  // decoded without a list of parts.
  let j = start + 1;
  while (j < end && b[j]! < 0x80 && b[j] !== 0x5c && b[j] !== quote) j++;
  if (j === end - 1) return asciiText(b, start + 1, j);
  const parts: string[] = [];
  let i = start + 1;
  while (i < end && b[i] !== quote) {
    const c = b[i]!;
    if (c === 0x5c) {
      const beg = i;
      const e = b[i + 1]!;
      i += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        parts.push(simple);
        continue;
      }
      if (e !== 0x75) throw new ParseError("JSON parse error, invalid escape sequence in string");
      let cp = hex4(b, i, end);
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && b[i] === 0x5c && b[i + 1] === 0x75) {
        cp = 0x10000 + ((cp & 0x3ff) << 10);
        const trailing = hex4(b, i + 2, end);
        if (trailing >= 0xdc00 && trailing <= 0xdfff) {
          cp |= trailing & 0x3ff;
          i += 6;
        } else cp = -1;
      }
      if (!isValidCodepoint(cp)) {
        const shown = cStringText(b.subarray(beg, Math.min(i, end)));
        throw new ParseError(`JSON parse error, ${shown} is not a valid Unicode character`);
      }
      parts.push(String.fromCodePoint(cp));
      continue;
    }
    if (c < 0x80) {
      // Fast path for runs of ASCII.
      let j = i + 1;
      while (j < end && b[j]! < 0x80 && b[j] !== 0x5c && b[j] !== quote) j++;
      parts.push(asciiText(b, i, j));
      i = j;
      continue;
    }
    const [cp, next] = modUtf8Codepoint(b, i, end);
    if (cp < 0) throw new ParseError("JSON parse error, invalid UTF-8 sequence in string");
    parts.push(String.fromCodePoint(cp));
    i = next;
  }
  return parts.join("");
}

/**
 * Parses exactly one JSON value from complete text with the QEMU-compatible
 * grammar (bigint for large integers).
 *
 * @example
 * ```ts
 * import { parseJson } from "@cxl-dcd/conformance/qmp";
 * const v = parseJson('{"n": 18446744073709551615}');
 * if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("object expected");
 * if (v.n !== 18446744073709551615n) throw new Error("u64 must stay exact");
 * ```
 *
 * @throws {SyntaxError} with QEMU's error text when the input is not exactly one value.
 */
export function parseJson(text: string | Uint8Array): QmpValue {
  const items: JsonStreamItem[] = [];
  const p = new JsonStreamParser((item) => items.push(item));
  p.feed(text);
  p.flush();
  const first = items[0];
  if (first === undefined) throw new SyntaxError("expected one JSON value, got empty input");
  if ("error" in first) throw new SyntaxError(first.error);
  if (items.length > 1) {
    throw new SyntaxError(`expected one JSON value, got ${items.length} messages`);
  }
  return first.value;
}
