/**
 * Request envelopes for the fast request reader's differential test: the bench's envelopes,
 * the shapes real client stacks write (prefixes, default namespaces, pretty printing, nils,
 * lists of none, one and many, CDATA, references, unicode), and exotic inputs the reader must
 * leave to node-soap.
 */
import * as bench from '../../bench/lib/soap.js';

const ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const XSD = 'http://www.w3.org/2001/XMLSchema';
const MKTOWS = 'http://www.marketo.com/mktows/';

const AUTH_FIELDS =
  '<mktowsUserId>du_user</mktowsUserId>' +
  '<requestSignature>0a1b2c3d4e5f60718293a4b5c6d7e8f901234567</requestSignature>' +
  '<requestTimestamp>2026-11-30T10:00:00+00:00</requestTimestamp>';

interface Style {
  name: string;
  env: string;
  /** Prefix of the mktows namespace on the header and params elements; '' = default ns. */
  tns: string;
  /** Declarations on the Envelope. */
  decls: string;
  pretty?: boolean;
  crlf?: boolean;
  xmlDecl?: boolean;
  /** Children qualified with the tns prefix (some stacks do, wrongly; node-soap ignores it). */
  qualifiedChildren?: boolean;
}

const STYLES: Style[] = [
  {
    name: 'PHP SoapClient',
    env: 'SOAP-ENV',
    tns: 'ns1',
    decls: `xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}"`,
    xmlDecl: true,
  },
  {
    name: 'zeep',
    env: 'soap-env',
    tns: 'ns0',
    decls: `xmlns:soap-env="${ENV}"`,
  },
  {
    name: 'JAX-WS',
    env: 'S',
    tns: 'ns2',
    decls: `xmlns:S="${ENV}"`,
    xmlDecl: true,
  },
  {
    name: 'gSOAP',
    env: 'SOAP-ENV',
    tns: 'ns1',
    decls: `xmlns:SOAP-ENV="${ENV}" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsi="${XSI}" xmlns:xsd="${XSD}" xmlns:ns1="${MKTOWS}"`,
    pretty: true,
    xmlDecl: true,
  },
  {
    name: '.NET',
    env: 's',
    tns: '',
    decls: `xmlns:s="${ENV}"`,
    xmlDecl: true,
  },
  {
    name: 'SoapUI',
    env: 'soapenv',
    tns: 'mkt',
    decls: `xmlns:soapenv="${ENV}" xmlns:mkt="${MKTOWS}"`,
    pretty: true,
    crlf: true,
  },
  {
    name: 'default envelope namespace',
    env: '',
    tns: 'm',
    decls: `xmlns="${ENV}" xmlns:m="${MKTOWS}" xmlns:i="${XSI}"`,
  },
  {
    name: 'qualified children',
    env: 'soapenv',
    tns: 'mkt',
    decls: `xmlns:soapenv="${ENV}" xmlns:mkt="${MKTOWS}"`,
    qualifiedChildren: true,
  },
];

/** A body and header in one style: `{tns}` marks where the tns prefix goes in the body. */
function styled(
  style: Style,
  body: string,
  header = `<{tns}AuthenticationHeader>${AUTH_FIELDS}</{tns}AuthenticationHeader>`,
): string {
  const e = style.env ? `${style.env}:` : '';
  const own = (inner: string) => {
    const p = style.tns ? `${style.tns}:` : '';
    // Elements that open with {tns} are the top-level ones; a default-namespace style declares
    // the namespace on each of them, a prefixed one that zeep/JAX-WS declare locally too.
    return inner
      .replace(/<\{tns\}([A-Za-z]+)([ >/])/g, (_m, name: string, after: string) => {
        // Under a default envelope namespace, the unqualified children need it undeclared.
        const local =
          style.tns === ''
            ? ` xmlns="${MKTOWS}"`
            : style.decls.includes(`xmlns:${style.tns}=`)
              ? style.env === ''
                ? ' xmlns=""'
                : ''
              : ` xmlns:${style.tns}="${MKTOWS}"`;
        return `<${p}${name}${local}${after}`;
      })
      .replace(/<\/\{tns\}/g, `</${p}`);
  };
  let b = own(body);
  let h = own(header);
  if (style.qualifiedChildren) {
    b = b.replace(/<(\/?)(?![A-Za-z-]+:)([A-Za-z]+)([ >/])/g, `<$1${style.tns}:$2$3`);
  }
  const nl = style.pretty ? (style.crlf ? '\r\n' : '\n') : '';
  const ind = style.pretty ? '  ' : '';
  if (style.pretty) {
    b = b.replace(/></g, `>${nl}${ind}${ind}<`);
    h = h.replace(/></g, `>${nl}${ind}${ind}<`);
  }
  return (
    (style.xmlDecl ? `<?xml version="1.0" encoding="UTF-8"?>${nl}` : '') +
    `<${e}Envelope ${style.decls}>${nl}` +
    (header === '' ? '' : `${ind}<${e}Header>${nl}${ind}${h}${nl}${ind}</${e}Header>${nl}`) +
    `${ind}<${e}Body>${nl}${ind}${b}${nl}${ind}</${e}Body>${nl}` +
    `</${e}Envelope>${nl}`
  );
}

