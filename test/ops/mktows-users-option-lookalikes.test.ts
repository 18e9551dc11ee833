/**
 * A MKTOWS_USERS entry whose option is mistyped (";readonly" for ";read-only") reads as a key
 * holding a ';' (keys may), so the user gets full access: that is said in one warning line
 * naming the user and the options, never the key, and the command still runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

describe('MKTOWS_USERS options that are not options', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-user-options-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('a mistyped option is named in one warning, without the key', async () => {
    const key = 'C797D90CC7DF6D175786E9DEA8F9E497';
    for (const typo of ['readonly', 'Read-Only', 'no_delete', 'partition=Europe']) {
      const r = await cli(['config'], {
        DATABASE_URL: '',
        DATA_DIR: tmp,
        MKTOWS_USERS: `erp:${key};${typo},bi:${key}2;read-only`,
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr, typo).to.equal(
        'warning: MKTOWS_USERS: the key of erp ends in what looks like a mistyped option; only ;read-only, ;no-delete and ;partitions=A+B are options, so erp has full access with that ending as part of its key\n',
      );
      expect(r.stderr + r.stdout).to.not.contain(key);
    }
    // Real options, and a key that merely holds a ';', say nothing.
    const quiet = await cli(['config'], {
      DATABASE_URL: '',
      DATA_DIR: tmp,
      MKTOWS_USERS: `erp:${key};no-delete;partitions=Europe,bi:a;b9F3x`,
    });
    expect(quiet.code, quiet.stderr).to.equal(0);
    expect(quiet.stderr).to.equal('');
  });
});
