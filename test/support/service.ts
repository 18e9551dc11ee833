import { expect } from 'chai';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { requestSignature } from '../../src/mktows/auth.js';
import type { TestEngine } from './database.js';

export const TEST_USER = { userId: 'test_user', encryptionKey: 'TESTKEY0123456789ABCDEF' };
/** USER_KEY_SECRET of the tests' services: PostgreSQL refuses to start without one. */
export const TEST_KEY_SECRET = 'test-user-key-secret-0123456789';

export interface TestService {
  engine: TestEngine['name'];
  base: string;
  /** The endpoint, e.g. http://127.0.0.1:PORT/soap/mktows/2_9 */
  url: string;
  wsdlUrl: string;
  running: Running;
  config: Config;
  stop(): Promise<void>;
}

/**
 * The service's config over a fresh database (`made`, its connection closed) for a test that
 * starts the service itself: a free port, no metrics listener, a known SOAP user; `env` adds to
 * the environment, `overrides` to what it gives.
 */
export function freshServiceConfig(
  made: { url: string; dataDir: string },
  env: Record<string, string> = {},
  overrides: Partial<Config> = {},
): Config {
  return loadConfig(
    {
      DATABASE_URL: made.url,
      DATA_DIR: made.dataDir || './data',
      PORT: '0',
      HOST: '127.0.0.1',
      METRICS_PORT: 'off',
      USER_KEY_SECRET: 'test user key secret',
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
      ...env,
    },
    overrides,
  );
}

/** The real service on a free port over a fresh database of the engine, with a known user. */
export async function startTestService(
  engine: TestEngine,
  overrides: Partial<Config> = {},
): Promise<TestService> {
  const made = await engine.create();
  // The fresh database is already migrated; the service opens its own connection to it.
  await made.db.close();
  const config = loadConfig(
    {
      DATABASE_URL: made.url,
      DATA_DIR: made.dataDir || './data',
      PORT: '0',
      HOST: '127.0.0.1',
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
      LOG_LEVEL: 'silent',
      // Any free port: many services run at once, and others may hold the default.
      METRICS_PORT: '0',
      ...(made.url ? { USER_KEY_SECRET: TEST_KEY_SECRET } : {}),
    },
    overrides,
  );
  const running = await start(config, createLogger('silent'));
  const base = `http://127.0.0.1:${running.port}`;
  return {
    engine: engine.name,
    base,
    url: `${base}/soap/mktows/2_9`,
    wsdlUrl: `${base}/soap/mktows/2_9?WSDL`,
    running,
    config,
    async stop() {
      await running.close();
      await made.drop();
    },
  };
}

/**
 * One test service for the whole suite (mocha hooks), handed to `opened`; stopped after the
 * suite.
 */
export function testServicePerSuite(
  engine: TestEngine,
  opened: (svc: TestService) => void,
  overrides: Partial<Config> = {},
): void {
  let svc: TestService | undefined;
  before(async () => {
    svc = await startTestService(engine, overrides);
    opened(svc);
  });
  after(async () => {
    await svc?.stop();
  });
}

export interface RawCallOptions {
  user?: { userId: string; encryptionKey: string } | null;
  timestamp?: string;
  signature?: string;
  soapAction?: string;
  extraHeaderXml?: string;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  body: string;
  contentType: string;
}

