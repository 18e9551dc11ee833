/**
 * Spellings of one mailbox beyond case (src/domain/email-key.ts): a Punycode domain and its
 * Unicode form, a domain's trailing dot, an ideographic full stop between labels, and a quoted
 * local part that needs no quotes are one address for the durable rules, through every path
 * that takes an address (SOAP sync one by one and in batches, the one-click link, a
 * suppression list, the operator's address form, a lookup by address), on both engines.
 * Before, each spelling had a master status of its own: an opt-out under one missed the
 * people holding another.
 */
import { expect } from 'chai';
import type { Services } from '../../src/compose.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { SyncAnswer } from '../../src/domain/lead.types.js';
import { testEngines } from '../support/database.js';
import {
  createLead,
  emailKeyOf,
  flags,
  harnessPerSuite,
  setFlag,
  web,
} from '../support/harness.js';
import { listRows } from '../support/suppression-list.js';

/** Spellings of one mailbox: the first opts out, every other must follow. */
const MAILBOXES: ReadonlyArray<readonly string[]> = [
  ['ann@xn--bcher-kva.de', 'Ann@Bücher.de', 'ANN@XN--BCHER-KVA.DE.'],
  ['bob@example.com.', 'Bob@Example.com'],
  ['"carl"@example.com', 'CARL@example.com', '"Carl"@example.com.'],
  ['dora@bücher。de', 'dora@xn--bcher-kva.de', 'dora@BÜCHER｡DE'],
];

const link = { linkId: 'test-link', list: null };

for (const engine of testEngines()) {
  describe(`spellings of one mailbox (${engine.name})`, () => {
    let s: Services;
    harnessPerSuite(engine, (opened) => {
      s = opened.services;
    });

    it('an opt-out by syncLead under one spelling reaches the people holding the others', async () => {
      for (const [first, ...others] of MAILBOXES) {
        const a = await createLead(s, first!);
        const rest = [];
        for (const other of others) rest.push(await createLead(s, other, { partition: 'East' }));
        await setFlag(s, a, true);
        expect(await flags(s, [a, ...rest]), first).to.deep.equal([true, ...rest.map(() => true)]);
        // A re-subscribe under another spelling lifts it for all of them (rule 2).
        await setFlag(s, rest[0]!, false);
        expect(await flags(s, [a, ...rest]), first).to.deep.equal([
          false,
          ...rest.map(() => false),
        ]);
        // Found by any spelling.
        const found = await s.leads.find(emailKeyOf(others[others.length - 1]!));
        expect(
          found.map((l) => l.id).sort((x, y) => x - y),
          first,
        ).to.deep.equal([a, ...rest].sort((x, y) => x - y));
      }
    });

    it('a link, a suppression list and the address form under one spelling, people under another', async () => {
      const linked = await createLead(s, 'erin@bücher.de');
      await s.links.unsubscribe({ email: '"erin"@xn--bcher-kva.de.', ...link }, 'one-click');
      const listed = await createLead(s, 'fay@example.org');
      await s.suppressions.import(listRows([{ email: '"Fay"@example.org.' }]));
      const formed = await createLead(s, 'gus@xn--bcher-kva.de');
      await s.durableStatus.setAddressStatus({
        address: 'GUS@BÜCHER.DE.',
        unsubscribed: true,
        path: ChangePaths.addressStatus('alice'),
        reason: 'Asked by phone',
        confirmProtected: false,
      });
      expect(await flags(s, [linked, listed, formed])).to.deep.equal([true, true, true]);
    });

    it('a person created under another spelling of an unsubscribed address is unsubscribed (rule 3)', async () => {
      await s.links.unsubscribe({ email: 'hal@xn--bcher-kva.de', ...link }, 'one-click');
      const later = await createLead(s, '"Hal"@bücher.de.', { unsubscribed: false });
      expect(await flags(s, [later])).to.deep.equal([true]);
    });

    it('a move to another spelling of its own address changes nothing of the flag (rule 5)', async () => {
      const a = await createLead(s, 'ida@bücher.de');
      const b = await createLead(s, 'ida@xn--bcher-kva.de.');
      await setFlag(s, a, true);
      const moved = await s.leads.sync(
        { id: b, email: '"ida"@BÜCHER.de', attributes: [] },
        { path: web },
      );
      expect(moved.status).to.equal('UPDATED');
      expect(await flags(s, [a, b])).to.deep.equal([true, true]);
    });

    it('syncMultipleLeads: records under different spellings are one address', async () => {
      const results = await s.leads.syncMany(
        [
          { email: 'jo@xn--bcher-kva.de', attributes: [{ name: 'Unsubscribed', value: 'true' }] },
          { email: '"JO"@bücher.de.', attributes: [{ name: 'FirstName', value: 'Jo' }] },
        ],
        { path: web, matchByEmail: true },
      );
      const answers = results.map((r) => (r instanceof Error ? r.message : r));
      expect(answers.map((r) => (typeof r === 'string' ? r : r.status))).to.deep.equal([
        'CREATED',
        'UPDATED',
      ]);
      const [created, updated] = answers as SyncAnswer[];
      expect(updated!.leadId).to.equal(created!.leadId);
      expect(await flags(s, [created!.leadId])).to.deep.equal([true]);
    });
  });
}
