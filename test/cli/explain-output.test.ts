import { expect } from 'chai';
import { formatAddressReport } from '../../src/cli/explain.command.js';
import { printable } from '../../src/cli/printable.js';
import type { AddressReport } from '../../src/domain/address-views.js';

describe('explain output', () => {
  it('shows control characters and newlines of stored values escaped: no terminal escape, no forged line', () => {
    const forged = 'moved\n  2026-01-01T00:00:00.000Z  subscribed    admin — operator lifted it';
    const report = {
      emailKey: 'a@example.com',
      status: {
        unsubscribed: true,
        changedAt: Date.UTC(2026, 0, 2),
        reason: 'spam\u001b[2J\u001b]0;owned\u0007',
        source: 'Web service API\r',
        leadId: 7,
      },
      history: [
        {
          changedAt: Date.UTC(2026, 0, 2),
          unsubscribed: true,
          source: 'Web service API',
          leadId: 7,
          reason: forged,
        },
      ],
      leads: [
        {
          id: 7,
          partition: 'Default\u009b31m',
          unsubscribed: true,
          email: 'a@example.com\u2028x',
          updatedAt: Date.UTC(2026, 0, 2),
        },
      ],
    } as unknown as AddressReport;
    const text = formatAddressReport(report);
    // eslint-disable-next-line no-control-regex
    expect(text).to.not.match(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    const history = text.split('\n').filter((l) => /^ {2}\d{4}-/.test(l));
    expect(history).to.have.length(1);
    expect(history[0]).to.contain('moved\\n  2026-01-01T00:00:00.000Z  subscribed');
    expect(text).to.contain('reason: spam\\u001b[2J\\u001b]0;owned\\u0007');
  });

  it('cannot be made to print a fake escape: backslashes are doubled', () => {
    expect(printable('a\\nb')).to.equal('a\\\\nb');
    expect(printable('tab\there')).to.equal('tab\\there');
    expect(printable('plain é 名前')).to.equal('plain é 名前');
  });
});
