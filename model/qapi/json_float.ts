/**
 * Which members of parsed JSON were written as floats. QEMU's QNum keeps a
 * float a double even when it is integral (`2097152.0`, `0.0`, `2e6`), and
 * its input visitor refuses it for an integer member (`Parameter 'len'
 * expects uint64`). A JavaScript number cannot carry that distinction, so the
 * QMP parser marks the place of each float token here (container and key or
 * index, held weakly) and the validator asks before taking a number as an
 * integer.
 *
 * @module
 */

const marks = new WeakMap<object, Set<string | number>>();
/** Whether anything was ever marked: until then no lookup is needed (values built in code). */
let anyMarked = false;

/** Records that `container[key]` was a float token in the JSON text. */
export function markFloat(container: object, key: string | number): void {
  anyMarked = true;
  let set = marks.get(container);
  if (set === undefined) marks.set(container, set = new Set());
  set.add(key);
}

/**
 * Whether `container[key]` was a float token in the JSON text it was parsed
 * from (false for values built in code).
 *
 * @example
 * ```ts
 * import { isFloatMember, markFloat } from "./json_float.ts";
 * const args = { len: 2097152 };
 * markFloat(args, "len");
 * if (!isFloatMember(args, "len")) throw new Error("marked");
 * ```
 */
export function isFloatMember(container: object, key: string | number): boolean {
  return anyMarked && (marks.get(container)?.has(key) ?? false);
}
