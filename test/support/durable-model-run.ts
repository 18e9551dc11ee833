/**
 * The driver of test/integration/durable-model.test.ts: one seed's run (its random choices, the
 * model, the log of what it did, the comparison with the store). The requests it sends are
 * built in durable-model-requests.ts.
 */
import { domainToASCII } from 'node:url';
import { expect } from 'chai';
import type { Knex } from 'knex';
import type { ActivityView } from '../../src/domain/activity.service.js';
import { ALICE } from '../admin/support.js';
import { startLinkService, type LinkService } from '../one-click/support.js';
import { id18 } from '../../src/formats/salesforce-id.js';
import { contactRecordId, leadRecordId, ORG_ID, PATH_SECRET } from '../salesforce/support.js';
import type { TestEngine } from './database.js';
import { isProtected, Model, Refused, type MLead, type PageRef } from './durable-model.js';
import { comparableLogs, loggedChangesOf } from './durable-model-log.js';
import { checkKept, JOINED_ADDRESSES, keepOptOuts } from './durable-model-kept.js';
import { seeded } from './seeded.js';
import { workspace } from './durable-model-requests.js';
import { faultCode, rawCall, TEST_USER } from './service.js';

/**
 * Spellings of one address: case, surrounding blanks, a quoted local part with the domain's
 * trailing dot, the domain in Punycode or with ideographic full stops (one mailbox:
 * email-key.ts), and for zoë its NFC and NFD forms; with `compatibility`, the domain's
 * compatibility forms too (compatibilitySpellings).
 */
export function spellings(local: string, domain: string, compatibility = false): string[] {
  const at = `${local}@${domain}`;
  const out = [
    at,
    at.toUpperCase(),
    ` ${local[0]!.toUpperCase()}${local.slice(1)}@${domain.toUpperCase()} `,
    `"${local}"@${domain}.`,
    `${local}@${domainToASCII(domain)}`,
    `${local}@${domain.replace(/\./g, '\u3002')}`,
  ];
  if (at.normalize('NFD') !== at) out.push(at.normalize('NFD'), at.toUpperCase().normalize('NFD'));
  if (compatibility) out.push(...compatibilitySpellings(local, domain));
  return out;
}

/**
 * Spellings of one address's domain that IDNA maps to it (UTS #46: NFKC and a case fold, the
 * marks it ignores dropped): mathematical and circled letters, full-width letters and stops, a
 * superscript digit, a variation selector. The local part is left as it is (not mapped).
 */
export function compatibilitySpellings(local: string, domain: string): string[] {
  const fullWidth = (t: string) =>
    t.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x21 + 0xff01));
  return [
    `${local}@${domain.replace(/e/g, '\u{1d41e}')}`,
    `${local}@${domain.replace('b', '\u24d1').replace('x', '\u24cd')}`,
    `${local}@${fullWidth(domain)}`,
    `${local}@${domain.replace('1', '\u00b9').replace('2', '\u00b2').replace('3', '\u00b3')}`,
    `${local}@${domain.replace('b', 'b\ufe0f').toUpperCase()}.`,
  ];
}

/**
 * Who an unsubscribed status says made it, as its source names the path: Salesforce's own, a
 * person's by one of their own paths (the web service, a link), or an operator's or an
 * import's. Later rules read it (a late untick lifts Salesforce's own only; a person's opt-out
 * takes an operator's or Salesforce's over; an operator's lift looks beneath all but
 * Salesforce's), so two orders of a pair that end alike in every other respect are told apart
 * by it, and the run goes on from the one the store took.
 */
function madeBy(source: string): 'salesforce' | 'person' | 'other' {
  const named = (p: string) => source === p || source.startsWith(`${p} (`);
  if (named('Salesforce')) return 'salesforce';
  return ['Web service API', 'Unsubscribe link'].some(named) ? 'person' : 'other';
}

/**
 * A model's whole state, to keep one of the models that are the same (the suites that try each
 * order of the operations sent at once keep every model the store agrees with).
 */
export const stateOf = (m: Model): string =>
  JSON.stringify(
    [m.leads, m.master, m.kept, m.reported, m.appliedAt, m.reportedAt, m.subscribedAt].map(
      (map) => [...map.entries()],
    ),
  ) + JSON.stringify(m.log);

