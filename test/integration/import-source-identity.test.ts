/**
 * A suppression list's `source` column says where its opt-outs came from; it must not make
 * them another path's own. The master status source names the path that made a status, and
 * some rules read it: a status Salesforce made may be lifted by a late untick of its records
 * (acknowledged-opt-outs.ts, madeBySalesforce), a link page's own unsubscribe by the page's
 * undo. An imported line saying `Salesforce` (or an export's `Salesforce (00D…)` line
 * imported back) was stored as `Salesforce (ops)`: read as Salesforce's own, a Salesforce
 * untick older than the moment the address's record was reported opted out lifted it, where
 * the same line with any other source stays. Through the command line's import and the
 * Salesforce listener over HTTP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { startLinkService, type LinkService } from '../one-click/support.js';
import {
  leadRecordId,
  listenerUrl,
  notificationId,
  ORG_ID,
  PATH_SECRET,
  send1,
} from '../salesforce/support.js';
import { testEngines } from '../support/database.js';
import { suppressionsCommand } from '../support/durable-model-operators.js';
import { cell } from '../support/suppression-list.js';

for (const engine of testEngines()) {
  describe(`an imported source never names another path (${engine.name})`, function () {
    this.timeout(60000);
    let svc: LinkService;
    let dir: string;
    let n = 7100;

    before(async () => {
      svc = await startLinkService(engine, {
        salesforceOrgIds: [ORG_ID],
        salesforcePathSecret: PATH_SECRET,
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-import-source-'));
    });
    after(async () => {
      await svc?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const importLine = async (email: string, source: string, date: string) => {
      const file = path.join(dir, `list-${++n}.csv`);
      fs.writeFileSync(file, `email,source,date\n${[email, source, date].map(cell).join(',')}\n`);
      const r = await suppressionsCommand(svc.services, ['import', file, '--actor', 'ops']);
      expect(r.code, r.out + r.err).to.equal(0);
    };
    const notify = (record: string, fields: Record<string, string>) =>
      send1(listenerUrl(svc.base), {
        id: notificationId(++n),
        type: 'Lead',
        recordId: record,
        fields,
      });
    const statusOf = async (email: string) =>
      (await svc.services.durableStatus.explain(email)).status;

    // Each source, and what the status records: a path's name is said to be the list's.
    const sources: Array<[string, string]> = [
      ['Newsletter', 'Newsletter (ops)'],
      ['Salesforce', 'Suppression import: Salesforce (ops)'],
      [`Salesforce (${ORG_ID})`, `Suppression import: Salesforce (${ORG_ID}) (ops)`],
      ['salesforce', 'Suppression import: salesforce (ops)'],
      [
        'Unsubscribe link (link 0123456789abcdef, page)',
        'Suppression import: Unsubscribe link (link 0123456789abcdef, page) (ops)',
      ],
    ];
    for (const [i, [source, recorded]] of sources.entries()) {
      it(`a line whose source is "${source}" stays an import's, kept from an older untick`, async () => {
        const email = `source${i}@import-identity.example`;
        const record = leadRecordId(7100 + i);
        // The record's person, subscribed; the list's opt-out of its address, dated 2020.
        await notify(record, {
          Email: email,
          HasOptedOutOfEmail: 'false',
          SystemModstamp: '2019-01-01T00:00:00Z',
        });
        await importLine(email, source, '2020-01-01');
        const imported = await statusOf(email);
        expect(imported).to.include({ unsubscribed: true });
        // The record reported opted out (after the import reached the service), then its
        // untick of before that report arrives: an opt-out acknowledged by another path may
        // stand between them, so it is not applied.
        await notify(record, {
          HasOptedOutOfEmail: 'true',
          SystemModstamp: '2021-01-01T00:00:00Z',
        });
        await notify(record, {
          HasOptedOutOfEmail: 'false',
          SystemModstamp: '2021-06-01T00:00:00Z',
        });
        const [person] = await svc.services.leads.find({ keyType: 'EMAIL', keyValue: email });
        expect(person, 'the person of the record').to.not.equal(undefined);
        expect(person!.unsubscribed, 'the person').to.equal(true);
        expect(await statusOf(email)).to.include({ unsubscribed: true });
        // The list's source stays in the history, said to be the list's when it names a path.
        expect(imported!.source).to.equal(recorded);
      });
    }
  });
}
