/**
 * `config` refuses what `serve` refuses on PostgreSQL without a key-sealing secret. It listed
 * the settings and exited 0, while every start on that database stopped at once with a
 * configuration error: the check an operator runs before a deploy said all was well.
 */
import { expect } from 'chai';
import { cli } from './support.js';

// An address nothing listens on: `config` never connects.
const PG = { DATABASE_URL: 'postgres://du:pw@127.0.0.1:9/du', DATA_DIR: '/nonexistent/du-data' };
const REFUSAL =
  'USER_KEY_SECRET is not set: on PostgreSQL stored SOAP user keys must be sealed; set USER_KEY_SECRET (or USER_KEY_SECRET_FILE), the same for every instance (ALLOW_UNSEALED_KEYS=true for development only)';

describe('config on PostgreSQL and the key-sealing secret', function () {
  this.timeout(60000);

  it('without USER_KEY_SECRET: INVALID in the words serve stops with, exit 1', async () => {
    const r = await cli(['config'], { ...PG, USER_KEY_SECRET: '', USER_KEY_SECRET_FILE: '' });
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).to.equal(`INVALID: ${REFUSAL}`);
  });

  it('with USER_KEY_SECRET, or ALLOW_UNSEALED_KEYS for development: exit 0', async () => {
    const sealed = await cli(['config'], { ...PG, USER_KEY_SECRET: 'a'.repeat(32) });
    expect(sealed.code, sealed.stdout).to.equal(0);
    const unsealed = await cli(['config'], {
      ...PG,
      USER_KEY_SECRET: '',
      USER_KEY_SECRET_FILE: '',
      ALLOW_UNSEALED_KEYS: 'true',
    });
    expect(unsealed.code, unsealed.stdout).to.equal(0);
  });

  it('on the embedded database no secret is needed (one is made at the first start)', async () => {
    const r = await cli(['config'], {
      DATABASE_URL: '',
      DATA_DIR: '/nonexistent/du-data',
      USER_KEY_SECRET: '',
      USER_KEY_SECRET_FILE: '',
    });
    expect(r.code, r.stdout).to.equal(0);
  });
});
