import { expect } from 'chai';
import type { CustomFieldDeclaration } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/data-access/database.js';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { ChangePaths, type ChangePath } from '../../src/domain/change-paths.js';
import type { LeadView } from '../../src/domain/lead.types.js';
import { createServices, type Services } from '../../src/compose.js';
import { AppError, type ErrorCode } from '../../src/errors.js';
import { CONTENDED_ACQUIRE_TIMEOUT_MS, type TestEngine } from './database.js';

export const web = ChangePaths.webService();

/** A clock the test moves: every reading is 1 ms after the previous one unless set. */
export class TestClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.t++;
  set(ms: number): void {
    this.t = ms;
  }
}

export interface Harness {
  engine: TestEngine;
  db: Database;
  url: string;
  dataDir: string;
  clock: TestClock;
  services: Services;
  /** Another Database object (another pool, or another SQLite connection) on the same data. */
  openAnother(clock?: () => number, options?: { sqliteReadThreads?: number }): Services;
  drop(): Promise<void>;
}

/** A fresh migrated database of `engine`, domain services on a controlled clock. */
export async function openHarness(
  engine: TestEngine,
  customFields: CustomFieldDeclaration[] = [],
): Promise<Harness> {
  const made = await engine.create();
  const clock = new TestClock();
  const config = { customFields, defaultPartition: 'Default' };
  const others: Database[] = [];
  return {
    engine,
    db: made.db,
    url: made.url,
    dataDir: made.dataDir,
    clock,
    services: createServices(made.db, config, { now: clock.now }),
    openAnother(now, options = {}) {
      const db = openDatabase({
        databaseUrl: made.url,
        dataDir: made.dataDir,
        sqliteBusyTimeoutMs: 10000,
        dbPoolMax: 5,
        dbAcquireTimeoutMs: CONTENDED_ACQUIRE_TIMEOUT_MS,
        ...options,
      });
      others.push(db);
      return createServices(db, config, now ? { now } : {});
    },
    async drop() {
      for (const db of others) await db.close();
      await made.drop();
    },
  };
}

export interface RowCounts {
  leads: number;
  activities: number;
  emailStatus: number;
  history: number;
}

export async function rowCounts(db: Database): Promise<RowCounts> {
  const count = async (table: string) => {
    const [row] = (await db.knex(table).count({ n: '*' })) as Array<{ n: number | string }>;
    return Number(row?.n ?? 0);
  };
  return {
    leads: await count('leads'),
    // The log: whole activities and the people who followed a propagation (propagation-log.ts).
    activities: (await count('activities')) + (await count('activity_followers')),
    emailStatus: await count('email_status'),
    history: await count('email_status_history'),
  };
}

/** Every lead, email-status and history row, to show that a failed call changed nothing at all. */
export async function snapshot(db: Database): Promise<unknown> {
  const rows = (table: string) =>
    db
      .knex(table)
      .select('*')
      .orderBy(table === 'email_status' ? 'email_key' : 'id');
  return {
    leads: await rows('leads'),
    status: await rows('email_status'),
    history: await rows('email_status_history'),
    activities: await rows('activities'),
    followers: await rows('activity_followers'),
    events: await rows('propagation_events'),
  };
}

export const idKey = (id: number) => ({ keyType: 'IDNUM' as const, keyValue: String(id) });
export const emailKeyOf = (email: string) => ({ keyType: 'EMAIL' as const, keyValue: email });

export async function getLead(services: Services, id: number): Promise<LeadView> {
  const [lead] = await services.leads.find(idKey(id));
  if (!lead) throw new Error(`lead ${id} missing`);
  return lead;
}

export async function flags(services: Services, ids: readonly number[]): Promise<boolean[]> {
  return Promise.all(ids.map(async (id) => (await getLead(services, id)).unsubscribed));
}

/** The flags of every person stored with `email`, in the order the lookup returns them. */
export async function flagsByEmail(services: Services, email: string): Promise<boolean[]> {
  return (await services.leads.find({ keyType: 'EMAIL', keyValue: email })).map(
    (l) => l.unsubscribed,
  );
}

/** A lead's activities, newest first (one page is enough for these tests). */
export async function activitiesOf(services: Services, id: number): Promise<ActivityView[]> {
  return (await services.activities.listForLead(idKey(id), { batchSize: 100 })).activities;
}

export function attr(activity: ActivityView | undefined, name: string): string | undefined {
  return activity?.attributes.find(([n]) => n === name)?.[1];
}

export /** The attributes a Change Data Value of the Unsubscribed flag must carry, in order. */
function flagChange(leadId: number, from: boolean, to: boolean, reason: string, source: string) {
  return [
    ['Attribute Name', 'Unsubscribed'],
    ['Old Value', String(from)],
    ['New Value', String(to)],
    ['Reason', reason],
    ['Source', source],
    ['Lead ID', String(leadId)],
  ];
}

