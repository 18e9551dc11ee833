/**
 * Beyond the normal corpus of the fast request reader's differential test: node-soap's
 * oddities, and seeded mutations of any envelope.
 */
const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const MKTOWS = 'http://www.marketo.com/mktows/';

/**
 * Inputs where node-soap's reading is odd (its namespace map is one for the whole document,
 * never scoped): the reader may read or decline them, but must never read them differently.
 */
export function trickyCorpus(): string[] {
  const base = (body: string) =>
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}" xmlns:xsi="${XSI}"><SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
  return [
    // xsi rebound in an earlier sibling: in scope it is XSI again, in node-soap's map it is not.
    base(
      '<ns1:paramsSyncLead><leadRecord><Email xmlns:xsi="urn:other">a@b</Email><Id xsi:nil="true"/></leadRecord></ns1:paramsSyncLead>',
    ),
    // A second prefix bound to XSI, used later for nil and type.
    base(
      `<ns1:paramsSyncLead><leadRecord xmlns:i="${XSI}"><Email i:nil="1"/><Id i:type="xsd:int">4</Id></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`,
    ),
    // The envelope namespace declared again under another prefix before the Body's element.
    base(
      `<ns1:paramsGetLead xmlns:e="${ENV}"><leadKey><keyType>EMAIL</keyType></leadKey></ns1:paramsGetLead>`,
    ),
    // The default namespace declared and undeclared.
    base(
      `<paramsGetLead xmlns="${MKTOWS}"><leadKey xmlns=""><keyType>EMAIL</keyType></leadKey></paramsGetLead>`,
    ),
    // xsi:nil="false" and an xsi:type with no prefix.
    base(
      '<ns1:paramsGetLead><leadKey><keyType xsi:nil="false">EMAIL</keyType><keyValue xsi:type="string">x</keyValue></leadKey></ns1:paramsGetLead>',
    ),
    // A nil element that still holds children.
    base(
      '<ns1:paramsSyncMultipleLeads><leadRecordList xsi:nil="true"><leadRecord><Email>a@b</Email></leadRecord></leadRecordList></ns1:paramsSyncMultipleLeads>',
    ),
    // The same member twice (node-soap makes it a list), and a list member in another case.
    base(
      '<ns1:paramsSyncLead><leadRecord><Email>a@b</Email><Email>c@d</Email><LeadAttributeList><attribute><attrName>A</attrName></attribute></LeadAttributeList></leadRecord></ns1:paramsSyncLead>',
    ),
    // Attribute values with references and whitespace.
    base(
      '<ns1:paramsGetLead><leadKey><keyType xsi:nil="&#116;rue">EMAIL</keyType><keyValue xsi:type="a&amp;b\tc">x</keyValue></leadKey></ns1:paramsGetLead>',
    ),
  ];
}

const INSERTS = [
  ' ',
  '\n',
  '\r\n',
  '\t',
  '\u00a0',
  '<',
  '>',
  '&',
  '&amp;',
  '&#x41;',
  '&#0;',
  ']]>',
  '"',
  "'",
  '<!--c-->',
  '<![CDATA[ z ]]>',
  '<![CDATA[]]>',
  '<x/>',
  '<Email>e</Email>',
  '<attribute/>',
  ' xsi:nil="true"',
  ' xsi:type="xs:string"',
  ' xmlns:q="urn:q"',
  ' xmlns=""',
  ' id="1"',
  ' href="#1"',
  'é',
  '😀',
  '\u2028',
  '\ufeff',
  '\u0000',
  '/',
  '=',
  ':',
];

/** A mutation of `xml`: characters inserted, deleted, replaced, a span duplicated or cut. */
export function mutate(xml: string, next: () => number): string {
  const at = Math.floor(next() * xml.length);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  switch (Math.floor(next() * 6)) {
    case 0:
      return xml.slice(0, at) + pick(INSERTS) + xml.slice(at);
    case 1:
      return xml.slice(0, at) + xml.slice(at + 1 + Math.floor(next() * 3));
    case 2: {
      const c = xml[at] ?? '';
      const swapped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
      return xml.slice(0, at) + swapped + xml.slice(at + 1);
    }
    case 3: {
      // Duplicate an element (a repeated member, a second list item).
      const open = xml.indexOf('<', at);
      const close = open === -1 ? -1 : xml.indexOf('>', xml.indexOf('</', open));
      if (close === -1) return xml + pick(INSERTS);
      const span = xml.slice(open, close + 1);
      return xml.slice(0, close + 1) + span + xml.slice(close + 1);
    }
    case 4:
      return xml.slice(0, at);
    default:
      return xml.slice(0, at) + pick(INSERTS) + xml.slice(at + 1);
  }
}

