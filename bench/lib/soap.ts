/** Envelopes as a legacy client sends them, and a plain keep-alive HTTP caller for timed calls. */
import http from 'node:http';
import { requestSignature } from '../../src/mktows/auth.js';
import { TEST_USER } from '../../test/support/service.js';

export const MKTOWS = 'http://www.marketo.com/mktows/';

function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** A signed envelope around a Body element; the timestamp is now (valid for 15 minutes). */
export function envelope(bodyXml: string): string {
  const ts = isoNow();
  const sig = requestSignature(TEST_USER.encryptionKey, ts, TEST_USER.userId);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ' +
    `xmlns:ns1="${MKTOWS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    '<SOAP-ENV:Header><ns1:AuthenticationHeader>' +
    `<mktowsUserId>${TEST_USER.userId}</mktowsUserId><requestSignature>${sig}</requestSignature>` +
    `<requestTimestamp>${ts}</requestTimestamp></ns1:AuthenticationHeader></SOAP-ENV:Header>` +
    `<SOAP-ENV:Body>${bodyXml}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function attributes(attrs: Record<string, string>): string {
  const items = Object.entries(attrs)
    .map(
      ([n, v]) =>
        `<attribute><attrName>${n}</attrName><attrValue>${escapeXml(v)}</attrValue></attribute>`,
    )
    .join('');
  return `<leadAttributeList>${items}</leadAttributeList>`;
}

export const getLeadByEmail = (email: string): string =>
  `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`;

export function syncLead(
  record: { id?: number; email?: string; attrs?: Record<string, string> },
  returnLead = false,
): string {
  return (
    '<ns1:paramsSyncLead><leadRecord>' +
    (record.id !== undefined ? `<Id>${record.id}</Id>` : '') +
    (record.email !== undefined ? `<Email>${record.email}</Email>` : '') +
    (record.attrs ? attributes(record.attrs) : '') +
    `</leadRecord><returnLead>${returnLead}</returnLead></ns1:paramsSyncLead>`
  );
}

export function syncMultipleLeads(
  records: Array<{ email: string; attrs?: Record<string, string> }>,
  dedup = true,
): string {
  const list = records
    .map(
      (r) =>
        `<leadRecord><Email>${r.email}</Email>${r.attrs ? attributes(r.attrs) : ''}</leadRecord>`,
    )
    .join('');
  return (
    `<ns1:paramsSyncMultipleLeads><leadRecordList>${list}</leadRecordList>` +
    `<dedupEnabled>${dedup}</dedupEnabled></ns1:paramsSyncMultipleLeads>`
  );
}

export function getLeadActivity(leadId: number, offset?: number, batchSize = 100): string {
  const start =
    offset !== undefined ? `<startPosition><offset>ID:${offset}</offset></startPosition>` : '';
  return (
    `<ns1:paramsGetLeadActivity><leadKey><keyType>IDNUM</keyType><keyValue>${leadId}</keyValue></leadKey>` +
    `${start}<batchSize>${batchSize}</batchSize></ns1:paramsGetLeadActivity>`
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

export interface CallResult {
  status: number;
  body: string;
  ms: number;
}

/**
 * One POST of an envelope; `ms` is the round trip as the client sees it. A kept-alive socket
 * the server closed while idle (after a long seeding step) fails before the request is read:
 * that one is sent again on a fresh socket, as Node's documentation advises.
 */
/** A plain form POST (the one-click scenario's sample call). */
export async function postForm(
  url: string,
  contentType: string,
  body: string,
): Promise<CallResult> {
  const started = process.hrtime.bigint();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  const text = await res.text();
  return { status: res.status, body: text, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

export async function post(url: string, operation: string, xml: string): Promise<CallResult> {
  try {
    return await postOnce(url, operation, xml);
  } catch (error) {
    if ((error as { reusedSocket?: boolean }).reusedSocket) return postOnce(url, operation, xml);
    throw error;
  }
}

function postOnce(url: string, operation: string, xml: string): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'text/xml; charset=utf-8',
          SOAPAction: `"${MKTOWS}${operation}"`,
          'Content-Length': Buffer.byteLength(xml),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error: Error & { code?: string }) => {
      const stale =
        req.reusedSocket && (error.code === 'ECONNRESET' || /hang up/.test(error.message));
      reject(Object.assign(error, { reusedSocket: stale }));
    });
    req.end(xml);
  });
}

/** How long a call refused for the user's concurrency limit (20024) waits before trying again. */
const BUSY_RETRY_MS = 250;

/**
 * A call that must succeed; throws with the fault text otherwise. A refusal for the user's
 * concurrency limit (20024) is tried again for up to a minute, as a client of the vendor's API
 * did: a load phase's last calls, their clients gone, still hold their places until their work
 * ends, and the harness's next call can arrive before they have.
 */
export async function call(url: string, operation: string, bodyXml: string): Promise<CallResult> {
  let r = await post(url, operation, envelope(bodyXml));
  for (let waited = 0; r.status === 500 && faultCodeOf(r.body) === 20024 && waited < 60000;) {
    await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
    waited += BUSY_RETRY_MS;
    r = await post(url, operation, envelope(bodyXml));
  }
  if (r.status !== 200) {
    throw new Error(`${operation} answered HTTP ${r.status}: ${r.body.slice(0, 400)}`);
  }
  return r;
}

function faultCodeOf(body: string): number | null {
  const m = /<code>(\d+)<\/code>/.exec(body);
  return m ? Number(m[1]) : null;
}

/** Lead ids from a syncMultipleLeads answer, in record order (FAILED records throw). */
export function syncedIds(body: string): number[] {
  const ids: number[] = [];
  for (const m of body.matchAll(/<syncStatus><leadId>(\d+)<\/leadId><status>(\w+)<\/status>/g)) {
    if (m[2] === 'FAILED') throw new Error(`a seed record failed: ${body.slice(0, 400)}`);
    ids.push(Number(m[1]));
  }
  return ids;
}

export function closeAgent(): void {
  agent.destroy();
}