/** One line of a suppression list a run imports. */
export interface SuppressionLine {
  email: string;
  reason: string | undefined;
  date: string | undefined;
  /** The list's source column: any text, another path's name too (an import's all the same). */
  source?: string;
}

/**
 * Sources a list's line may give: none, a list's own name, and other paths' names as their
 * master statuses are written (Salesforce's, an export's line of it, a link page's).
 */
const LIST_SOURCES = [
  undefined,
  undefined,
  'Newsletter',
  'Salesforce',
  `Salesforce (${ORG_ID})`,
  'Unsubscribe link (link 0123456789abcdef, page)',
];

/** A SOAP user confined to the East partition. */
export const EAST = { userId: 'east_feed', encryptionKey: 'EASTKEY0123456789ABCDEF' };

/**
 * The service the model suites run against (durable-model, its cross pairs and trios): the
 * console with ALICE, the Salesforce listener for ORG_ID, links without a rate limit and
 * TEST_USER allowed everything. With `east`, the user confined to East (EAST) too, and a
 * workspace East's calls may name instead of the partition.
 */
export function startModelService(
  engine: TestEngine,
  { east }: { east: boolean },
): Promise<LinkService> {
  return startLinkService(engine, {
    adminUsers: [ALICE],
    salesforceOrgIds: [ORG_ID],
    salesforcePathSecret: PATH_SECRET,
    // A long run follows more links than a client may in a minute.
    unsubscribeRateLimit: 0,
    // East's calls name it by its partition's name or by this workspace's, in any case.
    ...(east ? { workspacePartitions: { 'Eastern Region': 'East' } } : {}),
    mktowsUsers: [
      { ...TEST_USER, permissions: { readOnly: false, mayDelete: true, partitions: null } },
      ...(east
        ? [{ ...EAST, permissions: { readOnly: false, mayDelete: true, partitions: ['East'] } }]
        : []),
    ],
  });
}

/** An operation of a run, and how often it is drawn. */
export type Operation = [weight: number, run: () => Promise<void>];

/** One seed's run: its choices, the model, and the store to compare it with. */
export class ModelRun {
  readonly random: () => number;
  /**
   * The sources of a run's list lines and the workspace names of its calls: drawn apart, so
   * the other choices of a seed stay.
   */
  private readonly sourceRandom: () => number;
  readonly domain: string;
  readonly sfRecords: string[];
  readonly db: Knex;
  model = new Model();
  readonly pages: Array<{ email: string; ref: PageRef }> = [];
  readonly log: string[] = [];
  fids = 0;
  notes: number;
  private readonly addresses: string[][];

  private constructor(
    readonly svc: LinkService,
    readonly seed: number,
    /** Each seed's people are the ones created after it: ids only grow. */
    readonly startId: number,
    /** And its activities, the ones after this one. */
    readonly startActivity: number,
    /** The addresses are spelled in their domain's compatibility forms too. */
    compatibility: boolean,
    /** Addresses whose domains hold 'ß', 'ς', 'ı' or 'İ' and their joined spellings too. */
    readonly joined: boolean,
  ) {
    this.random = seeded(seed * 7919);
    this.sourceRandom = seeded(seed * 7919 + 1);
    this.domain = `s${seed}.bücher.example`;
    this.addresses = ['ann', 'bob', 'zoë'].map((l) => spellings(l, this.domain, compatibility));
    if (joined)
      for (const [local, domains] of JOINED_ADDRESSES)
        for (const d of domains) this.addresses.push(spellings(local, `s${seed}.${d}`));
    this.sfRecords = [
      ...[1, 2].map((i) => leadRecordId(seed * 100 + i)),
      contactRecordId(seed * 100 + 3),
      id18(`001${String(seed * 100 + 4).padStart(12, '0')}`),
    ];
    this.db = svc.running.database.knex;
    this.notes = seed * 1000;
  }

  static async open(
    svc: LinkService,
    seed: number,
    compatibility = false,
    joined = false,
  ): Promise<ModelRun> {
    const db = svc.running.database.knex;
    const [highest] = (await db('leads').max({ m: 'id' })) as Array<{ m: number | null }>;
    const [activity] = (await db('activities').max({ m: 'id' })) as Array<{ m: number | null }>;
    const [people, activities] = [Number(highest?.m ?? 0), Number(activity?.m ?? 0)];
    return new ModelRun(svc, seed, people, activities, compatibility, joined);
  }

