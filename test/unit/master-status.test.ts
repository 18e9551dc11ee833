/**
 * masterStatus: an address's own status, else, for a key whose joined key differs, the opt-out
 * kept under the joined key; an ordinary key (no 'ß', 'ς', 'ı' or dot above) never reads the
 * kept opt-outs, so the hot paths pay no second statement.
 */
import { expect } from 'chai';
import { emailKey } from '../../src/domain/email-key.js';
import { masterStatus } from '../../src/domain/master-status.js';
import type { StatusStore } from '../../src/domain/ports.js';
import type { EmailStatusRecord } from '../../src/domain/records.js';

const optOut = (key: string): EmailStatusRecord => ({
  emailKey: key,
  unsubscribed: true,
  reason: 'asked',
  source: 'test',
  leadId: null,
  changedAt: 1,
  liftedReason: null,
  liftedAt: null,
});

/** A store holding `own` rows and `kept` joined opt-outs, counting its reads of the latter. */
function store(own: string[], kept: string[]) {
  const reads: string[][] = [];
  const s: StatusStore = {
    async get(key) {
      return own.includes(key) ? optOut(key) : null;
    },
    async set() {},
    async joinedOptOuts(keys) {
      reads.push([...keys]);
      return new Map(keys.filter((k) => kept.includes(k)).map((k) => [k, optOut(k)]));
    },
  };
  return { s, reads };
}

describe('masterStatus', () => {
  it('reads the opt-out kept under the joined key for a key without a status of its own', async () => {
    const { s, reads } = store([], ['ann@strasse.de']);
    const status = await masterStatus(s, emailKey('Ann@Straße.de'));
    expect(status?.emailKey).to.equal('ann@straße.de');
    expect(status?.unsubscribed).to.equal(true);
    expect(reads).to.deep.equal([['ann@strasse.de']]);
    expect(await masterStatus(s, emailKey('a@İbm.com'))).to.equal(null);
    expect(reads[1]).to.deep.equal(['a@ibm.com']);
  });

  it('prefers the own row, and never reads kept opt-outs for an ordinary key', async () => {
    const { s, reads } = store(['ann@straße.de'], ['ann@strasse.de', 'ann@example.com']);
    expect((await masterStatus(s, 'ann@straße.de'))?.emailKey).to.equal('ann@straße.de');
    for (const raw of ['ann@example.com', 'ann@strasse.de', 'änn@bücher.de', 'straße@example.com'])
      expect(await masterStatus(s, emailKey(raw)), raw).to.equal(null);
    expect(reads).to.deep.equal([]);
  });
});
