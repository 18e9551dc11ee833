import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import type { CommandIo } from '../../src/cli/operators.command.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { OperatorSessionRepository } from '../../src/data-access/operator-session.repository.js';
import { OperatorRepository } from '../../src/data-access/operator.repository.js';
import type { Config } from '../../src/config.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { OperatorService, type OperatorCredential } from '../../src/domain/operator.service.js';
import type { Services } from '../../src/domain/services.js';
import type { TestEngine } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

export const ALICE: OperatorCredential = { name: 'alice', password: 'correct horse battery' };

export interface Reply {
  status: number;
  location: string | null;
  setCookies: string[];
  body: string;
}

/** A browser-less client of the /admin pages that keeps its cookies, as a browser would. */
export class AdminClient {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** The Cookie header this client sends: every cookie it keeps. */
  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(path: string): Promise<Reply> {
    return this.send('GET', path);
  }

  /** A form's fields; URLSearchParams for a field sent more than once. */
  post(path: string, form: Record<string, string> | URLSearchParams): Promise<Reply> {
    return this.send('POST', path, new URLSearchParams(form).toString());
  }

  /** Logs in through the form; remembers the session's CSRF token from the next page. */
  async logIn(credential: OperatorCredential = ALICE): Promise<Reply> {
    let form = await this.get('/admin/login');
    if (form.status === 303) {
      // Logged in already, which leads past the form: the form of a tab opened before then.
      const sessions = [...this.cookies].filter(([k]) => k.endsWith('du_admin_session'));
      for (const [k] of sessions) this.cookies.delete(k);
      form = await this.get('/admin/login');
      for (const [k, v] of sessions) this.cookies.set(k, v);
    }
    const reply = await this.post('/admin/login', {
      _csrf: csrfOf(form.body),
      name: credential.name,
      password: credential.password,
      next: '/admin/',
    });
    if (reply.status === 303) this.csrf = csrfOf((await this.get('/admin/')).body);
    return reply;
  }

  private async send(method: string, path: string, body?: string): Promise<Reply> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookies.size > 0) headers.Cookie = this.cookieHeader;
    if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      setCookies,
      body: await res.text(),
    };
  }
}

/**
 * What an operator sends from a person page's Unsubscribed form: the box (left unticked, it is
 * absent from the form, as a browser sends it), the reason, whether it is the confirmed post
 * (the first asks for a confirmation) and the tick that lifts a protected reason.
 */
export interface PersonFlagForm {
  unsubscribed: boolean;
  reason?: string;
  /** Default true: the post of the confirmation page. */
  confirm?: boolean;
  liftProtected?: boolean;
}

/** Posts a person page's Unsubscribed form with the client's session token. */
export function postPersonFlag(
  client: AdminClient,
  id: number,
  form: PersonFlagForm,
): Promise<Reply> {
  return client.post(`/admin/people/${id}/unsubscribed`, {
    _csrf: client.csrf,
    ...(form.unsubscribed ? { unsubscribed: 'true' } : {}),
    reason: form.reason ?? '',
    ...(form.confirm === false ? {} : { confirm: 'yes' }),
    ...(form.liftProtected ? { liftProtected: 'yes' } : {}),
  });
}

export function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m?.[1]) throw new Error('no CSRF field on the page');
  return m[1];
}

/** An OperatorService of its own over the service's database, as the CLI would make. */
export function operatorServiceFor(
  config: Config,
  now?: () => number,
): { operators: OperatorService; db: Database } {
  const db = openDatabase(config);
  const operators = new OperatorService(
    new OperatorRepository(db.knex),
    new OperatorSessionRepository(db.knex),
    config.adminUsers,
    {
      sessionHours: config.adminSessionHours,
      idleMinutes: config.adminSessionIdleMinutes,
      sessionsPerOperator: config.adminSessionsPerOperator,
      now,
    },
  );
  return { operators, db };
}

/**
 * Standard streams of an operators command run in this process, `input` piped in; what it
 * wrote to each (`output`: both, in the order written).
 */
export function operatorsCommandIo(
  input = '',
): CommandIo & { out(): string; err(): string; output(): string } {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  let both = '';
  stdout.on('data', (c: Buffer) => ((out += c.toString()), (both += c.toString())));
  stderr.on('data', (c: Buffer) => ((err += c.toString()), (both += c.toString())));
  return {
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    out: () => out,
    err: () => err,
    output: () => both,
  };
}

/**
 * For each test (mocha hooks): a service with ALICE as its operator, and an OperatorService of
 * its own over the service's database (as the CLI makes one), handed to `opened`; both closed
 * after the test.
 */
export function operatorsCliPerTest(
  engine: TestEngine,
  opened: (made: { svc: TestService; cli: ReturnType<typeof operatorServiceFor> }) => void,
): void {
  let made: { svc: TestService; cli: ReturnType<typeof operatorServiceFor> } | undefined;
  beforeEach(async () => {
    made = undefined;
    const svc = await startTestService(engine, { adminUsers: [ALICE] });
    made = { svc, cli: operatorServiceFor(svc.config) };
    opened(made);
  });
  afterEach(async () => {
    await made?.cli.db.close();
    await made?.svc.stop();
  });
}

