import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Config } from '../../src/config.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { LinkTokens, type LinkKey } from '../../src/one-click/link-token.js';
import type { TestEngine } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

export const KEY_1: LinkKey = { id: 'k1', secret: 'link-secret-one-0123456789abcdefghijkl' };
export const KEY_2: LinkKey = { id: 'k2', secret: 'link-secret-two-0123456789abcdefghijkl' };
export const MAX_AGE_DAYS = 120;

export interface LinkService extends TestService {
  services: Services;
  /** Tokens as a sender holding the service's current key makes them. */
  tokens: LinkTokens;
  linkUrl(email: string, options?: { list?: string; issuedAt?: number }): string;
}

/** The real service with unsubscribe links on (current key k1 unless overridden). */
export async function startLinkService(
  engine: TestEngine,
  overrides: Partial<Config> = {},
): Promise<LinkService> {
  const svc = await startTestService(engine, {
    unsubscribeLinkSecret: KEY_1.secret,
    unsubscribeLinkKeyId: KEY_1.id,
    unsubscribeLinkMaxAgeDays: MAX_AGE_DAYS,
    ...overrides,
  });
  const tokens = new LinkTokens(
    {
      // With links off, tokens a sender would have made before.
      current: svc.config.unsubscribeLinkSecret
        ? { id: svc.config.unsubscribeLinkKeyId, secret: svc.config.unsubscribeLinkSecret }
        : KEY_1,
      retired: [],
    },
    MAX_AGE_DAYS * 86400,
  );
  return {
    ...svc,
    services: svc.running.services,
    tokens,
    linkUrl: (email, options) => `${svc.base}/u/${tokens.create(email, options)}`,
  };
}

export interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** The mailbox provider's POST, urlencoded, exactly as RFC 8058 shows it. */
export async function oneClick(url: string, body = 'List-Unsubscribe=One-Click'): Promise<Answer> {
  return answer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    }),
  );
}

export async function oneClickMultipart(url: string, value = 'One-Click'): Promise<Answer> {
  const form = new FormData();
  form.set('List-Unsubscribe', value);
  return answer(await fetch(url, { method: 'POST', body: form, redirect: 'manual' }));
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { headers, redirect: 'manual' }));
}

export async function postForm(url: string, fields: Record<string, string>): Promise<Answer> {
  return answer(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    }),
  );
}

export async function historyOf(services: Services, email: string) {
  return (await services.durableStatus.explain(email)).history;
}

/**
 * One link service (links of the retired key k2 still honoured) for the whole suite (mocha
 * hooks), handed to `opened`; stopped after the suite.
 */
export function linkServicePerSuite(engine: TestEngine, opened: (svc: LinkService) => void): void {
  let svc: LinkService | undefined;
  before(async () => {
    svc = await startLinkService(engine, { unsubscribeLinkOldKeys: [KEY_2] });
    opened(svc);
  });
  after(async () => {
    await svc?.stop();
  });
}

/** Two people of `email` in two partitions (their ids), and a third person elsewhere. */
export async function addressPeople(svc: LinkService, email: string): Promise<number[]> {
  const web = ChangePaths.webService();
  const ids: number[] = [];
  ids.push((await svc.services.leads.sync({ email }, { path: web })).leadId);
  ids.push(
    (
      await svc.services.leads.sync(
        { email: ` ${email.toUpperCase()}` },
        { path: web, partition: 'East', matchByEmail: false },
      )
    ).leadId,
  );
  await svc.services.leads.sync({ email: `other-${email}` }, { path: web });
  return ids;
}

/** The one-click answer RFC 8058 wants: 200, a tiny body, no redirect, no cookie, not cached. */
export function expectTinyOneClickAnswer(a: Answer): void {
  expect(a.status).to.equal(200);
  expect(a.body).to.equal('Unsubscribed.\n');
  expect(a.headers.get('location')).to.equal(null);
  expect(a.headers.get('set-cookie')).to.equal(null);
  expect(a.headers.get('cache-control')).to.equal('no-store');
}

/**
 * A token of KEY_1 as a sender's own pipeline seals it by the recipe of docs/one-click.md,
 * from what it was given as it was given: an address with its list's line end, a date in
 * milliseconds (Java's currentTimeMillis(), JavaScript's Date.now()), a list name of any text.
 */
export function sealedBySender(
  email: string,
  issuedAt = Math.floor(Date.now() / 1000),
  list = '',
): string {
  return sealedBytesBySender(Buffer.from(`${issuedAt}\n${list}\n${email}`, 'utf8'));
}

/**
 * A token of KEY_1 sealing `plain` as it is: bytes a sender's pipeline wrote in another
 * encoding than the recipe's UTF-8 (a Latin-1 address, say).
 */
export function sealedBytesBySender(plain: Buffer): string {
  const key = crypto.createHmac('sha256', KEY_1.secret).update('durable-unsubscribe/link/v1');
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.digest(), nonce);
  cipher.setAAD(Buffer.from(`1.${KEY_1.id}`));
  const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return `1.${KEY_1.id}.${sealed.toString('base64url')}`;
}
