/**
 * The promise, pair by pair: an acknowledged opt-out is never lost, and only an authenticated,
 * entitled path undoes it. Every path that acknowledges an opt-out (SOAP over HTTP, a merge
 * carrying an address-less person's opt-out, Salesforce, the one-click POST, the link's page,
 * the console's address form, the command line, a suppression list, a Change Data Value run)
 * against every path that could lift it or lose it: the entitled ones (a SOAP re-subscribe of
 * another person, the console's address form and person page, the command line, a bulk
 * re-subscribe) lift it, unless its reason is protected and they were not told; every other
 * (a create saying Unsubscribed=false, an address moved away and back, delete and re-create, a
 * merge deleting its people, Salesforce records that never ticked it or arrive from elsewhere,
 * an older suppression list, a link page's undo and a Salesforce untick made before it) leaves
 * it standing. Each cell on a fresh address held by two people in two partitions; after each,
 * the invariant.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { statusVersion } from '../../src/domain/master-status.js';
import { ErrorCode } from '../../src/errors.js';
import { expectAppError } from '../support/harness.js';
import { ORG_ID, PATH_SECRET, leadNotification } from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { postForm, oneClick, startLinkService, type LinkService } from '../one-click/support.js';
import { flagsOf } from '../support/people.js';
import { listRows } from '../support/suppression-list.js';
import { faultCode, rawCall } from '../support/service.js';

const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
const record = (key: string, attrs: string) =>
  `<leadRecord>${key}<leadAttributeList>${attrs}</leadAttributeList></leadRecord>`;
const syncLead = (key: string, attrs: string) =>
  `<ns1:paramsSyncLead>${record(key, attrs)}<returnLead>false</returnLead></ns1:paramsSyncLead>`;
const syncMultiple = (records: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join('')}</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const byId = (id: number) => `<Id>${id}</Id>`;
const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);
/** A Lead's Email in the request: the element syncLead sets the address by. */
const withEmail = (xml: string, email: string) =>
  xml.replace('<leadAttributeList>', `<Email>${email}</Email><leadAttributeList>`);

/** One address of a cell, the people holding it, and what earlier steps left to lift with. */
interface Cell {
  email: string;
  a: number;
  b: number;
  /** The link page's unsubscribe made before the opt-out (prior 'page'). */
  page?: { url: string; code: string };
  /** The Salesforce record reported for the address before the opt-out (priors). */
  record?: number;
  /** The acknowledging page's own undo (acknowledgement 'link page'). */
  ownPage?: { url: string; code: string };
  /** The Salesforce record whose tick is the opt-out (acknowledgement 'Salesforce'). */
  ackRecord?: number;
  /** The statusVersion of the operator's suppression as the console showed it (prior). */
  seen?: string;
  /** When the prior Salesforce tick was made. */
  tickedAt?: number;
}

interface Acknowledgement {
  name: string;
  /** Its reason is protected: an integration's re-subscribe is refused, an operator asked. */
  guarded?: boolean;
  run(c: Cell): Promise<void>;
}

interface Lift {
  name: string;
  /** What must stand before the opt-out for this path to have something of its own to lift. */
  prior?: 'page' | 'salesforce tick' | 'salesforce record' | 'operator suppression';
  /** Whether the address ends subscribed after the opt-out `ack`. */
  lifts(ack: Acknowledgement): boolean;
  run(c: Cell, ack: Acknowledgement): Promise<void>;
}

/** Spellings of `email` that are the same address: case, full-width, quoted, a root dot. */
function spellings(email: string): string[] {
  const [local, domain] = email.split('@') as [string, string];
  const wide = [...local]
    .map((ch) => (ch >= '!' && ch <= '~' ? String.fromCodePoint(ch.codePointAt(0)! + 0xfee0) : ch))
    .join('');
  return [
    `${local.toUpperCase()}@${domain.toUpperCase()}`,
    `${wide}@${domain}.`,
    `"${local}"@${domain}`,
  ];
}