/** Creates a lead; `matchByEmail: false` so duplicates of an address are really created. */
/** `n` addresses `<name><i>@<domain>`, each held by one new person. */
export async function leadAddresses(
  services: Services,
  name: string,
  domain: string,
  n: number,
): Promise<string[]> {
  const all = Array.from({ length: n }, (_, i) => `${name}${i}@${domain}`);
  for (const a of all) await createLead(services, a);
  return all;
}

export async function createLead(
  services: Services,
  email: string | null,
  options: {
    partition?: string;
    unsubscribed?: boolean;
    foreignId?: string;
    path?: ChangePath;
  } = {},
): Promise<number> {
  const attributes =
    options.unsubscribed === undefined
      ? []
      : [{ name: 'Unsubscribed', value: String(options.unsubscribed) }];
  const result = await services.leads.sync(
    {
      ...(email === null ? {} : { email }),
      ...(options.foreignId ? { foreignSysPersonId: options.foreignId } : {}),
      attributes:
        email === null && !options.foreignId && attributes.length === 0
          ? [{ name: 'FirstName', value: 'N' }]
          : attributes,
    },
    { path: options.path ?? web, partition: options.partition, matchByEmail: false },
  );
  expect(result.status).to.equal('CREATED');
  return result.leadId;
}

export async function setFlag(
  services: Services,
  id: number,
  unsubscribed: boolean,
  path: ChangePath = web,
) {
  return services.leads.sync(
    { id, attributes: [{ name: 'Unsubscribed', value: String(unsubscribed) }] },
    { path },
  );
}

/** An opt-out of the address by syncLead with the reason its caller gave. */
export async function optOutWithReason(
  services: Services,
  email: string,
  reason: string,
  path: ChangePath = web,
) {
  return services.leads.sync(
    {
      email,
      attributes: [
        { name: 'Unsubscribed', value: 'true' },
        { name: 'UnsubscribedReason', value: reason },
      ],
    },
    { path },
  );
}

/** Awaits a call that must fail with an AppError of `code`; returns the error. */
export async function expectAppError(
  call: Promise<unknown> | (() => unknown),
  code: ErrorCode,
): Promise<AppError> {
  let caught: unknown;
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected AppError ${code}`).to.be.instanceOf(AppError);
  expect((caught as AppError).code).to.equal(code);
  return caught as AppError;
}

export async function expectNoViolations(services: Services): Promise<void> {
  expect(await services.durableStatus.findViolations()).to.deep.equal([]);
}

/**
 * An operator's confirmed lift of the address, which a Salesforce record reported opted out
 * beneath the suppression it lifts: the lift must show that opt-out (`salesforce_beneath`)
 * and leave the address and everyone holding it unsubscribed.
 */
export async function expectLiftShowsSalesforceBeneath(
  services: Services,
  email: string,
): Promise<void> {
  const lift = await services.durableStatus.setAddressStatus({
    address: email,
    unsubscribed: false,
    path: { ...ChangePaths.addressStatus('alice'), operator: true },
    reason: 'Resolved',
    confirmProtected: true,
  });
  expect(lift.outcome, 'the Salesforce opt-out beneath is shown').to.equal('salesforce_beneath');
  const report = await services.durableStatus.explain(email);
  expect(report.status?.unsubscribed, 'the acknowledged opt-out holds').to.equal(true);
  for (const lead of report.leads) expect(lead.unsubscribed).to.equal(true);
  await expectNoViolations(services);
}

/**
 * A harness for a whole suite (mocha hooks): opened before its tests and handed to `opened`,
 * dropped after them, and after every passing test the invariant is checked (every person
 * with an address agrees with its master status).
 */
export function harnessPerSuite(engine: TestEngine, opened: (h: Harness) => void): void {
  let harness: Harness | undefined;
  before(async () => {
    harness = await openHarness(engine);
    opened(harness);
  });
  after(() => harness?.drop());
  afterEach(async function () {
    if (harness && this.currentTest?.state === 'passed') await expectNoViolations(harness.services);
  });
}

/**
 * Services over a fresh database of the engine for a whole suite (mocha hooks), reading the
 * time from `now`: handed to `opened` with the database made for them, dropped after the suite.
 */
export function servicesPerSuite(
  engine: TestEngine,
  now: () => number,
  opened: (services: Services, made: Awaited<ReturnType<TestEngine['create']>>) => void,
): void {
  let made: Awaited<ReturnType<TestEngine['create']>> | undefined;
  before(async () => {
    made = await engine.create();
    opened(
      createServices(made.db, { customFields: [], defaultPartition: 'Default' }, { now }),
      made,
    );
  });
  after(async () => {
    await made?.drop();
  });
}
