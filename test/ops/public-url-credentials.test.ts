/**
 * PUBLIC_URL and UNSUBSCRIBE_BASE_URL are printed to every client (the WSDLs' soap:address,
 * each List-Unsubscribe header): one holding a user and password would hand them out. It is
 * refused at start in one line naming the setting, never repeating the password.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

describe('public URLs holding credentials', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-url-credentials-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const setting of ['PUBLIC_URL', 'UNSUBSCRIBE_BASE_URL']) {
    it(`${setting} with a user and password is refused, the password never shown`, async () => {
      const r = await cli(['config'], {
        DATABASE_URL: '',
        DATA_DIR: tmp,
        [setting]: 'https://proxy:Hunter2Secret@soap.example.com',
      });
      expect(r.code).to.equal(1);
      expect(r.stdout).to.match(
        new RegExp(`^${setting} .*INVALID: ${setting} must not hold a user or password`, 'm'),
      );
      expect(r.stdout + r.stderr).to.not.contain('Hunter2Secret');
    });
  }
});
