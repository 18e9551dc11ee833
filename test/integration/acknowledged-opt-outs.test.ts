/**
 * An opt-out acknowledged on an address that is unsubscribed already changes no person and logs
 * nothing to them (rule 7), yet it is never lost: the master status records it when leaving it
 * out would let it be undone (src/domain/acknowledged-opt-outs.ts).
 *
 * - A complaint reported (SOAP, Salesforce) on a person unsubscribed already makes the address
 *   protected: no integration's re-subscribe lifts it.
 * - Any path's opt-out of an address whose status an unsubscribe link made takes that status
 *   over: the link's undo, within its window, no longer lifts it.
 *
 * Every path over HTTP as its callers use it (SOAP, the link and its page, Salesforce).
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import {
  expectAck,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
  leadRecordId,
} from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { rowCounts } from '../support/harness.js';
import { faultCode, rawCall } from '../support/service.js';
import {
  historyOf,
  oneClick,
  postForm,
  startLinkService,
  type LinkService,
} from '../one-click/support.js';
import { flagsOf } from '../support/people.js';
import { listRows } from '../support/suppression-list.js';

const attr = (name: string, value: string) =>
  `<attribute><attrName>${name}</attrName><attrValue>${value}</attrValue></attribute>`;
const record = (key: string, attrs: string) =>
  `<leadRecord>${key}<leadAttributeList>${attrs}</leadAttributeList></leadRecord>`;
const byId = (id: number) => `<Id>${id}</Id>`;
const complaintAttrs = attr('Unsubscribed', 'true') + attr('UnsubscribedReason', 'complaint');
const syncLead = (key: string, attrs: string) =>
  `<ns1:paramsSyncLead>${record(key, attrs)}<returnLead>false</returnLead></ns1:paramsSyncLead>`;
const syncMultiple = (records: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records.join('')}</leadRecordList><dedupEnabled>true</dedupEnabled></ns1:paramsSyncMultipleLeads>`;
const statusesOf = (body: string) =>
  [...body.matchAll(/<status>(\w+)<\/status>/g)].map((m) => m[1]);
const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);

for (const engine of testEngines()) {
  describe(`acknowledged opt-outs of an address unsubscribed already (${engine.name})`, function () {
    this.timeout(120000);
    let svc: LinkService;
    let n = 0;
    const fresh = (what: string) => `${what}${++n}@example.com`;

    before(async () => {
      svc = await startLinkService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
    });
    after(() => svc?.stop());

    /** Two people of `email` created over SOAP (two partitions' worth: by Email, then by a new one). */
    async function twoPeople(email: string): Promise<[number, number]> {
      const a = await rawCall(svc.url, syncLead(`<Email>${email}</Email>`, attr('FirstName', 'A')));
      const b = await svc.services.leads.sync(
        { email: email.toUpperCase(), attributes: [{ name: 'FirstName', value: 'B' }] },
        { path: ChangePaths.webService(), partition: 'East', matchByEmail: false },
      );
      return [idOf(a.body), b.leadId];
    }

    describe('a complaint reported on a person unsubscribed already is protected', () => {
      for (const [how, report] of [
        ['syncLead', (id: number) => rawCall(svc.url, syncLead(byId(id), complaintAttrs))],
        [
          'syncMultipleLeads',
          (id: number) => rawCall(svc.url, syncMultiple([record(byId(id), complaintAttrs)])),
        ],
        [
          'syncLead, the reason alone',
          (id: number) =>
            rawCall(svc.url, syncLead(byId(id), attr('UnsubscribedReason', 'complaint'))),
        ],
      ] as const) {
        it(`${how}: a later SOAP re-subscribe, single or batched, is refused`, async () => {
          const email = fresh('complaint');
          const [a, b] = await twoPeople(email);
          // A plain unsubscribe first: the address is unsubscribed, not protected.
          const first = await rawCall(svc.url, syncLead(byId(a), attr('Unsubscribed', 'true')));
          expect(statusesOf(first.body)).to.deep.equal(['UPDATED']);
          const res = await report(a);
          expect(res.status, res.body).to.equal(200);
          expect(statusesOf(res.body)).to.deep.equal(['UPDATED']);
          // The other person, or the same, re-subscribed by an integration: refused.
          const batch = await rawCall(
            svc.url,
            syncMultiple([record(byId(a), attr('Unsubscribed', 'false'))]),
          );
          expect(statusesOf(batch.body)).to.deep.equal(['FAILED']);
          const single = await rawCall(svc.url, syncLead(byId(b), attr('Unsubscribed', 'false')));
          expect(faultCode(single.body), single.body).to.equal(20106);
          expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
          const history = await historyOf(svc.services, email);
          expect(history.map((h) => [h.unsubscribed, h.reason])).to.deep.equal([
            [true, 'Web service API'],
            [true, 'complaint'],
          ]);
          // Reported again: nothing more is recorded.
          await report(a);
          expect(await historyOf(svc.services, email)).to.have.length(2);
        });
      }

      it('a person created with a complaint at an address unsubscribed already', async () => {
        const email = fresh('created');
        await twoPeople(email);
        await rawCall(svc.url, syncLead(`<Email>${email}</Email>`, attr('Unsubscribed', 'true')));
        await svc.services.leads.sync(
          {
            email,
            attributes: [
              { name: 'Unsubscribed', value: 'true' },
              { name: 'UnsubscribedReason', value: 'Spam complaint' },
            ],
          },
          { path: ChangePaths.webService(), partition: 'West', matchByEmail: false },
        );
        const [, b] = await svc.services.leads.find({ keyType: 'EMAIL', keyValue: email });
        const res = await rawCall(svc.url, syncLead(byId(b!.id), attr('Unsubscribed', 'false')));
        expect(faultCode(res.body), res.body).to.equal(20106);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true, true, true]);
      });
    });

    describe("another path's opt-out after a link's unsubscribe is not lifted by its undo", () => {
      /** The page's unsubscribe of `email`: the proof of its undo. */
      async function pageUnsubscribe(email: string): Promise<{ url: string; code: string }> {
        const url = svc.linkUrl(email);
        const done = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        expect(done.status).to.equal(200);
        return { url, code: /name="resubscribe" value="([^"]+)"/.exec(done.body)![1]! };
      }

      const paths: Array<[string, (email: string, ids: [number, number]) => Promise<unknown>]> = [
        [
          'syncLead Unsubscribed=true',
          (_email, [a]) => rawCall(svc.url, syncLead(byId(a), attr('Unsubscribed', 'true'))),
        ],
        [
          'syncLead by Email with other fields',
          (email) =>
            rawCall(
              svc.url,
              syncLead(
                `<Email>${email}</Email>`,
                attr('Unsubscribed', 'true') + attr('Company', 'Acme'),
              ),
            ),
        ],
        [
          'syncMultipleLeads',
          (_email, [, b]) =>
            rawCall(svc.url, syncMultiple([record(byId(b), attr('Unsubscribed', 'true'))])),
        ],
        [
          'a suppression list',
          (email) => svc.services.suppressions.import(listRows([{ email, reason: 'bounced' }])),
        ],
        [
          "an operator's suppression",
          (email) =>
            svc.services.durableStatus.setAddressStatus({
              address: email,
              unsubscribed: true,
              path: ChangePaths.addressStatus('alice'),
              reason: 'Asked by phone',
              confirmProtected: false,
            }),
        ],
        [
          "an operator's Change Data Value run",
          async (email) => {
            const bulk = svc.services.bulkChanges;
            const change = { field: 'Unsubscribed', value: 'true' };
            const id = await bulk.start({ emailKeys: [email] }, change, 'alice', {
              confirmProtected: false,
            });
            // The service's own runner may have taken it: then it is waited for.
            if (!(await bulk.run(id)))
              while ((await bulk.status(id)).job.state !== 'done')
                await new Promise((r) => setTimeout(r, 20));
            expect((await bulk.status(id)).totals).to.include({ changed: 0, unchanged: 2 });
          },
        ],
      ];
      for (const [how, optOut] of paths) {
        it(`${how}: the undo is refused, the opt-out kept`, async () => {
          const email = fresh('link');
          const ids = await twoPeople(email);
          const { url, code } = await pageUnsubscribe(email);
          const before = await rowCounts(svc.running.database);
          await optOut(email, ids);
          const after = await rowCounts(svc.running.database);
          const undo = await postForm(url, { resubscribe: code });
          expect(undo.status, undo.body).to.equal(403);
          expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
          // Rule 7: no person changed, none logged it (the Company change aside); the status
          // recorded it.
          if (how !== 'syncLead by Email with other fields')
            expect(after.activities).to.equal(before.activities);
          expect(after.history).to.equal(before.history + 1);
          expect((await historyOf(svc.services, email)).map((h) => h.unsubscribed)).to.deep.equal([
            true,
            true,
          ]);
        });
      }

      it('a person unsubscribed without an address who takes it: the undo is refused', async () => {
        const email = fresh('carried');
        const ids = await twoPeople(email);
        const created = await rawCall(
          svc.url,
          syncLead(
            `<ForeignSysPersonId>nomail-${n}</ForeignSysPersonId>`,
            attr('Unsubscribed', 'true'),
          ),
        );
        const link = await pageUnsubscribe(email);
        // Its own opt-out, acknowledged before, goes with it to the address (rule 5).
        const moved = await rawCall(
          svc.url,
          syncLead(byId(idOf(created.body)), `${attr('FirstName', 'C')}`).replace(
            '<leadAttributeList>',
            `<Email>${email}</Email><leadAttributeList>`,
          ),
        );
        expect(statusesOf(moved.body), moved.body).to.deep.equal(['UPDATED']);
        expect((await postForm(link.url, { resubscribe: link.code })).status).to.equal(403);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true, true, true]);
        expect(ids).to.have.length(2);
      });

      it('Salesforce HasOptedOutOfEmail=true: the undo is refused', async () => {
        const email = fresh('sfdc');
        const recordId = leadRecordId(++n);
        const url = listenerUrl(svc.base);
        const notify = (optedOut: string) =>
          send(
            url,
            notificationsXml([
              {
                id: notificationId(++n),
                type: 'Lead',
                recordId,
                fields: { Email: email, HasOptedOutOfEmail: optedOut },
              },
            ]),
          );
        expectAck(await notify('false'));
        const link = await pageUnsubscribe(email);
        expectAck(await notify('true'));
        expect((await postForm(link.url, { resubscribe: link.code })).status).to.equal(403);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true]);
      });

      it("a mailbox provider's one-click of the same link, or another link: the undo is refused", async () => {
        for (const other of [
          (email: string) => svc.linkUrl(email),
          (email: string) => svc.linkUrl(email, { list: 'news' }),
        ]) {
          const email = fresh('links');
          await twoPeople(email);
          const link = await pageUnsubscribe(email);
          const res = await oneClick(other(email));
          expect([res.status, res.body]).to.deep.equal([200, 'Unsubscribed.\n']);
          expect((await postForm(link.url, { resubscribe: link.code })).status).to.equal(403);
          expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
          // Replayed: recorded once.
          await oneClick(other(email));
          expect(await historyOf(svc.services, email)).to.have.length(2);
        }
      });

      it("another link's page: the undo is refused; pages in turn record it once", async () => {
        const email = fresh('pages');
        await twoPeople(email);
        const first = await pageUnsubscribe(email);
        const second = svc.linkUrl(email, { list: 'news' });
        const page = { 'List-Unsubscribe': 'One-Click', via: 'page' };
        expect((await postForm(second, page)).status).to.equal(200);
        expect((await postForm(first.url, { resubscribe: first.code })).status).to.equal(403);
        for (let i = 0; i < 3; i++) {
          await postForm(first.url, page);
          await postForm(second, page);
        }
        expect(await historyOf(svc.services, email)).to.have.length(2);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
      });

      it('the same page posted again (someone else with the link): the undo is refused', async () => {
        const email = fresh('twice');
        await twoPeople(email);
        const link = await pageUnsubscribe(email);
        const again = await postForm(link.url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        expect(again.body).to.contain('is unsubscribed').and.not.to.contain('name="resubscribe"');
        expect((await postForm(link.url, { resubscribe: link.code })).status).to.equal(403);
        expect(await flagsOf(svc.services, email)).to.deep.equal([true, true]);
      });

      it('the same path acknowledging again records nothing more; the undo still works without one', async () => {
        const email = fresh('again');
        const [a] = await twoPeople(email);
        await pageUnsubscribe(email);
        await rawCall(svc.url, syncLead(byId(a), attr('Unsubscribed', 'true')));
        await rawCall(svc.url, syncLead(byId(a), attr('Unsubscribed', 'true')));
        expect(await historyOf(svc.services, email)).to.have.length(2);
        // Nothing else said: the link's undo works as before.
        const other = fresh('alone');
        await twoPeople(other);
        const link = await pageUnsubscribe(other);
        expect((await postForm(link.url, { resubscribe: link.code })).status).to.equal(200);
        expect(await flagsOf(svc.services, other)).to.deep.equal([false, false]);
      });
    });
  });
}