/** A multipart upload through the import form, with the client's cookies (`csrf` null: none). */
export async function upload(
  client: AdminClient,
  csv: string | Uint8Array,
  csrf: string | null,
  fileName = 'list.csv',
): Promise<{ status: number; location: string | null; body: string }> {
  const form = new FormData();
  if (csrf !== null) form.append('_csrf', csrf);
  form.append('file', new Blob([csv], { type: 'text/csv' }), fileName);
  const res = await fetch(`${client.base}/admin/suppressions/import`, {
    method: 'POST',
    body: form,
    headers: { Cookie: client.cookieHeader },
    redirect: 'manual',
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/** An upload through the import form that is accepted (303), and its import settled. */
export async function uploadSettled(
  client: AdminClient,
  services: Services,
  csv: string | Uint8Array,
  fileName?: string,
): Promise<{ id: number; location: string }> {
  const reply = await upload(client, csv, client.csrf, fileName);
  expect(reply.status, reply.body).to.equal(303);
  const id = Number(/imports\/(\d+)$/.exec(reply.location!)![1]);
  await services.suppressionImports.settled(id);
  return { id, location: reply.location! };
}

/**
 * For each test (mocha hooks): a service with ALICE as its operator (and `settings`), and a
 * client logged in as her, handed to `opened` (before the log-in); the service stopped after
 * the test.
 */
export function consolePerTest(
  engine: TestEngine,
  opened: (console: { svc: TestService; services: Services; client: AdminClient }) => void,
  settings: Partial<Config> = {},
): void {
  let svc: TestService | undefined;
  beforeEach(async () => {
    svc = undefined;
    svc = await startTestService(engine, { adminUsers: [ALICE], ...settings });
    const client = new AdminClient(svc.base);
    opened({ svc, services: svc.running.services, client });
    await client.logIn();
  });
  afterEach(() => svc?.stop());
}

/**
 * For each test (mocha hooks): a service with ALICE as its operator (three failed logins per
 * address allowed) and Ann's address held twice (seedAddress), handed to `opened`; the service
 * stopped after the test.
 */
export function addressPerTest(
  engine: TestEngine,
  opened: (page: { svc: TestService; services: Services; ids: { a: number; b: number } }) => void,
): void {
  let svc: TestService | undefined;
  beforeEach(async () => {
    svc = undefined;
    svc = await startTestService(engine, { adminUsers: [ALICE], adminLoginMaxFailures: 3 });
    const services = svc.running.services;
    opened({ svc, services, ids: await seedAddress(services) });
  });
  afterEach(() => svc?.stop());
}

/** Text that would be markup, a broken attribute or an entity if a page echoed it unescaped. */
export const EVIL = `<script>alert(1)</script>"'&`;

/** Waits (up to 20 s) until `check` answers true. */
export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Uploads `csv` through the page and waits for its import to end; the job's id and page. */
export async function importThroughPage(
  client: AdminClient,
  services: Services,
  csv: string | Uint8Array,
  fileName?: string,
) {
  const { id, location } = await uploadSettled(client, services, csv, fileName);
  await until(
    async () => (await services.suppressionImports.status(id)).job.state !== 'running',
    'the import',
  );
  return { id, location };
}

/** Ann's address held twice: in Default (subscribed), and in East unsubscribed (which both follow). */
export async function seedAddress(services: Services) {
  const web = ChangePaths.webService();
  const a = await services.leads.sync(
    { email: 'ann@example.com', attributes: [{ name: 'FirstName', value: 'Ann' }] },
    { path: web },
  );
  const b = await services.leads.sync(
    { email: 'ANN@Example.com ', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
    { path: web, partition: 'East', matchByEmail: false },
  );
  return { a: a.leadId, b: b.leadId };
}

/** The Unsubscribed flags of the people on Ann's address, by id. */
export async function addressFlags(services: Services): Promise<boolean[]> {
  const leads = await services.leads.find({ keyType: 'EMAIL', keyValue: 'ann@example.com' });
  return leads.sort((x, y) => x.id - y.id).map((l) => l.unsubscribed);
}

/** The hidden fields of the one form posting to `action` on `page`, with `typed` beside them. */
export function formOf(
  page: string,
  action: string,
  typed: Record<string, string> = {},
): Record<string, string> {
  const forms = page.match(/<form method="post" action="[^"]*"[\s\S]*?<\/form>/g) ?? [];
  const form = forms.filter((f) => f.includes(`action="${action}"`));
  expect(form, `the form posting to ${action}`).to.have.length(1);
  const fields: Record<string, string> = { ...typed };
  for (const m of form[0]!.matchAll(/<input\s+type="hidden"\s+name="([^"]+)"\s+value="([^"]*)"/g))
    fields[m[1]!] = m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  return fields;
}

/** The fields the address page's status form posts, as a browser would send them. */
export function statusFormOf(page: string, reason: string): Record<string, string> {
  return formOf(page, '/admin/address/status', { reason });
}
