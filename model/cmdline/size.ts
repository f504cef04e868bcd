/**
 * QEMU's size strings (`qemu_strtosz`): a decimal or `0x` hexadecimal number,
 * an optional fraction, and an optional unit suffix `B`, `K`, `M`, `G`, `T`,
 * `P` or `E` (either case, powers of 1024).
 *
 * @module
 */

const UNITS: Readonly<Record<string, bigint>> = {
  b: 1n,
  k: 1n << 10n,
  m: 1n << 20n,
  g: 1n << 30n,
  t: 1n << 40n,
  p: 1n << 50n,
  e: 1n << 60n,
};

const U64_LIMIT = 1n << 64n;

/**
 * Parses a size; `defaultUnit` applies when there is no suffix (`-m` uses
 * MiB). Returns undefined for anything QEMU rejects (negative, garbage,
 * 2^64 or more).
 *
 * @param text the size as written on the command line
 * @param defaultUnit the multiplier without a suffix (default 1n: bytes)
 *
 * @example
 * ```ts
 * import { parseSize } from "@cxl-dcd/conformance/model";
 * if (parseSize("4G") !== 4n << 30n) throw new Error();
 * if (parseSize("2048", 1n << 20n) !== 2n << 30n) throw new Error();
 * if (parseSize("2X") !== undefined) throw new Error();
 * ```
 */
export function parseSize(text: string, defaultUnit?: bigint): bigint | undefined {
  defaultUnit ??= 1n;
  const m = /^\s*(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]*)?)([bBkKmMgGtTpPeE]?)$/.exec(text);
  if (m === null) return undefined;
  const num = m[1] ?? "";
  const suffix = (m[2] ?? "").toLowerCase();
  const unit = suffix === "" ? defaultUnit : UNITS[suffix] ?? 1n;
  let value: bigint;
  if (/^0[xX]/.test(num)) {
    value = BigInt(num) * unit;
  } else {
    const [whole = "0", frac = ""] = num.split(".");
    const scale = 10n ** BigInt(frac.length);
    const scaled = BigInt(whole) * scale + (frac === "" ? 0n : BigInt(frac));
    value = (scaled * unit) / scale;
  }
  return value < U64_LIMIT ? value : undefined;
}

/**
 * Formats a byte count the way tests and notices print it (`0x...`).
 *
 * @example
 * ```ts
 * import { hex } from "./size.ts";
 * if (hex(300n << 20n) !== "0x12c00000") throw new Error();
 * ```
 */
export function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}
