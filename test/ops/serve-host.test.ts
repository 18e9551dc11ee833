/**
 * A HOST the service cannot listen on (a typo, a name that does not resolve) stops the start
 * in one line naming HOST, exit 1, never a stack trace; nothing is created.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

describe('serve with a HOST it cannot listen on', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-host-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const host of ['nosuchhost.invalid', '999.1.1.1']) {
    it(`HOST=${host}: one line naming HOST, exit 1, nothing created`, async () => {
      const dataDir = path.join(tmp, `never-${host}`);
      const r = await cli(['serve'], {
        HOST: host,
        PORT: '0',
        METRICS_PORT: 'off',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
      });
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.equal(
        `Configuration error: HOST: cannot listen on ${host}: it is not an address or a name of this machine (ENOTFOUND)\n`,
      );
      expect(fs.existsSync(dataDir)).to.equal(false);
    });
  }
});
