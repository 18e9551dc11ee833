/**
 * The differential test of the request path's reading against a namespace-aware XML parser
 * (sax in strict mode): seeded envelopes of the operations that write and read leads, written
 * the ways SOAP stacks and attackers write them, and what each side takes from them as a flat
 * list of `path=value` (local names, the index of each repeated member, leaf text trimmed).
 */
import sax from 'sax';

export const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
export const MKTOWS = 'http://www.marketo.com/mktows/';

/** An element of a request, its namespace either the Body element's (mktows) or none. */
export interface Node {
  name: string;
  children?: Node[];
  text?: string;
  nil?: boolean;
}

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const VALUES = [
  'ann@example.com',
  'O\u2019Brien+tag@example.org',
  'a&b<c>"d\'@example.net',
  '\u00e9l\u00e8ve@exemple.fr',
  '\u{1F600}smile@example.com',
  'x]]y@example.com',
  'true',
  'Unsubscribed',
  '  padded@example.com  ',
  '12345',
  'line\nbreak',
];

/** A request of one of the five operations, with drawn values. */
export function request(r: Rand): Node {
  const value = () => pick(r, VALUES);
  const attribute = (name: string): Node => ({
    name: 'attribute',
    children: [
      { name: 'attrName', text: name },
      { name: 'attrValue', text: value() },
    ],
  });
  const leadRecord = (): Node => ({
    name: 'leadRecord',
    children: [
      { name: 'Email', text: value(), nil: r() < 0.1 },
      ...(r() < 0.5 ? [{ name: 'Id', text: String(Math.floor(r() * 1000)) }] : []),
      {
        name: 'leadAttributeList',
        children: [attribute('Unsubscribed'), attribute('FirstName')],
      },
    ],
  });
  const leadKey = (): Node => ({
    name: 'leadKey',
    children: [
      { name: 'keyType', text: 'EMAIL' },
      { name: 'keyValue', text: value() },
    ],
  });
  switch (Math.floor(r() * 5)) {
    case 0:
      return {
        name: 'paramsSyncLead',
        children: [leadRecord(), { name: 'returnLead', text: r() < 0.5 ? 'true' : 'false' }],
      };
    case 1:
      return {
        name: 'paramsSyncMultipleLeads',
        children: [
          { name: 'leadRecordList', children: [leadRecord(), leadRecord()] },
          { name: 'dedupEnabled', text: 'true' },
        ],
      };
    case 2: {
      const key = (): Node => ({
        name: 'attribute',
        children: [
          { name: 'attrName', text: 'IDNUM' },
          { name: 'attrValue', text: String(Math.floor(r() * 1000)) },
        ],
      });
      return {
        name: 'paramsMergeLeads',
        children: [
          { name: 'winningLeadKeyList', children: [key()] },
          { name: 'losingLeadKeyLists', children: [{ name: 'keyList', children: [key()] }] },
        ],
      };
    }
    case 3:
      return { name: 'paramsGetLead', children: [leadKey()] };
    default:
      return {
        name: 'paramsGetMultipleLeads',
        children: [
          {
            name: 'leadSelector',
            children: [
              {
                name: 'keyValues',
                children: [
                  { name: 'stringItem', text: value() },
                  { name: 'stringItem', text: value() },
                ],
              },
              { name: 'keyType', text: 'EMAIL' },
            ],
          },
        ],
      };
  }
}

/** Members of a complex type (the others hold text). */
const COMPLEX = new Set([
  'leadRecord',
  'leadAttributeList',
  'attribute',
  'leadRecordList',
  'leadKey',
  'winningLeadKeyList',
  'losingLeadKeyLists',
  'keyList',
  'leadSelector',
  'keyValues',
]);

const LEAVES = new Set(
  'Email Id attrName attrValue returnLead dedupEnabled keyType keyValue stringItem'.split(' '),
);

const NILS = ['true', '1', 'TRUE', ' true', 'false', '0', 'yes'];

