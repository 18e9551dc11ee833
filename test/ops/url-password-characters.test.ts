/**
 * A password holding a character that must be percent-encoded in a URL (`/`, `?`, `#`; base64
 * passwords hold `/`) ends the URL's authority early: the password, and the host after it, are
 * read as the path, query or fragment (pg reads them so too), where no masking looked for them.
 * Such a URL is refused, naming the setting and the encoding, and neither "config" nor the
 * refusal shows the password.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

const PASSWORD = 'Hunter2Secret';

/** URLs whose password `PASSWORD` follows a character that must be percent-encoded. */
const MISREAD = [
  `postgres://app:1234/${PASSWORD}@db.example.com:5432/durable`,
  `postgres://app:12?${PASSWORD}@db.example.com:5432/durable`,
  `postgres://app:12#${PASSWORD}@db.example.com:5432/durable`,
  `postgres:app:${PASSWORD}@db.example.com:5432/durable`,
];

describe('URL passwords holding characters that must be percent-encoded', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-url-password-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const url of MISREAD) {
    for (const setting of ['DATABASE_URL', 'DATABASE_READ_URL']) {
      it(`${setting}=${url.replace(PASSWORD, '…')}: config and serve refuse it, never showing the password`, async () => {
        const env = {
          DATA_DIR: tmp,
          USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
          ...(setting === 'DATABASE_URL'
            ? { DATABASE_URL: url }
            : { DATABASE_URL: 'postgres://app@db.example.com/durable', DATABASE_READ_URL: url }),
        };
        const config = await cli(['config'], env);
        expect(config.code, config.stdout + config.stderr).to.equal(1);
        expect(config.stdout).to.match(new RegExp(`^${setting} .*INVALID: ${setting}`, 'm'));
        expect(config.stdout + config.stderr).to.not.contain(PASSWORD);
        const serve = await cli(['serve'], { ...env, PORT: '0' });
        expect(serve.code).to.equal(1);
        expect(serve.stderr).to.match(new RegExp(`${setting}: .*must be percent-encoded`));
        expect(serve.stderr.trim().split('\n')).to.have.length(1);
        expect(serve.stdout + serve.stderr).to.not.contain(PASSWORD);
      });
    }
  }

  for (const setting of ['PUBLIC_URL', 'UNSUBSCRIBE_BASE_URL']) {
    for (const url of [
      `https://proxy:8443/${PASSWORD}@soap.example.com`,
      `https://proxy:pw/${PASSWORD}@soap.example.com`,
    ]) {
      it(`${setting}=${url.replace(PASSWORD, '…')}: refused, the password never shown`, async () => {
        const env = { DATABASE_URL: '', DATA_DIR: tmp, [setting]: url };
        const config = await cli(['config'], env);
        expect(config.code).to.equal(1);
        expect(config.stdout).to.match(new RegExp(`^${setting} .*INVALID: ${setting}`, 'm'));
        expect(config.stdout + config.stderr).to.not.contain(PASSWORD);
        const serve = await cli(['serve'], { ...env, PORT: '0' });
        expect(serve.code).to.equal(1);
        expect(serve.stdout + serve.stderr).to.not.contain(PASSWORD);
      });
    }
  }

  it('a password with its characters percent-encoded is taken, and masked', async () => {
    const url = `postgres://app:12%2F${PASSWORD}@db.example.com:5432/durable`;
    const config = await cli(['config'], {
      DATABASE_URL: url,
      USER_KEY_SECRET: 'a-sealing-secret-for-this-test',
    });
    expect(config.stdout).to.match(
      /^DATABASE_URL +"postgres:\/\/app:\*\*\*@db\.example\.com:5432\/durable"/m,
    );
    expect(config.stdout).to.not.match(/^DATABASE_URL .*INVALID/m);
    expect(config.stdout + config.stderr).to.not.contain(PASSWORD);
  });
});
