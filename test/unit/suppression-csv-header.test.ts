import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { csvRows, UnreadableCsv } from '../../src/suppression-csv.js';

describe('the header line of a suppression CSV', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-csv-header-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const rowsOf = async (text: string) => {
    const file = path.join(dir, 'list.csv');
    fs.writeFileSync(file, text);
    const rows = [];
    for await (const row of csvRows(file, { bytes: 0 })) rows.push(row);
    return rows;
  };

  // Before: the later column silently won, so every address of the earlier one was left out
  // of the import (never suppressed, never rejected) and the import reported success.
  for (const header of ['email,reason,email', 'Email,reason, EMAIL ', 'email,reason,reason']) {
    it(`refuses "${header}": a column named twice, one of them would be dropped unread`, async () => {
      let error: unknown;
      try {
        await rowsOf(`${header}\nfirst@example.com,asked,second@example.com\n`);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(UnreadableCsv);
      expect((error as Error).message).to.match(/column .* more than once/i);
    });
  }

  it('still reads unknown columns, even repeated ones, and the known ones once each', async () => {
    const rows = await rowsOf('email,note,note,reason\nann@example.com,a,b,asked\n');
    expect(rows.map((r) => [r.email, r.reason])).to.deep.equal([['ann@example.com', 'asked']]);
  });
});