const attrList = (pairs: Array<[string, string]>) =>
  `<leadAttributeList>${pairs
    .map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${v}</attrValue></attribute>`)
    .join('')}</leadAttributeList>`;

/** Body elements of the hot operations, in the shapes clients send. */
const HOT_BODIES: string[] = [
  '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>someone@example.com</keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>42</keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>o&apos;brien&amp;co@example.com</keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue><![CDATA[cdata@example.com]]></keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>  padded@example.com  </keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue/></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType/><keyValue></keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead><leadKey><keyType xsi:type="xsd:string" xmlns:xsd="http://www.w3.org/2001/XMLSchema">EMAIL</keyType><keyValue xsi:nil="false">v@example.com</keyValue></leadKey></{tns}paramsGetLead>',
  '<{tns}paramsGetLead/>',
  '<{tns}paramsGetLead><leadKey/></{tns}paramsGetLead>',
  '<{tns}paramsSyncLead><leadRecord><Email>new@example.com</Email></leadRecord><returnLead>false</returnLead></{tns}paramsSyncLead>',
  `<{tns}paramsSyncLead><leadRecord><Id>7</Id><Email>ünïcødé@exämple.com</Email><ForeignSysPersonId>ext-1</ForeignSysPersonId><ForeignSysType>CUSTOM</ForeignSysType>${attrList(
    [
      ['FirstName', 'Zoë &amp; 李'],
      ['Unsubscribed', 'true'],
      ['UnsubscribedReason', '&lt;b&gt;no&lt;/b&gt; &#x1F600; &#233;'],
    ],
  )}</leadRecord><returnLead>true</returnLead><marketoCookie>id:123-ABC-456&amp;token:_mch-x</marketoCookie></{tns}paramsSyncLead>`,
  '<{tns}paramsSyncLead><leadRecord><Email>a@example.com</Email><leadAttributeList/></leadRecord><returnLead>1</returnLead></{tns}paramsSyncLead>',
  `<{tns}paramsSyncLead><leadRecord><Email>a@example.com</Email>${attrList([['Company', 'Acme']])}</leadRecord><returnLead>false</returnLead><marketoCookie xsi:nil="true"/></{tns}paramsSyncLead>`,
  '<{tns}paramsSyncLead><leadRecord><Id xsi:nil="true"/><Email>a@example.com</Email><ForeignSysType xsi:nil="true"></ForeignSysType></leadRecord><returnLead>false</returnLead></{tns}paramsSyncLead>',
  '<{tns}paramsSyncLead><leadRecord><foreignSysPersonId>ruby-1</foreignSysPersonId><email>lower@example.com</email></leadRecord><returnLead>false</returnLead></{tns}paramsSyncLead>',
  '<{tns}paramsSyncLead><leadRecord><Email>a@example.com</Email><leadAttributeList><attribute><attrName>Note</attrName><attrType>string</attrType><attrValue><![CDATA[<not> & markup]]></attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></{tns}paramsSyncLead>',
  '<{tns}paramsSyncLead><leadRecord><Email>a@example.com</Email><leadAttributeList><attribute><attrName>Blank</attrName><attrValue/></attribute></leadAttributeList></leadRecord><returnLead/></{tns}paramsSyncLead>',
  `<{tns}paramsSyncMultipleLeads><leadRecordList>${[1, 2, 3]
    .map(
      (i) =>
        `<leadRecord><Email>m${i}@example.com</Email>${attrList([['FirstName', `F${i}`]])}</leadRecord>`,
    )
    .join('')}</leadRecordList><dedupEnabled>true</dedupEnabled></{tns}paramsSyncMultipleLeads>`,
  '<{tns}paramsSyncMultipleLeads><leadRecordList><leadRecord><Email>one@example.com</Email></leadRecord></leadRecordList></{tns}paramsSyncMultipleLeads>',
  '<{tns}paramsSyncMultipleLeads><leadRecordList/><dedupEnabled>false</dedupEnabled></{tns}paramsSyncMultipleLeads>',
  '<{tns}paramsSyncMultipleLeads><leadRecordList></leadRecordList><dedupEnabled xsi:nil="true"/></{tns}paramsSyncMultipleLeads>',
  '<{tns}paramsSyncMultipleLeads><leadRecordList><leadRecord/><leadRecord><Id>5</Id></leadRecord></leadRecordList></{tns}paramsSyncMultipleLeads>',
];

/** xsi prefix each style has bound (the body's xsi:nil needs one). */
function withXsi(style: Style, body: string): string {
  const m = /xmlns:([A-Za-z-]+)="http:\/\/www\.w3\.org\/2001\/XMLSchema-instance"/.exec(
    style.decls,
  );
  if (m) return body.replace(/xsi:/g, `${m[1]}:`);
  return body.replace(
    /<([^ >/]+)([^>]*?)(\/?)>/,
    (_m, n: string, rest: string, slash: string) => `<${n}${rest} xmlns:xsi="${XSI}"${slash}>`,
  );
}

/** Envelopes of the hot operations as clients write them: the reader must read every one. */
export function normalCorpus(): string[] {
  const out: string[] = [];
  for (const style of STYLES) {
    for (const body of HOT_BODIES) out.push(styled(style, withXsi(style, body)));
    out.push(styled(style, withXsi(style, HOT_BODIES[0]!), ''));
    out.push(
      styled(
        style,
        withXsi(style, HOT_BODIES[10]!),
        `<{tns}AuthenticationHeader>${AUTH_FIELDS}<audit/><mode>1</mode></{tns}AuthenticationHeader>` +
          '<{tns}MktowsContextHeader><targetWorkspace>Europe</targetWorkspace></{tns}MktowsContextHeader>',
      ),
    );
  }
  // The bench's own envelopes.
  out.push(bench.envelope(bench.getLeadByEmail('bench@example.com')));
  out.push(
    bench.envelope(
      bench.syncLead({ email: 'b@example.com', attrs: { Unsubscribed: 'true' } }, true),
    ),
  );
  out.push(bench.envelope(bench.syncLead({ id: 3, email: 'b@example.com' })));
  out.push(
    bench.envelope(
      bench.syncMultipleLeads(
        Array.from({ length: 300 }, (_, i) => ({
          email: `bulk${i}@example.com`,
          attrs: { FirstName: `F${i}`, LastName: 'L & <Co>' },
        })),
      ),
    ),
  );
  // Values longer than sax's 64 KiB buffer (node-soap writes the whole document at once).
  const long = 'word '.repeat(20_000);
  out.push(
    bench.envelope(
      `<ns1:paramsSyncLead><leadRecord><Email>${long}</Email>${bench.attributes({ Note: long })}` +
        `<ForeignSysPersonId><![CDATA[${long}]]></ForeignSysPersonId></leadRecord></ns1:paramsSyncLead>`,
    ),
  );
  // Whitespace of every kind between elements and around values; an empty Header.
  out.push(
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${ENV}" xmlns:ns1="${MKTOWS}">\t\r\n <SOAP-ENV:Header/>\n` +
      '<SOAP-ENV:Body >\t<ns1:paramsGetLead >\r\n<leadKey>\n<keyType >\tEMAIL\n</keyType\n><keyValue\t>\u00a0x@example.com\u2003</keyValue></leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>\n\n',
  );
  return out;
}