  /** Whether `key` is an address of this run: its domains are all `s<seed>.` something. */
  readonly ours = (key: string): boolean =>
    key.slice(key.lastIndexOf('@') + 1).startsWith(`s${this.seed}.`);

  /** The run starts from opt-outs kept under joined keys (durable-model-kept.ts). */
  readonly keepOptOuts = (): Promise<void> => keepOptOuts(this);

  readonly pick = <T>(xs: readonly T[]): T => xs[Math.floor(this.random() * xs.length)]!;
  readonly chance = (p: number): boolean => this.random() < p;
  readonly anySpelling = (): string => this.pick(this.pick(this.addresses));
  readonly reasonOrNone = () => this.pick([undefined, undefined, 'complaint', 'bounced']);
  /**
   * A suppression list of one to three lines: any spelling, a reason or none, an old date, a
   * source or none.
   */
  readonly suppressionList = (): SuppressionLine[] =>
    Array.from({ length: 1 + Math.floor(this.random() * 3) }, () => {
      const source = LIST_SOURCES[Math.floor(this.sourceRandom() * LIST_SOURCES.length)];
      return {
        email: this.anySpelling(),
        reason: this.reasonOrNone(),
        date: this.chance(0.4) ? '2020-01-01' : undefined,
        ...(source ? { source } : {}),
      };
    });
  /** `list` imported, as the model takes it (a date is its day's start, UTC). */
  readonly suppressed = (list: readonly SuppressionLine[]): void =>
    this.model.suppress(
      list.map((r) => ({
        ...r,
        ...(r.date ? { at: Date.parse(`${r.date}T00:00:00Z`) } : {}),
      })),
    );
  readonly sorted = (): MLead[] => [...this.model.leads.values()].sort((a, b) => a.id - b.id);
  readonly someLead = (): MLead | null => {
    const all = this.sorted();
    return all.length === 0 ? null : this.pick(all);
  };
  /**
   * The names a call may give the East partition as its targetWorkspace: its own, and those
   * WORKSPACE_PARTITIONS maps to it in the run's service (any case), one drawn for each call.
   */
  eastWorkspaces: readonly string[] = ['East'];
  readonly soap = (body: string, user = TEST_USER, ws?: string) => {
    const named =
      ws === 'East'
        ? this.eastWorkspaces[Math.floor(this.sourceRandom() * this.eastWorkspaces.length)]!
        : ws;
    return rawCall(this.svc.url, body, {
      user,
      ...(named ? { extraHeaderXml: workspace(named) } : {}),
    });
  };
  readonly expectOk = (res: { status: number; body: string }): void => {
    expect(res.status, res.body).to.equal(200);
  };
  readonly expectFault = (res: { status: number; body: string }, code: number): void => {
    expect(faultCode(res.body), res.body).to.equal(code);
  };
  readonly idOf = (body: string): number => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);

  /**
   * The holder of `key` a request by address changed: the one its answer names (an id, or a
   * body with a leadId), which of them being the store's to choose (the latest changed); the
   * first holder when the answer names none of them (a fault: nothing changed). Only those of
   * `partition` when given (a confined user's: no holder there, it creates).
   */
  readonly holderNamed = (
    key: string,
    answer: number | string,
    partition?: string,
  ): MLead | undefined => {
    const id =
      typeof answer === 'number' ? answer : Number(/<leadId>(\d+)<\/leadId>/.exec(answer)?.[1]);
    const holders = this.model
      .holders(key)
      .filter((h) => partition === undefined || h.partition === partition);
    return holders.find((h) => h.id === id) ?? holders[0];
  };

  /** Runs `change` on a copy of the model: the copy is kept unless it is refused. */
  readonly attempt = (change: (m: Model) => void): boolean => {
    const next = this.model.clone();
    try {
      change(next);
    } catch (error) {
      if (error instanceof Refused) return false;
      throw error;
    }
    this.model = next;
    return true;
  };

  /** The store compared with the model: people, master statuses, the invariant. */
  async check(step: number): Promise<void> {
    const where = `seed ${this.seed}, step ${step}:\n  ${this.log.join('\n  ')}`;
    const leads = (await this.db('leads')
      .where('id', '>', this.startId)
      .select('id', 'email_key', 'unsubscribed', 'partition', 'unsubscribed_reason')
      .orderBy('id')) as Array<{
      id: number;
      email_key: string | null;
      unsubscribed: unknown;
      partition: string;
      unsubscribed_reason: string | null;
    }>;
    expect(
      leads.map((l) => ({
        id: Number(l.id),
        key: l.email_key,
        unsub: Boolean(Number(l.unsubscribed)),
        partition: l.partition,
        reason: l.unsubscribed_reason,
      })),
      where,
    ).to.deep.equal(
      this.sorted().map((l) => ({
        id: l.id,
        key: l.key,
        unsub: l.unsub,
        partition: l.partition,
        reason: l.reason,
      })),
    );
    const statuses = (
      (await this.db('email_status').select(
        'email_key',
        'unsubscribed',
        'reason',
        'source',
      )) as Array<{
        email_key: string;
        unsubscribed: unknown;
        reason: string | null;
        source: string;
      }>
    )
      .filter((s) => this.ours(s.email_key))
      .sort((a, b) => (a.email_key < b.email_key ? -1 : 1));
    const wanted = [...this.model.master.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    expect(
      statuses.map((s) => {
        const unsub = Boolean(Number(s.unsubscribed));
        return {
          key: s.email_key,
          unsub,
          prot: unsub && isProtected(s.reason),
          page: unsub && s.source.startsWith('Unsubscribe link (') && s.source.endsWith(', page)'),
          by: unsub ? madeBy(s.source) : null,
        };
      }),
      where,
    ).to.deep.equal(
      wanted.map(([key, s]) => ({
        key,
        unsub: s.unsub,
        prot: s.prot,
        page: s.page !== null,
        by: s.unsub ? (s.sf ? 'salesforce' : s.person ? 'person' : 'other') : null,
      })),
    );
    await checkKept(this, where);
    expect(await this.svc.services.durableStatus.findViolations(), where).to.deep.equal([]);
    // The log: each person's changes of its flag and address, with the reason each rule gives.
    for (const l of this.sorted()) {
      const stored = await loggedChangesOf(this.svc.services, l.id);
      const { actual, expected } = comparableLogs(this.model.log, l.id, stored.changes);
      expect(actual, `lead ${l.id}, ${where}`).to.deep.equal(expected);
      // One New Lead for each person it is: its own, and every merged loser's.
      expect(stored.newLeads, `New Lead of lead ${l.id}, ${where}`).to.equal(l.people);
    }
  }

  /**
   * getLeadChanges from the seed's start, a type filter on, page by page: each living person's
   * New Lead and Change Data Value activities, oldest first, exactly as its own log
   * (getLeadActivity, newest first) holds them, reversed.
   */
  async checkChangeStream(): Promise<void> {
    const TYPES = ['New Lead', 'Change Data Value'];
    const told = (a: ActivityView) => JSON.stringify([a.id, a.activityType, a.attributes]);
    const streamed = new Map<number, string[]>();
    let offset = `ID:${this.startActivity}`;
    for (let pages = 0; ; pages++) {
      expect(pages, 'pages of the change stream').to.be.below(1000);
      const page = await this.svc.services.activities.changes(
        { offset },
        { filter: { includeTypes: ['NewLead', 'ChangeDataValue'] }, batchSize: 7 },
      );
      for (const a of page.activities) {
        expect(TYPES, told(a)).to.include(a.activityType);
        streamed.set(a.leadId, [...(streamed.get(a.leadId) ?? []), told(a)]);
      }
      offset = page.newStartPosition.offset;
      if (page.remainingCount === 0) break;
    }
    for (const l of this.sorted()) {
      const own: string[] = [];
      let start: string | undefined;
      for (;;) {
        const page = await this.svc.services.activities.listForLead(
          { keyType: 'IDNUM', keyValue: String(l.id) },
          { batchSize: 100, ...(start ? { start: { offset: start } } : {}) },
        );
        for (const a of page.activities)
          if (a.id > this.startActivity && TYPES.includes(a.activityType)) own.push(told(a));
        if (page.remainingCount === 0) break;
        start = page.newStartPosition.offset;
      }
      expect(streamed.get(l.id) ?? [], `lead ${l.id}, seed ${this.seed}`).to.deep.equal(
        own.reverse(),
      );
    }
  }
}