const escapeText = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `s` written as character data in one of the ways XML allows, in drawn pieces. */
function writeText(r: Rand, s: string, style: Style): string {
  const { hostile, split } = style;
  const chars = Array.from(s);
  let out = '';
  let i = 0;
  while (i < chars.length) {
    const n = split ? 1 + Math.floor(r() * Math.max(1, chars.length - i)) : chars.length;
    const piece = chars.slice(i, i + n).join('');
    i += n;
    const how = r();
    if (how < 0.5) out += escapeText(piece);
    else if (how < 0.65 && !piece.includes(']]>')) out += `<![CDATA[${piece}]]>`;
    else if (how < 0.8)
      out += Array.from(piece, (c) => `&#x${c.codePointAt(0)!.toString(16)};`).join('');
    else out += Array.from(piece, (c) => `&#${c.codePointAt(0)!};`).join('');
    if (hostile && i < chars.length) {
      const between = r();
      if (between < 0.3) out += '<!-- c -->';
      else if (between < 0.4) out += '<?pi x?>';
    }
  }
  return out;
}

export interface Style {
  /** Draw what attackers write: comments and PIs in values, shadowed prefixes, foreign names. */
  hostile: boolean;
  /** Write a value in several pieces (CDATA sections, references): else in one. */
  split: boolean;
}

/** `body` in a SOAP 1.1 envelope, written with drawn prefixes, quotes, spaces and references. */
export function writeEnvelope(r: Rand, body: Node, style: Style): string {
  const { hostile } = style;
  const q = () => (r() < 0.5 ? '"' : "'");
  const attr = (name: string, value: string) => {
    const quote = q();
    return ` ${name}=${quote}${value}${quote}`;
  };
  const envPrefix = pick(r, ['soapenv', 'SOAP-ENV', 'S', 'soap', 'env', 'e']);
  const xsiPrefix = pick(r, ['xsi', 'xsi', 'i', 'p2']);
  const tnsPrefix = pick(r, ['ns1', 'tns', 'mkt', 'm', '']);
  const sp = () => pick(r, ['', '', '', ' ', '\n  ', '\r\n\t']);
  const declareOnEnvelope = r() < 0.5;
  let out = '';
  if (r() < 0.5) out += `<?xml version="1.0"${r() < 0.5 ? ' encoding="UTF-8"' : ''}?>${sp()}`;
  out += `<${envPrefix}:Envelope${attr(`xmlns:${envPrefix}`, ENV)}${attr(`xmlns:${xsiPrefix}`, XSI)}`;
  if (declareOnEnvelope && tnsPrefix !== '') out += attr(`xmlns:${tnsPrefix}`, MKTOWS);
  out += `>${sp()}`;
  if (r() < 0.5) out += `<${envPrefix}:Header/>${sp()}`;
  out += `<${envPrefix}:Body>${sp()}`;

  const write = (node: Node, depth: number, defaultNs: string) => {
    const qualified = depth === 0 || (tnsPrefix !== '' && r() < 0.2);
    let name = node.name;
    let attrs = '';
    let ns = defaultNs;
    if (qualified) {
      if (tnsPrefix === '') {
        if (defaultNs !== MKTOWS) attrs += attr('xmlns', MKTOWS);
        ns = MKTOWS;
      } else {
        name = `${tnsPrefix}:${node.name}`;
        if (!declareOnEnvelope && depth === 0) attrs += attr(`xmlns:${tnsPrefix}`, MKTOWS);
      }
    } else if (defaultNs !== '') {
      attrs += attr('xmlns', '');
      ns = '';
    }
    if (node.nil) attrs += attr(`${xsiPrefix}:nil`, pick(r, hostile ? NILS : ['true', '1']));
    else if (node.text !== undefined && r() < 0.15)
      attrs += attr(`${xsiPrefix}:type`, pick(r, ['xsd:string', 'xs:string']));
    const again = `xmlns:${tnsPrefix || 'ns1'}`;
    if (r() < 0.1 && !attrs.includes(again)) attrs += attr(again, MKTOWS); // declared again
    if (hostile) {
      const h = r();
      if (h < 0.04) {
        attrs += attr('xmlns:x', 'urn:other');
        name = `x:${node.name}`;
      } else if (h < 0.08) {
        attrs += attr('xmlns', 'urn:other');
        name = node.name;
        ns = 'urn:other';
      } else if (h < 0.12) {
        attrs += attr(`xmlns:${xsiPrefix}`, 'urn:other');
      } else if (h < 0.15) {
        attrs += attr('xmlns:o', 'urn:other') + attr('o:nil', 'true');
      } else if (h < 0.2) {
        attrs += attr('xmlns:o', pick(r, [XSI, 'urn:other']));
      } else if (h < 0.25 && depth > 0) {
        attrs += attr('o:nil', pick(r, ['true', '1', 'TRUE', ' true', 'false']));
      }
    }
    out += `<${name}${attrs}${sp()}`;
    if (node.nil) {
      out += '/>';
      return;
    }
    if (node.children) {
      out += '>';
      for (const child of node.children) {
        out += sp();
        if (hostile && r() < 0.05) out += '<!-- between -->';
        write(child, depth + 1, ns);
      }
      out += `${sp()}</${name}>`;
      return;
    }
    const text = node.text ?? '';
    if (text === '' && r() < 0.5) {
      out += '/>';
      return;
    }
    out += `>${sp()}${writeText(r, text, style)}${sp()}</${name}${sp()}>`;
  };
  write(body, 0, '');
  out += `${sp()}</${envPrefix}:Body>${sp()}</${envPrefix}:Envelope>${sp()}`;
  return out;
}

