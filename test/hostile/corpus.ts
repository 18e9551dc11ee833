import zlib from 'node:zlib';
import { requestSignature } from '../../src/mktows/auth.js';
import { envelope, isoNow, TEST_USER } from '../support/service.js';

/** One hostile or broken request and the answer it must get. */
export interface HostileCase {
  name: string;
  method?: string;
  body?: Buffer | string;
  headers?: Record<string, string>;
  /** chunked: no Content-Length; slow: trickle the body slower than BODY_TIMEOUT_MS allows. */
  send?: 'chunked' | 'slow';
  /** Where to send it, when not to the mktows endpoint (a path from the service's root). */
  path?: string;
  status: number;
  /** The vendor fault code, or null for a non-SOAP answer (none expected today). */
  code: number | null;
  faultcode?: string;
}

const KEY = (type: string, value: string) =>
  `<leadKey><keyType>${type}</keyType><keyValue>${value}</keyValue></leadKey>`;
const GET_LEAD = (email = 'sentinel@example.com') =>
  `<ns1:paramsGetLead>${KEY('EMAIL', email)}</ns1:paramsGetLead>`;
const SYNC = (record: string) =>
  `<ns1:paramsSyncLead><leadRecord>${record}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
const ATTR = (name: string, value: string) =>
  `<leadAttributeList><attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute></leadAttributeList>`;
const withProlog = (prolog: string, bodyXml: string) =>
  prolog + envelope(bodyXml).replace(/^<\?xml[^>]*\?>/, '');

/** gzip members concatenate: 64 copies of a 16 MiB member inflate to 1 GiB from ~1 MB. */
function gzipBomb(inflatedBytes: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20), { level: 9 });
  return Buffer.concat(
    Array.from({ length: Math.ceil(inflatedBytes / (16 * 1024 * 1024)) }, () => member),
  );
}

/** A signed envelope up to its Body's start tag: what a body that passed its header follows. */
function signedHead(): string {
  return envelope(GET_LEAD()).replace(/<SOAP-ENV:Body>.*$/s, '<SOAP-ENV:Body>');
}

function nested(depth: number): string {
  return '<leadKey>'.repeat(depth) + '</leadKey>'.repeat(depth);
}

function signedWith(timestamp: string): string {
  return envelope(GET_LEAD(), {
    timestamp,
    signature: requestSignature(TEST_USER.encryptionKey, timestamp, TEST_USER.userId),
  });
}

/** Every case is refused: none may change what is stored. */
export function hostileCorpus(maxBodyBytes: number): HostileCase[] {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
    Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join('') +
    ']>';
  return [
    // XML-level attacks
    {
      name: 'XXE reading a file',
      body: withProlog(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        GET_LEAD('&xxe;'),
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'XXE fetching a URL',
      body: withProlog(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>',
        GET_LEAD('&xxe;'),
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'billion laughs',
      body: withProlog(laughs, GET_LEAD('&lol9;')),
      status: 500,
      code: 20012,
    },
    {
      name: 'external DTD',
      body: withProlog(
        '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
        GET_LEAD(),
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'processing instruction',
      body: withProlog('<?xml version="1.0"?><?xml-stylesheet href="x"?>', GET_LEAD()),
      status: 500,
      code: 20012,
    },
    // An XML declaration anywhere but at the very start: not well-formed XML (and its encoding
    // is not the one the body is read in). Each would store an unsubscribe if taken.
    {
      name: 'XML declaration after leading white space',
      body: `\r\n ${envelope(SYNC(`<Email>decl@example.com</Email>${ATTR('Unsubscribed', 'true')}`))}`,
      status: 500,
      code: 20012,
    },
    {
      name: 'XML declaration after a comment',
      body: `<!-- x -->${envelope(SYNC(`<Email>decl@example.com</Email>${ATTR('Unsubscribed', 'true')}`))}`,
      status: 500,
      code: 20012,
    },
    {
      name: 'XML declaration twice',
      body: `<?xml version="1.0"?>${envelope(SYNC(`<Email>decl@example.com</Email>${ATTR('Unsubscribed', 'true')}`))}`,
      status: 500,
      code: 20012,
    },
    { name: 'undeclared entity', body: envelope(GET_LEAD('&nope;')), status: 500, code: 20012 },
    {
      name: '100,000 levels of nesting',
      body: envelope(`<ns1:paramsGetLead>${nested(100000)}</ns1:paramsGetLead>`),
      status: 500,
      code: 20012,
    },
    {
      name: '80,000 attributes on one element',
      body: envelope(
        `<ns1:paramsGetLead${Array.from({ length: 80000 }, (_, i) => ` a${i}="v"`).join('')}>${KEY('EMAIL', 'a@b.c')}</ns1:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: '150,000 text nodes',
      body: envelope(`<ns1:paramsGetLead>${'<bogus>x</bogus>'.repeat(150000)}</ns1:paramsGetLead>`),
      status: 500,
      code: 20012,
    },
    {
      name: 'very long element name',
      body: envelope(`<ns1:paramsGetLead><${'a'.repeat(100000)}/></ns1:paramsGetLead>`),
      status: 500,
      code: 20012,
    },
    {
      name: 'very long text',
      body: envelope(GET_LEAD('x'.repeat(Math.floor(maxBodyBytes * 0.8)))),
      status: 500,
      code: 20102,
    },
    {
      name: 'invalid UTF-8',
      body: Buffer.concat([
        Buffer.from(envelope(GET_LEAD()).slice(0, 400)),
        Buffer.from([0xff, 0xfe, 0xfd]),
      ]),
      status: 500,
      code: 20012,
    },
    {
      name: 'raw control character',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('FirstName', 'a\u0001b')}`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'raw ESC in a value',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('FirstName', '\u001b[31mred')}`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'raw NUL in an email',
      body: envelope(SYNC(`<Email>nul\u0000@example.com</Email>`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'NUL as a character reference',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('LastName', 'a&#0;b')}`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'ESC as a decimal character reference',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('LastName', '&#27;[2J')}`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'U+FFFF in a value',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('LastName', 'a\uFFFFb')}`)),
      status: 500,
      code: 20012,
    },
    { name: 'empty body', body: '', status: 500, code: 20012 },
    { name: 'not XML', body: 'GET / HTTP/1.1', status: 500, code: 20012 },
    {
      name: 'JSON',
      body: '{"paramsGetLead":{"leadKey":{"keyType":"EMAIL"}}}',
      headers: { 'Content-Type': 'application/json' },
      status: 500,
      code: 20012,
    },
    {
      name: 'truncated envelope',
      body: envelope(GET_LEAD()).slice(0, 300),
      status: 500,
      code: 20012,
    },
    // Size and transfer
    {
      name: 'body over the limit',
      body: envelope(GET_LEAD('y'.repeat(maxBodyBytes + 10))),
      status: 500,
      code: 20012,
    },
    // Signed: read on past the header, until the limit.
    {
      name: 'gzip that inflates to 1 GiB',
      body: Buffer.concat([zlib.gzipSync(signedHead()), gzipBomb(1024 * 1024 * 1024)]),
      headers: { 'Content-Encoding': 'gzip' },
      status: 500,
      code: 20012,
    },
    {
      name: 'deflate over the limit',
      body: zlib.deflateSync(
        Buffer.concat([Buffer.from(signedHead()), Buffer.alloc(maxBodyBytes * 4, 0x20)]),
      ),
      headers: { 'Content-Encoding': 'deflate' },
      status: 500,
      code: 20012,
    },
    // Unsigned: no header in the first 64 KiB, refused there.
    {
      name: 'gzip that inflates to 1 GiB, no header',
      body: gzipBomb(1024 * 1024 * 1024),
      headers: { 'Content-Encoding': 'gzip' },
      status: 500,
      code: 20014,
    },
    {
      name: 'deflate over the limit, no header',
      body: zlib.deflateSync(Buffer.alloc(maxBodyBytes * 4, 0x20)),
      headers: { 'Content-Encoding': 'deflate' },
      status: 500,
      code: 20014,
    },
    {
      name: 'corrupt gzip',
      body: Buffer.from('1f8b0800000000000003ffffffff', 'hex'),
      headers: { 'Content-Encoding': 'gzip' },
      status: 500,
      code: 20012,
    },
    {
      name: 'unknown Content-Encoding',
      body: envelope(GET_LEAD()),
      headers: { 'Content-Encoding': 'zstd-9000' },
      status: 500,
      code: 20012,
    },
    {
      name: 'chunked body over the limit, no length',
      body: envelope(GET_LEAD('z'.repeat(maxBodyBytes + 10))),
      send: 'chunked',
      status: 500,
      code: 20012,
    },
    { name: 'slow sender', body: envelope(GET_LEAD()), send: 'slow', status: 500, code: 20012 },
    // Envelope structure
    // Text beside child elements: node-soap makes the element a string, then fails on the next.
    // Text alone in a request element whose type holds elements: it was read as no members,
    // so paramsListMObjects holding text was answered as one holding nothing.
    {
      name: 'text alone in paramsListMObjects',
      body: envelope('<ns1:paramsListMObjects>junk</ns1:paramsListMObjects>'),
      status: 500,
      code: 20110,
    },
    {
      name: 'text alone in paramsSyncLead',
      body: envelope('<ns1:paramsSyncLead>junk</ns1:paramsSyncLead>'),
      status: 500,
      code: 20110,
    },
    {
      name: 'text before an element (mixed content)',
      body: envelope(SYNC('junk<Email>mixed@example.com</Email>')),
      status: 500,
      code: 20012,
    },
    {
      name: 'CDATA before an element',
      body: envelope(SYNC('<![CDATA[junk]]><Email>mixed@example.com</Email>')),
      status: 500,
      code: 20012,
    },
    {
      name: 'text before the Body',
      body: envelope(GET_LEAD()).replace('<SOAP-ENV:Body>', 'junk<SOAP-ENV:Body>'),
      status: 500,
      code: 20012,
    },
    {
      name: 'element __proto__',
      body: envelope(
        `<ns1:paramsGetLead><__proto__><keyType>EMAIL</keyType></__proto__></ns1:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'element constructor',
      body: envelope(
        `<ns1:paramsGetLead><leadKey><constructor>1</constructor></leadKey></ns1:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'element toString',
      body: envelope(
        `<ns1:paramsGetLead><leadKey><toString>1</toString></leadKey></ns1:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'unknown element',
      body: envelope(
        `<ns1:paramsGetLead>${KEY('EMAIL', 'a@b.c')}<bogus>1</bogus></ns1:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'wrong namespace',
      body: envelope(
        `<x:paramsGetLead xmlns:x="urn:evil">${KEY('EMAIL', 'a@b.c')}</x:paramsGetLead>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'SOAP 1.2 envelope',
      body: envelope(GET_LEAD()).replace(
        'http://schemas.xmlsoap.org/soap/envelope/',
        'http://www.w3.org/2003/05/soap-envelope',
      ),
      status: 500,
      code: 20012,
      faultcode: 'SOAP-ENV:VersionMismatch',
    },
    {
      name: 'missing Body',
      body: '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/></SOAP-ENV:Envelope>',
      status: 500,
      code: 20012,
    },
    {
      name: 'two Body elements',
      body: envelope(GET_LEAD()).replace(
        '</SOAP-ENV:Envelope>',
        `<SOAP-ENV:Body>${GET_LEAD()}</SOAP-ENV:Body></SOAP-ENV:Envelope>`,
      ),
      status: 500,
      code: 20012,
    },
    {
      name: 'two Body children',
      body: envelope(GET_LEAD() + GET_LEAD()),
      status: 500,
      code: 20012,
    },
    {
      name: 'wrong SOAPAction',
      body: envelope(GET_LEAD()),
      headers: { SOAPAction: '"http://www.marketo.com/mktows/deleteLead"' },
      status: 500,
      code: 20019,
    },
    { name: 'GET without ?WSDL', method: 'GET', status: 404, code: 20012 },
    // URLs that do not decode
    {
      name: 'malformed URL on the mktows path',
      path: '/soap/mktows/%C0',
      body: envelope(GET_LEAD()),
      status: 400,
      code: 20012,
    },
    {
      name: 'malformed URL on the mktows path, GET',
      path: '/soap/mktows/%E0%A4%A?WSDL',
      method: 'GET',
      status: 400,
      code: 20012,
    },
    {
      name: 'malformed URL on the Salesforce path',
      path: '/soap/salesforce/outbound/%C0',
      body: envelope(GET_LEAD()),
      status: 400,
      code: 20012,
    },
    { name: 'PUT', method: 'PUT', body: envelope(GET_LEAD()), status: 405, code: 20012 },
    { name: 'DELETE', method: 'DELETE', status: 405, code: 20012 },
    // Values
    {
      name: '10,000-character email',
      body: envelope(SYNC(`<Email>${'e'.repeat(9988)}@example.com</Email>`)),
      status: 500,
      code: 20105,
    },
    {
      name: '10,000-character attribute',
      body: envelope(
        SYNC(`<Email>long@example.com</Email>${ATTR('FirstName', 'f'.repeat(10000))}`),
      ),
      status: 500,
      code: 20105,
    },
    {
      name: 'control character reference',
      body: envelope(SYNC(`<Email>ctl@example.com</Email>${ATTR('FirstName', 'a&#x1b;b')}`)),
      status: 500,
      code: 20012,
    },
    {
      name: 'SQL in an email',
      body: envelope(SYNC(`<Email>x'; DROP TABLE leads; --@example.com</Email>`)),
      status: 500,
      code: 20105,
    },
    {
      name: 'id out of int range',
      body: envelope(`<ns1:paramsGetLead>${KEY('IDNUM', '99999999999')}</ns1:paramsGetLead>`),
      status: 500,
      code: 20102,
    },
    { name: 'negative id', body: envelope(SYNC('<Id>-5</Id>')), status: 500, code: 20102 },
    {
      name: 'negative batch size',
      body: envelope(
        `<ns1:paramsGetLeadActivity>${KEY('EMAIL', 'sentinel@example.com')}<batchSize>-1</batchSize></ns1:paramsGetLeadActivity>`,
      ),
      status: 500,
      code: 20110,
    },
    {
      name: 'batch size not a number',
      body: envelope(
        `<ns1:paramsGetLeadActivity>${KEY('EMAIL', 'sentinel@example.com')}<batchSize>12abc</batchSize></ns1:paramsGetLeadActivity>`,
      ),
      status: 500,
      code: 20110,
    },
    {
      name: 'malformed date',
      body: envelope(
        `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>yesterday</oldestUpdatedAt></leadSelector></ns1:paramsGetMultipleLeads>`,
      ),
      status: 500,
      code: 20110,
    },
    {
      name: 'malformed stream position',
      body: envelope(
        `<ns1:paramsGetLeadChanges><startPosition><offset>ID:-1 OR 1=1</offset></startPosition></ns1:paramsGetLeadChanges>`,
      ),
      status: 500,
      code: 20122,
    },
    {
      name: 'malformed getMultipleLeads position',
      body: envelope(
        `<ns1:paramsGetMultipleLeads><leadSelector xsi:type="ns1:LastUpdateAtSelector"><oldestUpdatedAt>2020-01-01T00:00:00Z</oldestUpdatedAt></leadSelector><streamPosition>eyJ1IjoiYSJ9</streamPosition></ns1:paramsGetMultipleLeads>`,
      ),
      status: 500,
      code: 20122,
    },
    {
      name: 'boolean that is not one',
      body: envelope(SYNC(`<Email>sentinel@example.com</Email>${ATTR('Unsubscribed', 'yes')}`)),
      status: 500,
      code: 20105,
    },
    // Authentication
    {
      name: 'missing AuthenticationHeader',
      body: envelope(GET_LEAD(), { user: null }),
      status: 500,
      code: 20014,
    },
    {
      name: 'unsigned 1 MB body',
      body: envelope(SYNC(`<Email>${'u'.repeat(1000000)}@example.com</Email>`), { user: null }),
      status: 500,
      code: 20014,
    },
    {
      name: 'badly signed 1 MB body, sent without a length',
      body: envelope(SYNC(`<Email>${'s'.repeat(1000000)}@example.com</Email>`), {
        signature: 'f'.repeat(40),
      }),
      send: 'chunked',
      status: 500,
      code: 20014,
    },
    {
      name: 'unknown user',
      body: envelope(GET_LEAD(), { user: { userId: 'mallory', encryptionKey: 'k' } }),
      status: 500,
      code: 20014,
    },
    {
      name: 'wrong signature',
      body: envelope(GET_LEAD(), { signature: '0'.repeat(40) }),
      status: 500,
      code: 20014,
    },
    {
      name: 'signature of another timestamp',
      body: envelope(GET_LEAD(), {
        timestamp: isoNow(),
        signature: requestSignature(TEST_USER.encryptionKey, isoNow(-60000), TEST_USER.userId),
      }),
      status: 500,
      code: 20014,
    },
    { name: 'timestamp not a date', body: signedWith('tuesday'), status: 500, code: 20014 },
    { name: 'timestamp too old', body: signedWith(isoNow(-20 * 60000)), status: 500, code: 20016 },
    {
      name: 'timestamp too far ahead',
      body: signedWith(isoNow(20 * 60000)),
      status: 500,
      code: 20016,
    },
    {
      name: 'replay of a captured request outside the window',
      body: signedWith(isoNow(-3600000)),
      status: 500,
      code: 20016,
    },
  ];
}
