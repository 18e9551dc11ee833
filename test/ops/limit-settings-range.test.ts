/**
 * The limits an operator may set on what one request or file may hold: a value out of the
 * setting's range stops the start with one line naming the setting, and `config` refuses it on
 * the setting's own line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

const CASES: Array<[setting: string, value: string]> = [
  ['UNSUBSCRIBE_MAX_FORM_FIELDS', '2'],
  ['UNSUBSCRIBE_MAX_FORM_FIELDS', '10001'],
  ['IMPORT_MAX_ROW_CHARS', '4095'],
  ['IMPORT_MAX_ROW_CHARS', '67108865'],
  ['CONSOLE_PASTED_MAX', '0'],
  ['CONSOLE_PASTED_MAX', '1000001'],
  ['MERGE_LEADS_MAX_LOSERS', '0'],
  ['MERGE_LEADS_MAX_LOSERS', '10001'],
];

describe('a limit setting out of its range', function () {
  this.timeout(120000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-limit-range-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [i, [setting, value]] of CASES.entries()) {
    it(`${setting}=${value}: serve stops in one line naming it, config refuses it on its own line`, async () => {
      const dataDir = path.join(tmp, `never-${i}`);
      const env = {
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        [setting]: value,
      };
      const served = await cli(['serve'], env);
      expect(served.code, served.stderr).to.equal(1);
      expect(served.stderr, served.stderr).to.match(
        new RegExp(`^Configuration error: ${setting} [^\\n]{0,240}\\n$`),
      );
      expect(fs.existsSync(dataDir)).to.equal(false);

      const config = await cli(['config'], env);
      expect(config.code, config.stdout).to.equal(1);
      const own = config.stdout.split('\n').filter((l) => l.startsWith(`${setting} `));
      expect(own, config.stdout).to.have.length(1);
      expect(own[0]!.split('  INVALID: ')[1] ?? '', own[0]).to.match(new RegExp(`^${setting} `));
    });
  }
});
