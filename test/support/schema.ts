import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sax from 'sax';

/**
 * Schema validation of SOAP answers against the xs:schema of wsdl/mktows.wsdl, with xmllint.
 *
 *   validateBodyChild(responseXml)      // throws with xmllint's message unless valid
 *   checkBodyChild(responseXml).valid   // the same, without throwing
 */

export const WSDL_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../wsdl/mktows.wsdl',
);

const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const XMLNS_ATTR = /\sxmlns(:[A-Za-z_][\w.-]*)?\s*=\s*("[^"]*"|'[^']*')/g;

let xsdFile: string | undefined;

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
}

/**
 * The WSDL's xs:schema as a standalone schema document. The namespace declarations the schema
 * inherits from wsdl:definitions (xs, tns, …) are copied onto it so its QNames still resolve.
 */
export function extractSchema(wsdlXml: string): string {
  const open = /<([A-Za-z_][\w.-]*:)?schema\b[^>]*>/.exec(wsdlXml);
  if (!open) throw new Error('The WSDL has no xs:schema');
  const prefix = open[1] ?? '';
  const closeTag = `</${prefix}schema>`;
  const end = wsdlXml.indexOf(closeTag, open.index);
  if (end < 0) throw new Error('The WSDL xs:schema is not closed');
  const schema = wsdlXml.slice(open.index, end + closeTag.length);
  const root = /<([A-Za-z_][\w.-]*:)?definitions\b[^>]*>/.exec(wsdlXml)?.[0] ?? '';
  const declared = new Set([...open[0].matchAll(XMLNS_ATTR)].map((m) => m[1] ?? ''));
  const inherited = [...root.matchAll(XMLNS_ATTR)]
    .filter((m) => !declared.has(m[1] ?? ''))
    .map((m) => m[0])
    .join('');
  const tagEnd = open[0].length - (open[0].endsWith('/>') ? 2 : 1);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    schema.slice(0, tagEnd) +
    inherited +
    schema.slice(tagEnd)
  );
}

/** The path of the extracted schema (written once per process to a temp file). */
export function schemaFile(): string {
  if (xsdFile) return xsdFile;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-xsd-'));
  const file = path.join(dir, 'mktows.xsd');
  fs.writeFileSync(file, extractSchema(fs.readFileSync(WSDL_FILE, 'utf8')));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  xsdFile = file;
  return file;
}

/**
 * The single child of the SOAP Body as a standalone document: every namespace in scope where it
 * stands (declared on the Envelope, say) is declared on it, so prefixes in names and in QName
 * values (xsi:type="tns:LeadKeySelector") still resolve.
 */
export function bodyChild(envelopeXml: string): { name: string; ns: string; xml: string } {
  const parser = sax.parser(true, { xmlns: true, position: false });
  const stack: sax.QualifiedTag[] = [];
  let out = '';
  let capturing = 0;
  let found: { name: string; ns: string } | null = null;
  let children = 0;
  parser.onopentag = (node) => {
    const tag = node as sax.QualifiedTag;
    const parent = stack[stack.length - 1];
    stack.push(tag);
    if (capturing > 0) capturing++;
    else if (
      stack.length === 3 &&
      parent?.local === 'Body' &&
      parent.uri === SOAP11_NS &&
      stack[0]?.local === 'Envelope'
    ) {
      children++;
      capturing = 1;
      found = { name: tag.local, ns: tag.uri };
    }
    if (capturing === 0) return;
    let attrs = '';
    for (const a of Object.values(tag.attributes)) {
      if (capturing === 1 && (a.prefix === 'xmlns' || a.name === 'xmlns')) continue;
      attrs += ` ${a.name}="${escapeAttr(a.value)}"`;
    }
    if (capturing === 1) {
      // sax chains each element's bindings to its parent's: for…in sees them all.
      for (const p in tag.ns) {
        if (p === 'xml' || p === 'xmlns') continue;
        attrs += ` ${p === '' ? 'xmlns' : `xmlns:${p}`}="${escapeAttr(tag.ns[p] ?? '')}"`;
      }
    }
    out += `<${tag.name}${attrs}>`;
  };
  parser.ontext = (t) => {
    if (capturing > 0) out += escapeText(t);
  };
  parser.oncdata = (t) => {
    if (capturing > 0) out += escapeText(t);
  };
  parser.onclosetag = (name) => {
    stack.pop();
    if (capturing > 0) {
      out += `</${name}>`;
      capturing--;
    }
  };
  parser.write(envelopeXml).close();
  if (children !== 1 || !found) {
    throw new Error(`The SOAP Body holds ${children} elements, not exactly one`);
  }
  const { name, ns } = found;
  return { name, ns, xml: out };
}

export interface SchemaCheck {
  valid: boolean;
  /** The Body child's local name, e.g. successGetLead (or Fault). */
  element: string;
  /** xmllint's own words. */
  message: string;
}

/** Validates the SOAP Body's single child against the WSDL's schema; never throws on invalid. */
export function checkBodyChild(responseXml: string): SchemaCheck {
  const child = bodyChild(responseXml);
  if (child.name === 'Fault' && child.ns === SOAP11_NS) {
    const faultstring = /<faultstring>([^<]*)<\/faultstring>/.exec(child.xml)?.[1] ?? '';
    return {
      valid: false,
      element: child.name,
      message: `The answer is a SOAP Fault: ${faultstring}`,
    };
  }
  const r = spawnSync('xmllint', ['--noout', '--schema', schemaFile(), '-'], {
    input: child.xml,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`xmllint could not run: ${r.error.message}`);
  const message = `${r.stderr}${r.stdout}`.trim().replace(/^-(?=[: ])/gm, child.name);
  return { valid: r.status === 0, element: child.name, message };
}

/** Throws with xmllint's message unless the Body's single child is valid; returns its name. */
export function validateBodyChild(responseXml: string): string {
  const check = checkBodyChild(responseXml);
  if (!check.valid) {
    throw new Error(
      `${check.element} does not validate against wsdl/mktows.wsdl:\n${check.message}`,
    );
  }
  return check.element;
}