/** Inputs the reader must leave to node-soap. */
export const EXOTIC: Record<string, string> = {
  comment: styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><!-- hi --><leadKey><keyType>EMAIL</keyType><keyValue>a@b</keyValue></leadKey></{tns}paramsGetLead>',
  ),
  'processing instruction': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><?pi x?><leadKey/></{tns}paramsGetLead>',
  ),
  doctype: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "v">]>${styled(STYLES[1]!, HOT_BODIES[0]!)}`,
  'multiref href': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey href="#id1"/></{tns}paramsGetLead>',
  ),
  'multiref id': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey id="id1"><keyType>EMAIL</keyType></leadKey></{tns}paramsGetLead>',
  ),
  'SOAP-ENC array': styled(
    STYLES[3]!,
    '<{tns}paramsSyncMultipleLeads><leadRecordList SOAP-ENC:arrayType="ns1:LeadRecord[1]" xsi:type="SOAP-ENC:Array"><leadRecord><Email>a@b</Email></leadRecord></leadRecordList></{tns}paramsSyncMultipleLeads>',
  ),
  'mixed content': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey>text<keyType>EMAIL</keyType></leadKey></{tns}paramsGetLead>',
  ),
  'text after elements': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyType>EMAIL</keyType>text</leadKey></{tns}paramsGetLead>',
  ),
  'element inside a value': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyType><b>EMAIL</b></keyType></leadKey></{tns}paramsGetLead>',
  ),
  'unknown element': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyKind>EMAIL</keyKind></leadKey></{tns}paramsGetLead>',
  ),
  'unexpected attribute': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey color="red"><keyType>EMAIL</keyType></leadKey></{tns}paramsGetLead>',
  ),
  'child in a foreign namespace': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><x:leadKey xmlns:x="urn:other"><keyType>EMAIL</keyType></x:leadKey></{tns}paramsGetLead>',
  ),
  'params in a foreign namespace': styled(
    STYLES[0]!,
    '<x:paramsGetLead xmlns:x="urn:other"><leadKey/></x:paramsGetLead>',
  ),
  'xsi:type naming a schema type': styled(
    STYLES[3]!,
    '<{tns}paramsGetLead><leadKey xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType></leadKey></{tns}paramsGetLead>',
  ),
  'an operation not read here': styled(
    STYLES[0]!,
    '<{tns}paramsGetLeadActivity><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey></{tns}paramsGetLeadActivity>',
  ),
  'getMultipleLeads with a leadSelector': styled(
    STYLES[3]!,
    '<{tns}paramsGetMultipleLeads><leadSelector xsi:type="ns1:LeadKeySelector"><keyType>EMAIL</keyType><keyValues><stringItem>a@b</stringItem></keyValues></leadSelector></{tns}paramsGetMultipleLeads>',
  ),
  'two body elements': styled(STYLES[0]!, `${HOT_BODIES[0]}${HOT_BODIES[0]}`),
  'SOAP Fault in the body': styled(
    STYLES[0]!,
    '<SOAP-ENV:Fault><faultcode>x</faultcode></SOAP-ENV:Fault>',
  ),
  'WS-Security header': styled(
    STYLES[0]!,
    HOT_BODIES[0]!,
    '<wsse:Security xmlns:wsse="urn:wsse"><wsse:UsernameToken/></wsse:Security>',
  ),
  'CDATA holding an XML declaration': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyType><![CDATA[<?xml version="1.0"?><a>1</a>]]></keyType></leadKey></{tns}paramsGetLead>',
  ),
  'byte order mark': `\ufeff${styled(STYLES[0]!, HOT_BODIES[0]!)}`,
  'SOAP 1.2 envelope': styled(STYLES[0]!, HOT_BODIES[0]!).replace(
    ENV,
    'http://www.w3.org/2003/05/soap-envelope',
  ),
  'element named constructor': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><constructor>x</constructor></leadKey></{tns}paramsGetLead>',
  ),
  'unknown entity': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyType>&nbsp;</keyType></leadKey></{tns}paramsGetLead>',
  ),
  'control character': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><keyType>a\u0001</keyType></leadKey></{tns}paramsGetLead>',
  ),
  truncated: styled(STYLES[0]!, HOT_BODIES[0]!).slice(0, 300),
  'mismatched close tag': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey></leadkey></{tns}paramsGetLead>',
  ),
  'encodingStyle on the body': styled(STYLES[0]!, HOT_BODIES[0]!).replace(
    '<SOAP-ENV:Body>',
    '<SOAP-ENV:Body SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">',
  ),
  'a schema description key as an element': styled(
    STYLES[0]!,
    '<{tns}paramsGetLead><leadKey><targetNamespace>x</targetNamespace></leadKey></{tns}paramsGetLead>',
  ),
  'text in the envelope': styled(STYLES[0]!, HOT_BODIES[0]!).replace(
    '<SOAP-ENV:Body>',
    'stray<SOAP-ENV:Body>',
  ),
  'unqualified children in the envelope namespace': `<Envelope xmlns="${ENV}"><Body><m:paramsGetLead xmlns:m="${MKTOWS}"><leadKey><keyType>EMAIL</keyType></leadKey></m:paramsGetLead></Body></Envelope>`,
  'markup after the envelope': `${styled(STYLES[1]!, HOT_BODIES[0]!)}<!-- after -->`,
};
