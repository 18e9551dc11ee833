import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { progressBar, rejectsWriter } from '../../src/cli/import-output.js';
import { REJECTS_CSV_HEADER, rejectCsvLine } from '../../src/csv/suppression-csv.js';

/** What `suppressions import` writes while it runs: its rejected lines' file and progress bar. */
describe('suppressions import output', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-output-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes the rejects file at the first rejected line only, header first', async () => {
    const untouched = path.join(dir, 'none.csv');
    await rejectsWriter(untouched).close();
    expect(fs.existsSync(untouched)).to.equal(false);

    const file = path.join(dir, 'rejects.csv');
    const rejects = rejectsWriter(file);
    const reject = { line: 3, email: 'not an address', why: 'invalid email' };
    rejects.write(reject);
    await rejects.close();
    expect(fs.readFileSync(file, 'utf8')).to.equal(REJECTS_CSV_HEADER + rejectCsvLine(reject));
    expect(rejects.error).to.equal(undefined);
  });

  it('keeps a failed write for the end instead of throwing it', async () => {
    const rejects = rejectsWriter(path.join(dir, 'missing', 'rejects.csv'));
    rejects.write({ line: 1, email: 'x', why: 'invalid email' });
    await rejects.close();
    expect((rejects.error as { code?: string } | undefined)?.code).to.equal('ENOENT');
  });

  it('draws the share of the file read and the counts on one line', () => {
    const written: string[] = [];
    const err = { write: (s: string) => written.push(s) } as unknown as NodeJS.WritableStream;
    const draw = progressBar(err, 200, () => 100);
    draw({ rows: 1, suppressed: 1, alreadySuppressed: 0, peopleUnsubscribed: 0, rejected: 0 });
    expect(written).to.deep.equal([
      `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 1 row, 1 suppressed, 0 rejected`,
    ]);
  });
});
