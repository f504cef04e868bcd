/**
 * A small QOM composition tree: containers, devices and backends with their
 * readable properties, absolute and partial path resolution (a partial path
 * resolves when exactly one object's path ends with it), and the
 * `qom-list` / `qom-get` views.
 *
 * @module
 */

import type { QmpObject, QmpValue } from "./qmp_value.ts";
import { GlibTable } from "./qapi/key_order.ts";

/** One readable (and maybe writable) QOM property. */
export interface QomProperty {
  readonly name: string;
  /** QOM property type as `qom-list` shows it (`uint8`, `link<memory-backend>`...). */
  readonly type: string;
  /** Current value as `qom-get` returns it. */
  get(): QmpValue;
  /** Sets the value; returns QEMU's error text, or undefined on success. Absent: not writable. */
  set?(value: QmpValue): string | undefined;
}

/** Bumped by every {@linkcode QomNode.add} and {@linkcode QomNode.remove}, in any tree. */
let treeChanges = 0;

/**
 * How many times any QOM tree has changed (a child added or removed): a
 * path resolved while this number stays the same resolves the same way.
 *
 * @example
 * ```ts
 * import { QomNode, qomTreeChanges } from "./qom.ts";
 * const before = qomTreeChanges();
 * new QomNode("", "container").add(new QomNode("a", "container"));
 * if (qomTreeChanges() === before) throw new Error("an add is a change");
 * ```
 */
export function qomTreeChanges(): number {
  return treeChanges;
}

/** A QOM object. */
export class QomNode {
  readonly name: string;
  /** QOM type name, e.g. `cxl-type3`, `container`. */
  readonly type: string;
  parent: QomNode | undefined = undefined;
  readonly children: Map<string, QomNode> = new Map();
  readonly props: QomProperty[] = [];
  /** The children's order in QEMU's per-object property hash table. */
  readonly #order = new GlibTable();

  /**
   * @param name child name under its parent.
   * @param type QOM type name.
   */
  constructor(name: string, type: string) {
    this.name = name;
    this.type = type;
  }

  /** Adds a child and returns it. */
  add(child: QomNode): QomNode {
    treeChanges++;
    child.parent = this;
    this.children.set(child.name, child);
    this.#order.insert(child.name);
    return child;
  }

  /** Removes a child by name. */
  remove(name: string): void {
    treeChanges++;
    const c = this.children.get(name);
    if (c !== undefined) c.parent = undefined;
    this.children.delete(name);
    this.#order.remove(name);
  }

  /** The canonical path, e.g. `/machine/peripheral/cxl-vmem0`. */
  get path(): string {
    const parts: string[] = [];
    let n: QomNode | undefined = this.parent === undefined ? undefined : this.parent;
    if (this.parent !== undefined) parts.unshift(this.name);
    while (n?.parent !== undefined) {
      parts.unshift(n.name);
      n = n.parent;
    }
    return `/${parts.join("/")}`;
  }

  /** A property by name (`type` included). */
  property(name: string): QomProperty | undefined {
    if (name === "type") return { name: "type", type: "string", get: () => this.type };
    return this.props.find((p) => p.name === name);
  }

  /**
   * `qom-list` entries: `type`, the modelled properties, then the children
   * in the order QEMU lists them (its property hash table, reversed).
   */
  list(): QmpObject[] {
    const out: QmpObject[] = [{ name: "type", type: "string" }];
    for (const p of this.props) out.push({ name: p.name, type: p.type });
    for (const name of this.#order.keys().reverse()) {
      const c = this.children.get(name);
      if (c !== undefined) out.push({ name: c.name, type: `child<${c.type}>` });
    }
    return out;
  }
}

/**
 * Resolves a QOM path. Absolute paths walk from the root; partial paths match
 * every object whose path ends with the given components and resolve only
 * when exactly one matches (after the optional type filter).
 *
 * @example
 * ```ts
 * import { QomNode, resolvePath } from "./qom.ts";
 * const root = new QomNode("", "container");
 * const p = root.add(new QomNode("peripheral", "container"));
 * p.add(new QomNode("cxl-vmem0", "cxl-type3"));
 * if (resolvePath(root, "cxl-vmem0")?.path !== "/peripheral/cxl-vmem0") throw new Error();
 * ```
 */
export function resolvePath(
  root: QomNode,
  path: string,
  accept: (node: QomNode) => boolean = () => true,
): QomNode | undefined {
  if (path.startsWith("/")) {
    let node: QomNode | undefined = root;
    for (const part of path.split("/")) {
      if (part === "") continue;
      node = node.children.get(part);
      if (node === undefined) return undefined;
    }
    return accept(node) ? node : undefined;
  }
  // With no components every object matches: "" resolves when the type filter leaves one.
  const parts = path.split("/").filter((p) => p !== "");
  let found: QomNode | undefined;
  let count = 0;
  const visit = (n: QomNode): void => {
    for (const c of n.children.values()) {
      if (matchesTail(c, parts) && accept(c)) {
        found = c;
        count++;
      }
      visit(c);
    }
  };
  visit(root);
  return count === 1 ? found : undefined;
}

/**
 * Whether a QOM path names at least one object: an absolute path that
 * resolves, or a partial path that one object or more ends with (QEMU's
 * `object_resolve_path` either resolves it or reports it ambiguous).
 *
 * @example
 * ```ts
 * import { pathNamesAny, QomNode, resolvePath } from "./qom.ts";
 * const root = new QomNode("", "container");
 * root.add(new QomNode("a", "container")).add(new QomNode("x", "t"));
 * root.add(new QomNode("b", "container")).add(new QomNode("x", "t"));
 * if (!pathNamesAny(root, "x") || resolvePath(root, "x") !== undefined) throw new Error();
 * ```
 */
export function pathNamesAny(root: QomNode, path: string): boolean {
  if (path.startsWith("/")) return resolvePath(root, path) !== undefined;
  const parts = path.split("/").filter((p) => p !== "");
  const visit = (n: QomNode): boolean => {
    for (const c of n.children.values()) {
      if (matchesTail(c, parts) || visit(c)) return true;
    }
    return false;
  };
  return visit(root);
}

function matchesTail(node: QomNode, parts: readonly string[]): boolean {
  let n: QomNode | undefined = node;
  for (let i = parts.length - 1; i >= 0; i--) {
    if (n === undefined || n.name !== parts[i]) return false;
    n = n.parent;
  }
  return true;
}
