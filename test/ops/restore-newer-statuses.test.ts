/**
 * A restore puts back an older database: the opt-outs acknowledged after the backup was taken
 * are only in the copy of the database it replaced. `restore` says how many, and the commands
 * it prints, run as written, bring them back; a restore that loses nothing says nothing of it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import { openDatabase, SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { BIN, cli } from './support.js';

describe('restore: the statuses recorded after the backup', function () {
  this.timeout(180000);
  let tmp: string;
  let env: Record<string, string>;

  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-restore-newer-'));
    env = { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'data') };
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Runs `commands` as an operator would, in a shell, in the directory the restore ran in. */
  const replay = (commands: readonly string[]) => {
    const bin = path.join(tmp, 'bin');
    if (!fs.existsSync(bin)) {
      fs.mkdirSync(bin);
      fs.writeFileSync(
        path.join(bin, 'durable-unsubscribe'),
        `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`,
        { mode: 0o755 },
      );
    }
    for (const command of commands)
      execFileSync('sh', ['-ec', command], {
        cwd: tmp,
        env: { ...process.env, ...env, LOG_LEVEL: 'warn', PATH: `${bin}:${process.env.PATH}` },
        stdio: 'pipe',
      });
  };

  const run = async (...args: string[]) => {
    const r = await cli(args, env, { cwd: tmp });
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout;
  };

  it('names the opt-outs the backup lacks, and its commands replay them', async () => {
    await run('suppressions', 'add', 'before@example.com', '--reason', 'phone');
    const backup = path.join(tmp, 'backup.sqlite');
    await run('backup', backup);
    await run('suppressions', 'add', 'after@example.com', '--reason', 'complaint');
    await run('suppressions', 'add', 'lifted@example.com', '--reason', 'phone');
    await run('suppressions', 'remove', 'lifted@example.com', '--reason', 'asked again');

    const said = await run('restore', backup);
    expect(said).to.match(
      /2 master statuses of the database it replaced are not in the backup \(1 of them an opt-out\)/,
    );
    const commands = said
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim());
    expect(commands, said).to.have.length.above(1);
    replay(commands);

    expect(await run('explain', 'after@example.com')).to.match(/complaint/);
    expect(await run('explain', 'before@example.com')).to.match(/phone/);
    const verified = await cli(['verify'], env, { cwd: tmp });
    expect(verified.code, verified.stdout).to.equal(0);
  });

  it('names a complaint recorded after the backup on an address unsubscribed before it', async () => {
    // An opt-out before the backup; after it, a list gives the address a complaint with its
    // original, older date: the status keeps its date, only its reason (protected) is new.
    await run('suppressions', 'add', 'hardened@example.com', '--reason', 'phone');
    const backup = path.join(tmp, 'before-complaint.sqlite');
    await run('backup', backup);
    const list = path.join(tmp, 'complaints.csv');
    fs.writeFileSync(list, 'email,reason,date\nhardened@example.com,complaint,2020-01-01\n');
    await run('suppressions', 'import', list);
    expect(await run('explain', 'hardened@example.com')).to.match(/complaint/);

    const said = await run('restore', backup);
    expect(said).to.match(
      /1 master status of the database it replaced is not in the backup \(1 of them an opt-out\)/,
    );
    replay(
      said
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim()),
    );
    // The complaint is back: only an operator may lift it again.
    expect(await run('explain', 'hardened@example.com')).to.match(/complaint/);
  });

  /** Writes into the database in DATA_DIR (nothing running): what a migration leaves there. */
  const inLive = (sql: string, ...values: unknown[]) => {
    const db = new BetterSqlite3(path.join(env.DATA_DIR!, SQLITE_FILE_NAME));
    try {
      db.prepare(sql).run(...values);
    } finally {
      db.close();
    }
  };
  const keep = (joined: string, reason: string, changedAt: number, recordedAt: number) =>
    inLive(
      `INSERT INTO email_status_joined (joined_key, unsubscribed, reason, source, lead_id,
         changed_at, recorded_at) VALUES (?, 1, ?, 'Web service API', NULL, ?, ?)`,
      joined,
      reason,
      changedAt,
      recordedAt,
    );

  it('names an opt-out kept under an earlier key that the backup lacks, and replays it', async () => {
    const backup = path.join(tmp, 'before-kept.sqlite');
    await run('backup', backup);
    // Only in the replaced database: kept under the earlier key, the plain spelling lifted since.
    keep('amy@strasse.de', 'complaint', Date.now() - 1000, Date.now());
    expect(await run('explain', 'amy@stra\u00dfe.de')).to.match(/UNSUBSCRIBED/);

    const said = await run('restore', backup);
    expect(said).to.match(
      /1 opt-out kept under an earlier key in the database it replaced is not in the backup/,
    );
    replay(
      said
        .split('\n')
        .filter((line) => line.startsWith('  '))
        .map((line) => line.trim()),
    );
    const explained = await run('explain', 'amy@stra\u00dfe.de');
    expect(explained).to.match(/UNSUBSCRIBED/);
    expect(explained).to.match(/complaint/);
  });

  it('a kept opt-out the backup holds, as kept or as the status it was kept from, is no alarm', async () => {
    // The backup holds the opt-out under the joined key (taken before the migration kept it)...
    await run('suppressions', 'add', 'bea@strasse.de', '--reason', 'phone');
    const backup = path.join(tmp, 'before-migration.sqlite');
    await run('backup', backup);
    // ...then kept as the migration keeps it, listed anew (20261206005100).
    inLive(
      `INSERT INTO email_status_joined (joined_key, unsubscribed, reason, source, lead_id,
         changed_at, recorded_at, lifted_reason, lifted_at)
       SELECT email_key, unsubscribed, reason, source, lead_id, changed_at, ?, lifted_reason,
         lifted_at FROM email_status WHERE email_key = 'bea@strasse.de'`,
      Date.now() + 1000,
    );
    const said = await run('restore', backup);
    expect(said).not.to.match(/not in the backup/);

    // A backup taken with the kept opt-out holds it as it is.
    keep('cal@strasse.de', 'phone', 100, 100);
    const withKept = path.join(tmp, 'with-kept.sqlite');
    await run('backup', withKept);
    expect(await run('restore', withKept)).not.to.match(/not in the backup/);
  });

  /** `change` through the web service's rules, on the database in DATA_DIR (nothing running). */
  const viaWebService = async (change: {
    id?: number;
    foreignSysPersonId?: string;
    unsubscribed: boolean;
  }): Promise<number> => {
    const db = openDatabase({
      databaseUrl: '',
      dataDir: env.DATA_DIR!,
      dbPoolMax: 1,
      sqliteBusyTimeoutMs: 10000,
    });
    try {
      const services = createServices(db, { customFields: [], defaultPartition: 'Default' });
      const { id, foreignSysPersonId, unsubscribed } = change;
      const result = await services.leads.sync(
        {
          ...(id === undefined ? {} : { id }),
          ...(foreignSysPersonId === undefined ? {} : { foreignSysPersonId }),
          attributes: [{ name: 'Unsubscribed', value: String(unsubscribed) }],
        },
        { path: ChangePaths.webService() },
      );
      return result.leadId;
    } finally {
      await db.close();
    }
  };

  it('names the opt-outs of people without an address acknowledged after the backup', async () => {
    // No master status holds such an opt-out: only the person's flag (rule 5 carries it to the
    // address it gets). One person known to the backup, subscribed there; one made after it.
    await run('migrate');
    const known = await viaWebService({ foreignSysPersonId: 'crm-known', unsubscribed: false });
    const backup = path.join(tmp, 'before-addressless.sqlite');
    await run('backup', backup);
    await viaWebService({ id: known, unsubscribed: true });
    const made = await viaWebService({ foreignSysPersonId: 'crm-made', unsubscribed: true });

    const said = await run('restore', backup);
    expect(said).to.contain(
      '2 people without an address opted out in the database it replaced, not in the backup',
    );
    expect(said).to.contain(`1 the backup holds subscribed (ids ${known}): set them again`);
    // Gone once the backup is restored: not set again by an id a new person may be given.
    expect(said).to.contain(`1 not in the backup at all (ids ${made}): they are gone`);
    expect(said).to.match(/new people may be given these ids/);
    // Nothing of an address: no replay commands for them.
    expect(said).not.to.match(/suppressions export/);
  });

  it('a backup holding every status restores without that line', async () => {
    const backup = path.join(tmp, 'whole.sqlite');
    await run('backup', backup);
    const said = await run('restore', backup);
    expect(said).to.match(/^Restored /);
    expect(said).not.to.match(/not in the backup/);
  });
});