const SPACES = [' ', '\n', '\r\n', '\t', '\u00a0', '\u2028', '  '];
const ATTRIBUTES = [
  ' xsi:nil="true"',
  ' xsi:nil="1"',
  ' xsi:nil="false"',
  ' xsi:type="xs:string"',
  ' xmlns:q="urn:q"',
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
];

/**
 * A variation of `xml` that stays well-formed, of the kinds clients differ in: spaces in and
 * around values, characters as references, values in CDATA, xsi:nil and xsi:type, a member
 * repeated, a member in another case, an empty element written open and closed.
 */
export function variation(xml: string, next: () => number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const starts = [...xml.matchAll(/<([A-Za-z][\w.-]*(?::[A-Za-z][\w.-]*)?)([^<>]*?)(\/?)>/g)];
  const texts = [...xml.matchAll(/>([^<]+)</g)];
  const text = texts.length > 0 ? pick(texts) : undefined;
  const at = text ? text.index + 1 : 0;
  const value = text?.[1] ?? '';
  switch (Math.floor(next() * 7)) {
    case 0: {
      if (!text) return xml;
      const i = at + Math.floor(next() * value.length);
      return xml.slice(0, i) + pick(SPACES) + xml.slice(i);
    }
    case 1: {
      if (!text || value.includes('&')) return xml;
      const i = Math.floor(next() * value.length);
      const c = value.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) return xml;
      const ref = pick([`&#${c};`, `&#x${c.toString(16)};`]);
      return xml.slice(0, at + i) + ref + xml.slice(at + i + 1);
    }
    case 2: {
      if (!text || value.includes('&') || value.trim() === '') return xml;
      const wrapped = pick([
        `<![CDATA[${value}]]>`,
        `${value.slice(0, 1)}<![CDATA[${value.slice(1)}]]>`,
        `<![CDATA[${value}]]> `,
      ]);
      return xml.slice(0, at) + wrapped + xml.slice(at + value.length);
    }
    case 3: {
      const tag = pick(starts);
      const attribute = pick(ATTRIBUTES);
      if (tag[0].includes(attribute.split('=')[0]!.trim())) return xml;
      const end = tag.index + tag[0].length - (tag[3] ? 2 : 1);
      return xml.slice(0, end) + attribute + xml.slice(end);
    }
    case 4: {
      const tag = pick(starts);
      const name = tag[1]!;
      if (tag[3])
        return (
          xml.slice(0, tag.index + tag[0].length) + tag[0] + xml.slice(tag.index + tag[0].length)
        );
      const close = xml.indexOf(`</${name}>`, tag.index);
      if (close === -1) return xml;
      const span = xml.slice(tag.index, close + name.length + 3);
      if (span.indexOf(`<${name}`, 1) !== -1) return xml;
      return xml.slice(0, close + name.length + 3) + span + xml.slice(close + name.length + 3);
    }
    case 5: {
      const name = pick(starts)[1]!;
      const colon = name.indexOf(':');
      const local = name.slice(colon + 1);
      const first = local[0]!;
      const other = first === first.toLowerCase() ? first.toUpperCase() : first.toLowerCase();
      const renamed = `${name.slice(0, colon + 1)}${other}${local.slice(1)}`;
      return xml
        .split(`<${name}>`)
        .join(`<${renamed}>`)
        .split(`</${name}>`)
        .join(`</${renamed}>`)
        .split(`<${name}/>`)
        .join(`<${renamed}/>`);
    }
    default: {
      const tag = pick(starts);
      if (!tag[3]) return xml;
      const open = `<${tag[1]}${tag[2]}></${tag[1]}>`;
      return xml.slice(0, tag.index) + open + xml.slice(tag.index + tag[0].length);
    }
  }
}