/**
 * What a namespace-aware parser reads in the Body's element: `path=value` for each leaf, its
 * elements in no namespace or mktows named by local name, any other as `{uri}local`; null when
 * the document is not well-formed or not a SOAP 1.1 envelope of one Body element.
 */
export function referenceRead(xml: string): string[] | null {
  const parser = sax.parser(true, { xmlns: true, trim: false, normalize: false });
  const out: string[] = [];
  interface Open {
    path: string;
    counts: Map<string, number>;
    text: string;
    children: boolean;
    nil: boolean;
  }
  const stack: Open[] = [];
  let failed = false;
  let bodyDepth = -1;
  parser.onerror = () => {
    failed = true;
  };
  parser.onopentag = (tag) => {
    const t = tag as sax.QualifiedTag;
    const parent = stack[stack.length - 1];
    if (stack.length === 0 && (t.uri !== ENV || t.local !== 'Envelope')) failed = true;
    if (stack.length === 1 && t.uri === ENV && t.local === 'Body') bodyDepth = 2;
    const named = t.uri === '' || t.uri === MKTOWS ? t.local : `{${t.uri}}${t.local}`;
    let path = named;
    if (parent) {
      parent.children = true;
      const n = parent.counts.get(named) ?? 0;
      parent.counts.set(named, n + 1);
      if (stack.length > 2) path = `${parent.path}/${named}[${n}]`;
    }
    let nil = false;
    for (const a of Object.values(t.attributes)) {
      if (a.uri === XSI && a.local === 'nil') nil = a.value === 'true' || a.value === '1';
    }
    stack.push({ path, counts: new Map(), text: '', children: false, nil });
  };
  parser.ontext = (text) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
  };
  parser.oncdata = (text) => {
    if (stack.length > 0) stack[stack.length - 1]!.text += text;
  };
  parser.onclosetag = () => {
    const open = stack.pop()!;
    if (bodyDepth > 0 && stack.length > bodyDepth && !open.children) {
      // node-soap reads an empty element of a complex type as null, as it reads a nil one.
      const local = open.path.slice(open.path.lastIndexOf('/') + 1, open.path.lastIndexOf('['));
      const text = open.text.trim();
      // An empty element the schema does not declare is let through (skipEmptyUnknown): null.
      const nil = open.nil || (text === '' && (COMPLEX.has(local) || !LEAVES.has(local)));
      out.push(`${open.path}=${nil ? '<nil>' : text}`);
    }
  };
  try {
    parser.write(xml).close();
  } catch {
    return null;
  }
  return failed ? null : out.sort();
}

/** The same list from node-soap's object for the envelope (as the request reader gives it). */
export function servedRead(envelope: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    leaf(v, path);
  };
  const leaf = (v: unknown, path: string) => {
    if (v === null) {
      out.push(`${path}=<nil>`);
      return;
    }
    if (typeof v !== 'object') {
      out.push(`${path}=${String(v)}`);
      return;
    }
    const o = v as Record<string, unknown>;
    if (Object.hasOwn(o, '$value')) {
      out.push(`${path}=${String(o.$value)}`);
      return;
    }
    const keys = Object.keys(o).filter((k) => k !== 'attributes');
    if (keys.length === 0) out.push(`${path}=`);
    for (const k of keys) {
      const child = o[k];
      if (Array.isArray(child)) walk(child, `${path}/${k}`);
      else leaf(child, `${path}/${k}[0]`);
    }
  };
  const body = (envelope as { Body: Record<string, unknown> }).Body;
  for (const [name, value] of Object.entries(body)) leaf(value, name);
  return out.sort();
}