for (const engine of testEngines()) {
  describe(`every acknowledged opt-out against every lift (${engine.name})`, function () {
    this.timeout(180000);
    let svc: LinkService;
    let n = 0;
    const fresh = (what: string) => `${what}.${++n}@matrix.example`;
    const soap = async (xml: string) => {
      const res = await rawCall(svc.url, xml);
      expect(res.status, res.body).to.equal(200);
      expect(faultCode(res.body), res.body).to.equal(null);
      return res.body;
    };
    const salesforce = async (recordNo: number, fields: Record<string, string>, at: number) => {
      const [result] = await svc.services.salesforce.apply(ORG_ID, [
        leadNotification(++n, recordNo, fields, at),
      ]);
      return result!;
    };
    const pageUnsubscribe = async (url: string) => {
      const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
      expect(done.status).to.equal(200);
      return { url, code: /name="resubscribe" value="([^"]+)"/.exec(done.body)?.[1] ?? '' };
    };
    const bulk = async (email: string, value: string) => {
      const jobs = svc.services.bulkChanges;
      const id = await jobs.start(
        { emailKeys: [email] },
        { field: 'Unsubscribed', value },
        'alice',
        {
          confirmProtected: true,
        },
      );
      // The service's own runner may have taken it: then it is waited for.
      if (!(await jobs.run(id)))
        while ((await jobs.status(id)).job.state !== 'done')
          await new Promise((r) => setTimeout(r, 10));
    };
    const addressStatus = (email: string, unsubscribed: boolean, path = 'console') =>
      svc.services.durableStatus.setAddressStatus({
        address: email,
        unsubscribed,
        path:
          path === 'console' ? ChangePaths.addressStatus('alice') : ChangePaths.commandLine('ops'),
        reason: 'matrix',
        confirmProtected: true,
      });

    before(async () => {
      svc = await startLinkService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
    });
    after(() => svc?.stop());

    const ACKS: Acknowledgement[] = [
      {
        name: 'syncLead Unsubscribed=true',
        run: async (c) => void (await soap(syncLead(byId(c.a), attr('Unsubscribed', 'true')))),
      },
      {
        name: 'syncLead with a reason',
        run: async (c) =>
          void (await soap(
            syncLead(
              byId(c.a),
              attr('Unsubscribed', 'true') + attr('UnsubscribedReason', 'moved away'),
            ),
          )),
      },
      {
        name: 'syncLead with a complaint',
        guarded: true,
        run: async (c) =>
          void (await soap(
            syncLead(
              byId(c.a),
              attr('Unsubscribed', 'true') + attr('UnsubscribedReason', 'Spam complaint'),
            ),
          )),
      },
      {
        name: 'syncMultipleLeads',
        run: async (c) =>
          void (await soap(syncMultiple([record(byId(c.b), attr('Unsubscribed', 'true'))]))),
      },
      {
        name: 'a create saying Unsubscribed=true',
        run: async (c) =>
          void (await svc.services.leads.sync(
            { email: c.email.toUpperCase(), attributes: [{ name: 'Unsubscribed', value: 'true' }] },
            { path: ChangePaths.webService(), partition: 'West', matchByEmail: false },
          )),
      },
      {
        name: "a merge carrying an address-less loser's opt-out",
        run: async (c) => {
          const body = await soap(
            syncLead(
              `<ForeignSysPersonId>nomail-${++n}</ForeignSysPersonId>`,
              attr('Unsubscribed', 'true'),
            ),
          );
          await svc.services.merges.merge(
            [{ keyType: 'IDNUM', keyValue: String(c.a) }],
            [[{ keyType: 'IDNUM', keyValue: String(idOf(body)) }]],
            ChangePaths.webService(),
          );
        },
      },
      {
        name: 'a merge whose address-less winner takes the address, opted out',
        run: async (c) => {
          const body = await soap(
            syncLead(
              `<ForeignSysPersonId>nomail-${++n}</ForeignSysPersonId>`,
              attr('Unsubscribed', 'true'),
            ),
          );
          await svc.services.merges.merge(
            [{ keyType: 'IDNUM', keyValue: String(idOf(body)) }],
            [[{ keyType: 'IDNUM', keyValue: String(c.a) }]],
            ChangePaths.webService(),
          );
          // The winner is A now, at the address: the lifts that name A find it.
          c.a = idOf(body);
        },
      },
      {
        name: 'an address-less person opted out, then given the address (syncLead)',
        run: async (c) => {
          const body = await soap(
            syncLead(
              `<ForeignSysPersonId>nomail-${++n}</ForeignSysPersonId>`,
              attr('Unsubscribed', 'true'),
            ),
          );
          await soap(withEmail(syncLead(byId(idOf(body)), attr('FirstName', 'C')), c.email));
        },
      },
      {
        name: 'Salesforce HasOptedOutOfEmail=true',
        run: async (c) => {
          c.ackRecord = ++n;
          await salesforce(c.ackRecord, { Email: c.email, Unsubscribed: 'true' }, Date.now());
        },
      },
      { name: 'one-click POST', run: async (c) => void (await oneClick(svc.linkUrl(c.email))) },
      {
        name: "the link's page",
        run: async (c) => {
          c.ownPage = await pageUnsubscribe(svc.linkUrl(c.email, { list: 'own' }));
        },
      },
      {
        name: "the console's address form",
        run: async (c) => void (await addressStatus(c.email, true)),
      },
      {
        name: 'suppressions add',
        run: async (c) => void (await addressStatus(c.email, true, 'cli')),
      },
      {
        name: 'a suppression list',
        run: async (c) =>
          void (await svc.services.suppressions.import(
            listRows([{ email: c.email, reason: 'bounced' }]),
          )),
      },
      { name: 'a Change Data Value run', run: (c) => bulk(c.email, 'true') },
    ];

    /** Operators' and imports' suppressions: restated over an operator's, nothing recorded. */
    const OPERATOR_ACKS = [
      "the console's address form",
      'suppressions add',
      'a suppression list',
      'a Change Data Value run',
    ];
    const always = () => true;
    const unlessGuarded = (ack: Acknowledgement) => !ack.guarded;
    const never = () => false;
    const LIFTS: Lift[] = [
      // The entitled: an integration's re-subscribe (rule 2), an operator's lift.
      {
        name: 'a SOAP re-subscribe of the other person',
        lifts: unlessGuarded,
        run: async (c) => {
          const res = await rawCall(svc.url, syncLead(byId(c.b), attr('Unsubscribed', 'false')));
          expect(res.status).to.be.oneOf([200, 500]);
        },
      },
      {
        name: "the console's address form",
        lifts: always,
        run: async (c) => void (await addressStatus(c.email, false)),
      },
      {
        name: 'suppressions remove',
        lifts: always,
        run: async (c) => void (await addressStatus(c.email, false, 'cli')),
      },
      {
        name: "the console's person page",
        lifts: always,
        run: async (c) =>
          void (await svc.services.leads.sync(
            { id: c.a, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
            { path: ChangePaths.personDetail('alice') },
          )),
      },
      {
        name: 'a Change Data Value re-subscribe',
        lifts: always,
        run: (c) => bulk(c.email, 'false'),
      },
      {
        name: 'a SOAP move of a person of another address to it, saying Unsubscribed=false',
        // Rule 6: the address first (the person follows the opt-out), then the flag (rule 2).
        lifts: unlessGuarded,
        run: async (c) => {
          const other = idOf(
            await soap(withEmail(syncLead('', attr('FirstName', 'O')), fresh('o'))),
          );
          await rawCall(
            svc.url,
            withEmail(syncLead(byId(other), attr('Unsubscribed', 'false')), c.email),
          );
        },
      },
      {
        name: 'a Salesforce untick made after it, of a record ticked before',
        prior: 'salesforce tick',
        lifts: unlessGuarded,
        run: async (c, ack) => {
          // After it past SFDC_CLOCK_MARGIN_SECONDS (60 s): within it, the untick would count
          // as made before the opt-out, and be left out.
          const untick = salesforce(
            c.record!,
            { Email: c.email, Unsubscribed: 'false' },
            Date.now() + 90000,
          );
          // A complaint: the record's untick is refused (the listener answers it so).
          if (ack.guarded) await expectAppError(untick, ErrorCode.LEAD_SYNC_FAILED);
          else await untick;
        },
      },
      {
        name: "an operator's lift of the suppression the console showed before it",
        // The person's own opt-outs over an operator's suppression are recorded (the status is
        // theirs): the lift, of another version, is refused. Another operator's or an import's
        // restating is the same kind of suppression, lifted with it. A Salesforce opt-out left beneath
        // it is shown in place of the lift (salesforce-beneath.ts).
        prior: 'operator suppression',
        lifts: (ack) => OPERATOR_ACKS.includes(ack.name),
        run: async (c) => {
          const lift = await svc.services.durableStatus.setAddressStatus({
            address: c.email,
            unsubscribed: false,
            path: ChangePaths.addressStatus('bob'),
            reason: 'bounce resolved',
            confirmProtected: true,
            seenVersion: c.seen!,
          });
          expect(['resubscribed', 'changed_since', 'salesforce_beneath']).to.include(lift.outcome);
        },
      },
      {
        name: "the acknowledging page's own undo",
        lifts: (ack) => ack.name === "the link's page",
        run: async (c) => {
          if (c.ownPage) await postForm(c.ownPage.url, { resubscribe: c.ownPage.code });
        },
      },
      // The rest: none may lift it.
      {
        name: 'creates saying Unsubscribed=false, in other spellings of the address',
        lifts: never,
        run: async (c) => {
          for (const spelling of spellings(c.email))
            await svc.services.leads.sync(
              { email: spelling, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
              { path: ChangePaths.webService(), partition: 'North', matchByEmail: false },
            );
          // Not folded too far: without the dot it is another mailbox, subscribed.
          const other = c.email.replace('.', '');
          await svc.services.leads.sync(
            { email: other, attributes: [{ name: 'FirstName', value: 'Other' }] },
            { path: ChangePaths.webService(), partition: 'North', matchByEmail: false },
          );
          expect(await flagsOf(svc.services, other)).to.deep.equal([false]);
        },
      },
      {
        name: 'its people moved to a new address and back',
        lifts: never,
        run: async (c) => {
          const away = fresh('away');
          for (const id of [c.a, c.b]) {
            await soap(withEmail(syncLead(byId(id), attr('FirstName', 'M')), away));
            await soap(
              withEmail(syncLead(byId(id), attr('Unsubscribed', 'false')), away.toUpperCase()),
            );
          }
          for (const id of [c.a, c.b])
            await soap(
              withEmail(syncLead(byId(id), attr('FirstName', 'B')), c.email.toUpperCase()),
            );
        },
      },
      {
        name: 'its people deleted and one re-created subscribed',
        lifts: never,
        run: async (c) => {
          await svc.services.leads.delete(
            { keyType: 'EMAIL', keyValue: c.email },
            ChangePaths.webService(),
          );
          // Created, not synced by Email: a person the opt-out brought there may hold it still,
          // and a sync by Email saying false re-subscribes that one (rule 2).
          await svc.services.leads.sync(
            { email: c.email, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
            { path: ChangePaths.webService(), partition: 'North', matchByEmail: false },
          );
        },
      },
      {
        name: 'its people merged into a person of another address',
        lifts: never,
        run: async (c) => {
          const body = await soap(withEmail(syncLead('', attr('FirstName', 'W')), fresh('winner')));
          await svc.services.merges.merge(
            [{ keyType: 'IDNUM', keyValue: String(idOf(body)) }],
            [
              [{ keyType: 'IDNUM', keyValue: String(c.a) }],
              [{ keyType: 'IDNUM', keyValue: String(c.b) }],
            ],
            ChangePaths.webService(),
          );
          // Created, not synced by Email: a person the opt-out brought there may hold it still,
          // and a sync by Email saying false re-subscribes that one (rule 2).
          await svc.services.leads.sync(
            { email: c.email, attributes: [{ name: 'Unsubscribed', value: 'false' }] },
            { path: ChangePaths.webService(), partition: 'North', matchByEmail: false },
          );
        },
      },
      {
        name: 'a Salesforce record of the address that never ticked it, edited since',
        prior: 'salesforce record',
        lifts: never,
        run: async (c) =>
          void (await salesforce(
            c.record!,
            { Email: c.email, Unsubscribed: 'false', FirstName: 'Edited' },
            Date.now(),
          )),
      },
      {
        name: 'that record moved away and back, unticked all along',
        prior: 'salesforce record',
        lifts: never,
        run: async (c) => {
          await salesforce(
            c.record!,
            { Email: fresh('sfaway'), Unsubscribed: 'false' },
            Date.now(),
          );
          await salesforce(c.record!, { Email: c.email, Unsubscribed: 'false' }, Date.now() + 1);
        },
      },
      {
        name: 'the ticking record moved to another address, unticked there',
        // Rule 5: the address it leaves keeps its opt-out; only the new one is re-subscribed.
        prior: 'salesforce record',
        lifts: never,
        run: async (c) => {
          const r = c.ackRecord ?? c.record!;
          const away = fresh('sfmoved');
          await salesforce(r, { Email: away, Unsubscribed: 'true' }, Date.now());
          await salesforce(r, { Email: away, Unsubscribed: 'false' }, Date.now() + 1);
          expect(await flagsOf(svc.services, away)).to.deep.equal([false]);
        },
      },
      {
        name: 'a new Salesforce record of the address, unticked',
        lifts: never,
        run: async (c) =>
          void (await salesforce(++n, { Email: c.email, Unsubscribed: 'false' }, Date.now())),
      },
      {
        name: 'a Salesforce record of another address moving to it, unticked',
        lifts: never,
        run: async (c) => {
          const r = ++n;
          await salesforce(r, { Email: fresh('sfother'), Unsubscribed: 'false' }, Date.now());
          await salesforce(r, { Email: c.email, Unsubscribed: 'false' }, Date.now() + 1);
        },
      },
      {
        name: 'an older suppression list naming it',
        lifts: never,
        run: async (c) =>
          void (await svc.services.suppressions.import(
            listRows([{ email: c.email, reason: 'old list', date: '2020-01-01' }]),
          )),
      },
      {
        name: "an earlier link page's undo",
        prior: 'page',
        lifts: never,
        run: async (c) => {
          const undo = await postForm(c.page!.url, { resubscribe: c.page!.code });
          expect(undo.status).to.equal(403);
        },
      },
      {
        name: 'a Salesforce untick made before it, delivered after',
        prior: 'salesforce tick',
        lifts: never,
        run: async (c) =>
          void (await salesforce(
            c.record!,
            { Email: c.email, Unsubscribed: 'false' },
            c.tickedAt! + 1000,
          )),
      },
    ];

    /** Two people of a fresh address (Default by SOAP, East), and what `lift` needs first. */
    async function cell(lift: Lift): Promise<Cell> {
      const email = fresh('ann');
      const a = idOf(await soap(withEmail(syncLead('', attr('FirstName', 'A')), email)));
      const { leadId: b } = await svc.services.leads.sync(
        { email: email.toUpperCase(), attributes: [{ name: 'FirstName', value: 'B' }] },
        { path: ChangePaths.webService(), partition: 'East', matchByEmail: false },
      );
      const c: Cell = { email, a, b };
      if (lift.prior === 'page') c.page = await pageUnsubscribe(svc.linkUrl(email));
      if (lift.prior === 'operator suppression') {
        await addressStatus(email, true);
        c.seen = statusVersion((await svc.services.durableStatus.explain(email)).status);
      }
      if (lift.prior === 'salesforce record') {
        c.record = ++n;
        await salesforce(c.record, { Email: email, Unsubscribed: 'false' }, Date.now() - 60000);
      }
      if (lift.prior === 'salesforce tick') {
        c.record = ++n;
        c.tickedAt = Date.now() - 60000;
        await salesforce(c.record, { Email: email, Unsubscribed: 'true' }, c.tickedAt);
      }
      return c;
    }

    for (const lift of LIFTS)
      describe(`lifted by ${lift.name}`, () => {
        for (const ack of ACKS) {
          const lifted = lift.lifts(ack);
          const check = async () => {
            const c = await cell(lift);
            await ack.run(c);
            expect(await flagsOf(svc.services, c.email)).to.satisfy((f: boolean[]) =>
              f.every(Boolean),
            );
            await lift.run(c, ack);
            const status = (await svc.services.durableStatus.explain(c.email)).status;
            expect(status?.unsubscribed ?? false, 'the address unsubscribed').to.equal(!lifted);
            const flags = await flagsOf(svc.services, c.email);
            expect(
              flags.every((f) => f === !lifted),
              `flags ${JSON.stringify(flags)}`,
            ).to.equal(true);
            expect(await svc.services.durableStatus.findViolations()).to.deep.equal([]);
          };
          const title = `${ack.name}: ${lifted ? 'lifted' : 'kept'}`;
          it(title, check);
        }
      });
  });
}
