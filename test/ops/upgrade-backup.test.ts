/**
 * `serve` on an embedded database to which an upgrade brings migrations backs it up first, in
 * DATA_DIR (docs/operations.md, "Upgrading"): the copy is the database as the previous version
 * left it, and `restore` makes it that again. A first start and a restart with nothing pending
 * take none, and PostgreSQL never gets one (pg_dump is its backup); a copy that cannot be
 * written stops the start in one line, with nothing migrated. Through the built command line.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { spawnService } from '../support/service-process.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import {
  asThePreviousVersionLeftIt,
  BIN,
  cli,
  embeddedEnv,
  LAST_MIGRATION as LAST,
  spawnOutput,
} from './support.js';

const upgradeBackups = (dir: string) =>
  fs.readdirSync(dir).filter((f) => f.startsWith('before-upgrade-') || f.includes('.partial-'));

/** The migrations recorded in an SQLite file. */
function recordedIn(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT name FROM knex_migrations').all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
}

async function startAndStop(env: Record<string, string>): Promise<string> {
  const service = await spawnService({ WORKERS: '1', ...env }, { built: true });
  try {
    const ready = await fetch(`${service.base}/readyz`);
    expect(ready.status, service.output()).to.equal(200);
  } finally {
    await service.stop();
  }
  return service.output();
}