export function isoNow(offsetMs = 0): string {
  return new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The SOAP header a client computes: timestamp, user id and HMAC-SHA1 signature. */
export function authHeaderXml(opts: RawCallOptions = {}): string {
  const user = opts.user === undefined ? TEST_USER : opts.user;
  if (user === null) return '';
  const ts = opts.timestamp ?? isoNow();
  const sig = opts.signature ?? requestSignature(user.encryptionKey, ts, user.userId);
  return (
    '<ns1:AuthenticationHeader>' +
    `<mktowsUserId>${user.userId}</mktowsUserId><requestSignature>${sig}</requestSignature>` +
    `<requestTimestamp>${ts}</requestTimestamp></ns1:AuthenticationHeader>`
  );
}

export function envelope(bodyXml: string, opts: RawCallOptions = {}): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ' +
    'xmlns:ns1="http://www.marketo.com/mktows/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<SOAP-ENV:Header>${authHeaderXml(opts)}${opts.extraHeaderXml ?? ''}</SOAP-ENV:Header>` +
    `<SOAP-ENV:Body>${bodyXml}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

/** A getLead body: the lead of `email` (keyType EMAIL). */
export const getLeadByEmailXml = (email: string) =>
  `<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey></ns1:paramsGetLead>`;

/** A syncLead body of `email` alone, no lead asked back. */
export const syncEmailXml = (email: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

/** A syncLead body of `email`, with a FirstName when given, no lead asked back. */
export const syncFirstNameXml = (email: string, firstName?: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email>` +
  (firstName === undefined
    ? ''
    : `<leadAttributeList><attribute><attrName>FirstName</attrName><attrValue>${firstName}</attrValue></attribute></leadAttributeList>`) +
  '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>';

/** A getLeadActivity body for the lead of `email`, with `extra` members after its key. */
export const activityByEmailXml = (email: string, extra = '') =>
  `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${email}</keyValue></leadKey>${extra}</ns1:paramsGetLeadActivity>`;

/** A syncLead body of `email` whose Unsubscribed is `value` as written (true, 1, 0...), no lead asked back. */
export const syncUnsubscribedXml = (email: string, value: string) =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email><leadAttributeList><attribute>` +
  `<attrName>Unsubscribed</attrName><attrValue>${value}</attrValue>` +
  `</attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

/** POSTs a body element in a signed envelope, as a hand-written client would. */
export async function rawCall(
  url: string,
  bodyXml: string,
  opts: RawCallOptions = {},
): Promise<RawResponse> {
  return postXml(url, envelope(bodyXml, opts), opts);
}

export async function postXml(
  url: string,
  xml: string | Buffer,
  opts: RawCallOptions = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'Content-Type': 'text/xml; charset=utf-8',
    ...(opts.headers ?? {}),
  };
  if (opts.soapAction !== undefined) headers.SOAPAction = opts.soapAction;
  const res = await fetch(url, { method: 'POST', headers, body: xml });
  return {
    status: res.status,
    body: await res.text(),
    contentType: res.headers.get('content-type') ?? '',
  };
}

/** The vendor fault code in a fault body, or null. */
export function faultCode(body: string): number | null {
  const m = /<code>(\d+)<\/code>/.exec(body);
  return m ? Number(m[1]) : null;
}

/**
 * A contract fault: its HTTP status (500 unless said), vendor code and SOAP 1.1 faultcode, and
 * nothing of a stack trace (a file and line) in it.
 */
export function expectFault(res: RawResponse, code: number, status = 500): void {
  expect(res.status, res.body).to.equal(status);
  expect(faultCode(res.body), res.body).to.equal(code);
  expect(res.body).to.match(
    /<faultcode>SOAP-ENV:(Client|Server|VersionMismatch|MustUnderstand)<\/faultcode>/,
  );
  expect(res.body).to.not.match(/\bat .*\.(ts|js):\d+/);
}

/** Whether a lead with the address exists, asked over the endpoint (20103 when none does). */
export async function leadExists(url: string, email: string): Promise<boolean> {
  const r = await rawCall(url, getLeadByEmailXml(email));
  if (r.status === 200) return true;
  expect(faultCode(r.body), r.body).to.equal(20103);
  return false;
}

/** A call the endpoint must answer 200: the answer's body. */
export async function okCall(url: string, bodyXml: string): Promise<string> {
  const r = await rawCall(url, bodyXml);
  expect(r.status, r.body).to.equal(200);
  return r.body;
}
