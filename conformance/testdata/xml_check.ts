/**
 * A small XML well-formedness checker for the JUnit reporter's tests: parses
 * the prolog, elements, attributes, text and entity references and returns
 * the element tree; throws on anything malformed.
 *
 * @module
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  return s.replace(/&([^;]*);?/g, (m, name: string) => {
    if (!m.endsWith(";")) throw new Error(`unterminated entity near offset ${at}`);
    if (name in ENTITIES) return ENTITIES[name]!;
    if (/^#[0-9]+$/.test(name)) return String.fromCodePoint(Number(name.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(name)) return String.fromCodePoint(parseInt(name.slice(2), 16));
    throw new Error(`unknown entity &${name}; near offset ${at}`);
  });
}

/** Parses a document; throws a message with the offset on malformed XML. */
export function parseXml(text: string): XmlElement {
  let i = 0;
  const fail = (m: string): never => {
    throw new Error(`${m} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  if (text.startsWith("<?xml")) {
    const end = text.indexOf("?>");
    if (end === -1) fail("unterminated XML declaration");
    i = end + 2;
  }
  ws();
  const element = (): XmlElement => {
    if (text[i] !== "<") fail("expected '<'");
    i++;
    const m = NAME.exec(text.slice(i));
    if (!m) fail("expected an element name");
    const name = m![0];
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      ws();
      if (text.startsWith("/>", i)) {
        i += 2;
        return { name, attrs, children: [], text: "" };
      }
      if (text[i] === ">") {
        i++;
        break;
      }
      const a = NAME.exec(text.slice(i));
      if (!a) fail(`expected an attribute name in <${name}>`);
      i += a![0].length;
      if (a![0] in attrs) fail(`duplicate attribute ${a![0]}`);
      ws();
      if (text[i] !== "=") fail("expected '='");
      i++;
      ws();
      const q = text[i];
      if (q !== '"' && q !== "'") fail("expected a quoted attribute value");
      const end = text.indexOf(q!, i + 1);
      if (end === -1) fail("unterminated attribute value");
      const raw = text.slice(i + 1, end);
      if (raw.includes("<")) fail("'<' in an attribute value");
      attrs[a![0]] = decode(raw, i);
      i = end + 1;
    }
    const children: XmlElement[] = [];
    let content = "";
    for (;;) {
      if (i >= text.length) fail(`unclosed <${name}>`);
      if (text.startsWith("</", i)) {
        i += 2;
        const c = NAME.exec(text.slice(i));
        if (!c || c[0] !== name) fail(`expected </${name}>`);
        i += name.length;
        ws();
        if (text[i] !== ">") fail("expected '>'");
        i++;
        return { name, attrs, children, text: decode(content, i) };
      }
      if (text[i] === "<") {
        children.push(element());
        continue;
      }
      const next = text.indexOf("<", i);
      const chunk = text.slice(i, next === -1 ? text.length : next);
      content += chunk;
      i = next === -1 ? text.length : next;
    }
  };
  const root = element();
  ws();
  if (i !== text.length) fail("text after the root element");
  return root;
}
