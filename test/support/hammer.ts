import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { UnitOfWork } from '../../src/data-access/unit-of-work.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { DurableStatusService } from '../../src/domain/durable-status.service.js';
import { FieldCatalogue } from '../../src/domain/field-catalogue.js';
import { LeadService } from '../../src/domain/lead.service.js';
import type { Services } from '../../src/domain/services.js';
import { expectNoViolations } from './harness.js';
import { expectLogsTellFlags } from './log-chain.js';
import { seeded } from './seeded.js';

type LeadServices = Pick<Services, 'leads'>;

/**
 * Lead services whose transactions are never retried: on SQLite a write transaction must get
 * the lock by waiting (BEGIN IMMEDIATE, busy timeout), never by failing with SQLITE_BUSY and
 * being redone, so any busy error shows up as a failed request.
 */
export function noRetryLeads(db: Database): LeadServices {
  const uow = new UnitOfWork(db, { maxAttempts: 1 });
  const leads = new LeadService(uow, new DurableStatusService(uow), {
    catalogue: new FieldCatalogue(),
    defaultPartition: 'Default',
  });
  return { leads };
}

export const RACE_ADDRESSES = [
  'race-0@example.com',
  'race-1@example.com',
  'race-2@example.com',
  'race-3@example.com',
];

export interface HammerResult {
  ok: number;
  failures: string[];
  /** When the first operation started and the last one ended (epoch ms). */
  startedAt: number;
  endedAt: number;
}

/**
 * `count` mixed operations, all started at once and spread over `instances`: unsubscribe and
 * re-subscribe by id and by email, address changes (also to and from no address), creates,
 * create-then-delete, bulk changes, and address plus flag in one request.
 */
export async function hammer(
  instances: readonly LeadServices[],
  leadIds: readonly number[],
  count: number,
  seed: number,
  addresses: readonly string[] = RACE_ADDRESSES,
): Promise<HammerResult> {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const flag = () => String(rnd() < 0.5);
  const spelling = (address: string) => (rnd() < 0.5 ? address : ` ${address.toUpperCase()} `);
  const ops: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < count; i++) {
    const s = instances[i % instances.length]!;
    const path = pick([ChangePaths.webService(), ChangePaths.salesforce(), ChangePaths.flowStep()]);
    const id = pick(leadIds);
    const address = pick(addresses);
    const value = flag();
    switch (Math.floor(rnd() * 8)) {
      case 0:
      case 1:
        ops.push(() =>
          s.leads.sync({ id, attributes: [{ name: 'Unsubscribed', value }] }, { path }),
        );
        break;
      case 2:
        ops.push(() =>
          s.leads.sync(
            { email: spelling(address), attributes: [{ name: 'Unsubscribed', value }] },
            { path },
          ),
        );
        break;
      case 3: {
        const to = rnd() < 0.15 ? null : spelling(address);
        ops.push(() => s.leads.changeEmail(id, to, path));
        break;
      }
      case 4: {
        const partition = pick(['Default', 'East', 'West']);
        const attributes = rnd() < 0.3 ? [] : [{ name: 'Unsubscribed', value }];
        ops.push(() =>
          s.leads.sync(
            { email: spelling(address), attributes },
            { path, partition, matchByEmail: false },
          ),
        );
        break;
      }
      case 5:
        ops.push(async () => {
          const created = await s.leads.sync(
            { email: address, attributes: [{ name: 'Unsubscribed', value }] },
            { path, matchByEmail: false },
          );
          await s.leads.delete({ keyType: 'IDNUM', keyValue: String(created.leadId) }, path);
        });
        break;
      case 6: {
        const other = pick(leadIds);
        ops.push(() =>
          s.leads.bulkApply([id, other], { attributes: [{ name: 'Unsubscribed', value }] }, path),
        );
        break;
      }
      default:
        ops.push(() =>
          s.leads.sync(
            { id, email: spelling(address), attributes: [{ name: 'Unsubscribed', value }] },
            { path },
          ),
        );
    }
  }
  const startedAt = Date.now();
  const settled = await Promise.allSettled(ops.map((op) => op()));
  const endedAt = Date.now();
  const failures = settled
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => {
      const e = r.reason as { name?: string; code?: string; message?: string };
      return `${e.name ?? 'Error'} ${e.code ?? ''} ${e.message ?? String(r.reason)}`;
    });
  return { ok: settled.length - failures.length, failures, startedAt, endedAt };
}

/** Three leads per address (partitions Default, East, West) and two without an address. */
export async function seedRaceLeads(
  services: LeadServices,
  addresses: readonly string[] = RACE_ADDRESSES,
): Promise<number[]> {
  const ids: number[] = [];
  const path = ChangePaths.webService();
  for (const address of addresses) {
    for (const partition of ['Default', 'East', 'West']) {
      ids.push(
        (await services.leads.sync({ email: address }, { path, partition, matchByEmail: false }))
          .leadId,
      );
    }
  }
  for (const n of [1, 2]) {
    ids.push(
      (await services.leads.sync({ foreignSysPersonId: `race-noaddr-${n}` }, { path })).leadId,
    );
  }
  return ids;
}

/** Every address: its leads agree with its status, and the status is its newest history entry. */
export async function expectAddressesSettled(
  s: Services,
  addresses: readonly string[],
): Promise<void> {
  await expectNoViolations(s);
  for (const address of addresses) {
    const report = await s.durableStatus.explain(address);
    const master = report.status?.unsubscribed ?? false;
    expect(
      report.leads.map((l) => [l.id, l.unsubscribed]),
      address,
    ).to.deep.equal(report.leads.map((l) => [l.id, master]));
    // And each person's log tells how it came to hold its flag.
    await expectLogsTellFlags(s, report.leads);
    const last = report.history[report.history.length - 1];
    if (last) {
      expect(report.status, address).to.include({
        unsubscribed: last.unsubscribed,
        leadId: last.leadId,
        changedAt: last.changedAt,
      });
    } else {
      expect(report.status, address).to.equal(null);
    }
  }
}
