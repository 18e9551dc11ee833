/**
 * sslmode in DATABASE_URL: pg takes require (prefer, verify-ca) as verify-full and used to say
 * so in a warning of eight lines on every command and start. One line now, naming the setting;
 * a server without TLS (or whose certificate is refused) is one line too, never a stack trace.
 */
import { expect } from 'chai';
import { cli } from './support.js';
import { TEST_KEY_SECRET } from '../support/service.js';

const SAYS =
  "warning: DATABASE_URL: sslmode=require is taken as sslmode=verify-full (the server's certificate must be trusted, or its CA given with sslrootcert=FILE, and name the host): write sslmode=verify-full to say so, or sslmode=no-verify to encrypt without checking\n";

describe('DATABASE_URL with sslmode', function () {
  this.timeout(60000);

  it("sslmode=require: one line naming DATABASE_URL, not pg's warning", async () => {
    const r = await cli(['verify'], {
      DATABASE_URL: 'postgres://app:hunter2secret@127.0.0.1:9/durable?sslmode=require',
      USER_KEY_SECRET: TEST_KEY_SECRET,
    });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(
      `${SAYS}PostgreSQL at 127.0.0.1:9 (DATABASE_URL) is unreachable (ECONNREFUSED)\n`,
    );
    expect(r.stderr).to.not.contain('SECURITY WARNING');
  });

  it('sslmode=verify-full and no-verify say nothing', async () => {
    for (const mode of ['verify-full', 'no-verify', 'disable']) {
      const r = await cli(['verify'], {
        DATABASE_URL: `postgres://app@127.0.0.1:9/durable?sslmode=${mode}`,
        USER_KEY_SECRET: TEST_KEY_SECRET,
      });
      expect(r.stderr, mode).to.equal(
        'PostgreSQL at 127.0.0.1:9 (DATABASE_URL) is unreachable (ECONNREFUSED)\n',
      );
    }
  });

  if (process.env.DATABASE_URL) {
    it('a server that refuses TLS (or whose certificate is refused): one line naming DATABASE_URL', async () => {
      const u = new URL(process.env.DATABASE_URL!);
      u.searchParams.set('sslmode', 'require');
      const r = await cli(['migrate', 'status'], {
        DATABASE_URL: u.toString(),
        USER_KEY_SECRET: TEST_KEY_SECRET,
      });
      expect(r.stderr).to.not.contain('SECURITY WARNING');
      expect(r.stderr, 'no stack trace').to.not.match(/\n\s+at /);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).to.equal(SAYS.trim());
      if (r.code !== 0) {
        expect(lines, r.stderr).to.have.length(2);
        expect(lines[1]).to.contain('DATABASE_URL');
      }
    });
  }
});
