import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { cli, cliSuite, embeddedEnv, expectUsageRefusal } from '../ops/support.js';

const LINK_SECRET = 'usage-exit-codes-link-secret-0123456789abcdef';

/**
 * A value a command cannot take (an empty partition list, something that is no address) is
 * wrong usage, as a mistyped option is: exit 2, one line, nothing done.
 */
for (const engine of testEngines()) {
  describe(`usage errors in an option's value or an argument exit 2 (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;

    cliSuite(engine, 'du-usage-', (suite) => ({ env, db } = suite), {
      USER_KEY_SECRET: TEST_KEY_SECRET,
      UNSUBSCRIBE_LINK_SECRET: LINK_SECRET,
    });

    const refused = (args: string[], says: RegExp) => expectUsageRefusal(args, env, says);

    it('users add and update with a partition list holding no valid name', async () => {
      for (const value of ['', ' ', 'East,', 'a/b'])
        await refused(
          ['users', 'add', '--partitions', value],
          /^--partitions takes partition names/,
        );
      const users = Number(
        ((await db.knex('mktows_users').count({ n: '*' })) as Array<{ n: number }>)[0]!.n,
      );
      expect(users).to.equal(0);
      for (const id of ['', 'a b', 'x'.repeat(129)])
        await refused(['users', 'add', '--id', id], /^User id: 1-128 of /);
      const added = await cli(['users', 'add', '--id', 'erp'], env);
      expect(added.code, added.stderr).to.equal(0);
      await refused(['users', 'update', 'erp', '--partitions', ''], /^--partitions takes/);
      const listed = await cli(['users', 'list'], env);
      expect(listed.stdout).to.match(/erp.*full access/);
    });

    it('link and headers with something that is no address', async () => {
      await refused(['link', 'not an address'], /^Email is not a valid address\n$/);
      await refused(['headers', 'a@'], /^Email is not a valid address\n$/);
      // "link -" reads addresses from standard input; "headers" takes one address.
      await refused(['headers', '-'], /^Email is not a valid address\n$/);
      await refused(['link', 'x', '--list', 'news'], /^Email is not a valid address\n$/);
    });
  });
}

describe('a usage error creates no embedded database', function () {
  this.timeout(60000);
  it('users add --partitions "" and link BAD on a DATA_DIR not made yet', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'du-usage-dir-'));
    try {
      const dataDir = path.join(parent, 'data');
      const env = embeddedEnv(dataDir);
      const users = await cli(['users', 'add', '--partitions', ''], env);
      expect(users.code, users.stderr).to.equal(2);
      const link = await cli(['link', 'nobody'], env);
      expect(link.code, link.stderr).to.equal(2);
      const id = await cli(['users', 'add', '--id', 'a b'], env);
      expect(id.code, id.stderr).to.equal(2);
      const headers = await cli(['headers', '-'], env);
      expect(headers.code, headers.stderr).to.equal(2);
      expect(fs.existsSync(dataDir), 'DATA_DIR made').to.equal(false);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});

/**
 * Every command's usage errors are decided before anything is made: no DATA_DIR, no database,
 * no key-sealing secret, no connection to PostgreSQL. A mistyped action must not leave an
 * empty database behind (which a later "verify" or export would read as the real one).
 */
describe('every usage error is decided before anything is created', function () {
  this.timeout(600000);
  const USAGE_ERRORS: string[][] = [
    ['suppressions'],
    ['suppressions', 'frob'],
    ['suppressions', 'add', ''],
    ['suppressions', 'add', '', '--reason', 'asked'],
    ['suppressions', 'add', 'one@example.com'],
    ['suppressions', 'add', 'not an address', '--reason', 'asked'],
    ['suppressions', 'remove', 'one@example.com', '--reason', ' '],
    ['suppressions', 'import'],
    ['suppressions', 'import', '/nonexistent/list.csv'],
    // Standard input: a real run without --rejects; an empty pipe (what cli() gives).
    ['suppressions', 'import', '-'],
    ['suppressions', 'import', '-', '--dry-run'],
    ['suppressions', 'export', '--since', 'yesterday'],
    ['operators'],
    ['operators', 'frob'],
    ['operators', 'add', ''],
    ['operators', 'add', 'a b', '--password', 'long enough password'],
    ['operators', 'remove'],
    ['users'],
    ['users', 'frob'],
    ['users', 'remove'],
    ['users', 'update'],
    ['users', 'update', 'erp'],
    ['users', 'list', 'extra'],
    ['migrate', 'frob'],
    ['explain', ''],
  ];

  it('on a DATA_DIR not made yet: exit 2, and DATA_DIR still absent', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'du-usage-made-'));
    try {
      const dataDir = path.join(parent, 'data');
      for (const args of USAGE_ERRORS) {
        const r = await cli(args, embeddedEnv(dataDir));
        expect(r.code, `${JSON.stringify(args)}: ${r.stderr}`).to.equal(2);
        expect(r.stdout, JSON.stringify(args)).to.equal('');
        expect(fs.existsSync(dataDir), `${JSON.stringify(args)} made DATA_DIR`).to.equal(false);
      }
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('on a PostgreSQL that cannot be reached: exit 2, not a connection failure', async () => {
    // Port 1 answers no one: reaching for the database at all would end in exit 1.
    const env = embeddedEnv(path.join(os.tmpdir(), 'du-usage-unused'), {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    // One of each command's kinds of mistake (the list above, each run once more, is slow).
    for (const args of USAGE_ERRORS.filter((_, i) => i % 3 === 0)) {
      const r = await cli(args, env);
      expect(r.code, `${JSON.stringify(args)}: ${r.stderr}`).to.equal(2);
    }
  });
});