for (const engine of testEngines()) {
  describe(`serve before an upgrade's migrations (${engine.name})`, function () {
    this.timeout(120000);
    let made: Awaited<ReturnType<typeof engine.create>>;
    let env: Record<string, string>;

    before(() => {
      if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    });
    beforeEach(async () => {
      made = await engine.create();
      env = made.url
        ? { DATABASE_URL: made.url, USER_KEY_SECRET: TEST_KEY_SECRET }
        : embeddedEnv(made.dataDir);
      await asThePreviousVersionLeftIt(made.db);
      await made.db.close();
    });
    afterEach(() => made.drop());

    if (engine.name === 'sqlite') {
      it('copies the database as the previous version left it, then migrates it', async () => {
        const output = await startAndStop({ ...env, LOG_LEVEL: 'info' });
        const [copy, ...more] = upgradeBackups(made.dataDir);
        expect(more, 'other copies').to.deep.equal([]);
        expect(copy).to.match(/^before-upgrade-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.sqlite$/);
        const file = path.join(made.dataDir, copy!);
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        expect(output).to.contain(`backed up the database to ${file} before migrating`);
        expect(recordedIn(file)).to.not.include(LAST);
        expect(recordedIn(file)).to.include('20261204000000_drop_lead_activity_nth_id');
        expect(recordedIn(path.join(made.dataDir, SQLITE_FILE_NAME))).to.include(LAST);

        // The way back: restored, it is the previous version's database again.
        const restore = await cli(['restore', file], env);
        expect(restore.code, restore.stderr).to.equal(0);
        const status = await cli(['migrate', 'status'], env);
        expect(status.code, status.stderr).to.equal(0);
        expect(status.stdout.split('\n').filter((l) => l.startsWith('pending'))).to.deep.equal([
          `pending  ${LAST}`,
        ]);
      });

      it('takes none on a first start, nor on a restart with nothing pending', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-upgrade-'));
        try {
          const fresh = embeddedEnv(path.join(dir, 'data'));
          await startAndStop(fresh);
          await startAndStop(fresh);
          expect(upgradeBackups(fresh.DATA_DIR!)).to.deep.equal([]);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a migration that fails leaves no copy: a start retried on failure does not fill the disk', async () => {
        // Its column is there, its record gone: running it again fails (a duplicate column).
        const broken = '20261203000900_operator_session_credentials';
        const db = new BetterSqlite3(path.join(made.dataDir, SQLITE_FILE_NAME));
        db.prepare('DELETE FROM knex_migrations WHERE name = ?').run(broken);
        db.close();
        for (let attempt = 1; attempt <= 2; attempt++) {
          const r = await cli(['serve'], { ...env, WORKERS: '1' });
          expect(r.code, r.stderr).to.equal(1);
          expect(r.stderr).to.match(new RegExp(`^migration ${broken} failed: `));
          expect(upgradeBackups(made.dataDir), `after attempt ${attempt}`).to.deep.equal([]);
        }
      });

      it('a start killed while it migrated leaves its copy; the next one keeps its own copy only', async () => {
        // What a SIGKILL (a health check's, an OOM kill, a power loss) during the migrations
        // leaves: SQLite undid the batch, and the copy taken before it stays, holding the
        // database as it still is. Made here as such a start leaves it, without timing a kill.
        const live = path.join(made.dataDir, SQLITE_FILE_NAME);
        const killed = path.join(made.dataDir, 'before-upgrade-2026-12-01T08-00-00-000Z.sqlite');
        // A copy is one file in rollback-journal mode, as backupSqlite writes it.
        const copyOfLive = (to: string) => {
          fs.copyFileSync(live, to);
          const copy = new BetterSqlite3(to);
          copy.pragma('journal_mode = DELETE');
          return copy;
        };
        copyOfLive(killed).close();
        // A copy from an upgrade that completed (its migrations are behind the database's).
        const earlier = path.join(made.dataDir, 'before-upgrade-2026-11-30T08-00-00-000Z.sqlite');
        const old = copyOfLive(earlier);
        old
          .prepare('DELETE FROM knex_migrations WHERE id = (SELECT max(id) FROM knex_migrations)')
          .run();
        old.close();

        // And what one killed while it copied leaves: its partial copy and journal.
        const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
        const partial = path.join(made.dataDir, `${path.basename(killed)}.partial-${gone}`);
        for (const f of [partial, `${partial}-journal`]) fs.writeFileSync(f, 'x');

        const output = await startAndStop({ ...env, LOG_LEVEL: 'info' });
        const copies = upgradeBackups(made.dataDir).sort();
        expect(copies, 'copies').to.have.length(2);
        expect(copies[0]).to.equal(path.basename(earlier));
        const own = path.join(made.dataDir, copies[1]!);
        expect(output).to.contain(`backed up the database to ${own} before migrating`);
        expect(output).to.contain(
          `removed ${killed}, the copy an earlier start took before the same migrations and did not finish`,
        );
        expect(output).to.contain(`removed ${partial}, the copy an earlier start took`);
        expect(recordedIn(live)).to.include(LAST);
      });

      it('a copy that cannot be written stops the start in one line, nothing migrated', async () => {
        const size = fs.statSync(path.join(made.dataDir, SQLITE_FILE_NAME)).size;
        // A file size limit (ulimit -f, KiB) below the database's size: the copy cannot be made.
        const serve = spawnOutput(
          'bash',
          [
            '-c',
            `ulimit -f ${Math.floor(size / 2048)} && exec "$0" "$@"`,
            process.execPath,
            BIN,
            'serve',
          ],
          { ...env, WORKERS: '1' },
        );
        // Started after all (the copy made): stopped, and the test fails below.
        const started = setTimeout(() => serve.child.kill('SIGTERM'), 30000);
        const code = await new Promise<number>((resolve) =>
          serve.child.on('close', (c) => resolve(c ?? 1)),
        );
        clearTimeout(started);
        const r = { code, stdout: serve.out(), stderr: serve.err() };
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.match(
          new RegExp(
            `^Configuration error: DATA_DIR: cannot back up the database before applying migrations ${LAST} \\([^\\n]*\\); nothing was migrated\\. [^\\n]*\\n$`,
          ),
        );
        expect(upgradeBackups(made.dataDir)).to.deep.equal([]);
        const status = await cli(['migrate', 'status'], env);
        expect(status.stdout).to.contain(`pending  ${LAST}`);
      });
    } else {
      it('migrates without writing any copy of its own (pg_dump is the backup)', async () => {
        const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'du-upgrade-'));
        try {
          await startAndStop({ ...env, DATA_DIR: cwd });
          expect(fs.readdirSync(cwd)).to.deep.equal([]);
          const status = await cli(['migrate', 'status'], env);
          expect(status.stdout).to.not.contain('pending');
        } finally {
          fs.rmSync(cwd, { recursive: true, force: true });
        }
      });
    }
  });
}
