import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Database } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { cli, cliSuite, expectUsageRefusal } from '../ops/support.js';

/**
 * A mistyped option or a word too many is refused in one line, exit 2, before anything is
 * done: ignored, it ran the command as if it had been understood.
 */
for (const engine of testEngines()) {
  describe(`command-line arguments a command does not take (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let dir: string;
    const statuses = async () =>
      Number(((await db.knex('email_status').count({ n: '*' })) as Array<{ n: number }>)[0]!.n);

    cliSuite(engine, 'du-args-', (suite) => ({ env, db, dir } = suite), {
      USER_KEY_SECRET: TEST_KEY_SECRET,
    });

    const refused = (args: string[], says: RegExp) => expectUsageRefusal(args, env, says);

    it('suppressions import with a mistyped --dry-run, or a second file, imports nothing', async () => {
      // Before: "--dryrun" was ignored and the list imported for real; of two files the
      // second was ignored, and "1 address suppressed" read as if both were loaded.
      const a = path.join(dir, 'a.csv');
      const b = path.join(dir, 'b.csv');
      fs.writeFileSync(a, 'email\nann@example.com\n');
      fs.writeFileSync(b, 'email\nbob@example.com\n');
      await refused(
        ['suppressions', 'import', a, '--dryrun'],
        /^suppressions import: unknown option --dryrun \(see "durable-unsubscribe suppressions --help"\)\n$/,
      );
      await refused(['suppressions', 'import', a, '-n'], /unknown option -n/);
      await refused(
        ['suppressions', 'import', a, b],
        /^suppressions import: unexpected argument ".*b\.csv"/,
      );
      await refused(['suppressions', 'export', '--sinse', '2026-01-01'], /unknown option --sinse/);
      await refused(
        ['suppressions', 'add', 'ann@example.com', '--reason', 'x', '--dry-run'],
        /unknown option --dry-run/,
      );
      expect(await statuses()).to.equal(0);
      // What it takes still works, in any order, and an address may start with a dash.
      const ok = await cli(['suppressions', 'import', '--actor', 'ops', a, '--dry-run'], env);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/^Dry run/);
      const dash = await cli(
        ['suppressions', 'add', '-dash@example.com', '--reason', 'asked'],
        env,
      );
      expect(dash.code, dash.stderr).to.equal(0);
    });

    it('users add with a mistyped permission creates no user (never one with full access)', async () => {
      // Before: "--readonly" was ignored and a user with full access was created and shown.
      await refused(
        ['users', 'add', '--id', 'reporting', '--readonly'],
        /^users add: unknown option --readonly/,
      );
      await refused(['users', 'remove', 'reporting', 'other'], /unexpected argument "other"/);
      expect(await db.knex('mktows_users').where('user_id', 'reporting')).to.deep.equal([]);
      const ok = await cli(['users', 'add', '--id', 'reporting', '--read-only'], env);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/permissions:\s+read-only/);
    });

    it('users add and update refuse an option without its value, or permissions that contradict each other', async () => {
      // Before: "--id" with no value made a user under a generated id (exit 0), "--read-only
      // --read-write" made a read-only user whichever came last, and "--partitions" with no
      // value was exit 1, not the exit 2 of bad arguments.
      await refused(['users', 'add', '--id'], /^users add: --id needs a value \(see/);
      await refused(
        ['users', 'add', '--description', '--read-only'],
        /^users add: --description needs a value/,
      );
      await refused(['users', 'add', '--partitions'], /^users add: --partitions needs a value/);
      await refused(
        ['users', 'add', '--read-only', '--read-write'],
        /^users add: --read-only and --read-write contradict each other/,
      );
      await refused(
        ['users', 'add', '--no-delete', '--may-delete'],
        /--no-delete and --may-delete/,
      );
      await refused(
        ['users', 'add', '--partitions', 'East', '--all-partitions'],
        /--partitions and --all-partitions/,
      );
      expect(await db.knex('mktows_users').whereNot('user_id', 'reporting')).to.deep.equal([]);
      const ok = await cli(['users', 'add', '--id', 'feed', '--no-delete'], env);
      expect(ok.code, ok.stderr).to.equal(0);
      await refused(
        ['users', 'update', 'feed', '--partitions'],
        /^users update: --partitions needs a value/,
      );
      await refused(
        ['users', 'update', 'feed', '--may-delete', '--no-delete'],
        /^users update: --no-delete and --may-delete contradict each other/,
      );
      const list = await cli(['users', 'list'], env);
      expect(list.stdout).to.match(/^feed\tdatabase\tno-delete\t/m);
    });

    it('explain, verify, operators and link refuse what they do not take', async () => {
      await refused(
        ['explain', 'ann@example.com', 'bob@example.com'],
        /^explain: unexpected argument "bob@example.com"/,
      );
      await refused(['verify', '--fix'], /^verify: unknown option --fix/);
      await refused(['operators', 'list', '--all'], /^operators list: unknown option --all/);
      await refused(['link', 'ann@example.com', '--lsit', 'news'], /^link: unknown option --lsit/);
    });
  });
}
