import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { rawCall } from '../support/service.js';
import { freshServiceDatabase, spawnService } from '../support/service-process.js';
import { BIN, cli } from './support.js';

const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

function syncMany(batch: number, size: number): string {
  const records = Array.from({ length: size }, (_, i) => {
    const shared = `shared-${i % 7}@example.com`;
    const email = i % 5 === 0 ? shared : `b${batch}-${i}@example.com`;
    const flag = `<leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>${(batch + i) % 2 === 0}</attrValue></attribute></leadAttributeList>`;
    return `<leadRecord><Email>${email}</Email>${flag}</leadRecord>`;
  }).join('');
  return `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`;
}

function countLeads(file: string): number {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

for (const engine of testEngines()) {
  describe(`migrations and rollbacks on the command line (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let drop: () => Promise<void>;
    let dataDir: string;

    before(async () => {
      if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
      const made = await engine.create();
      drop = made.drop;
      dataDir = made.dataDir;
      await made.db.knex('leads').insert({
        email: 'kept@example.com',
        email_key: 'kept@example.com',
        created_at: 1,
        updated_at: 1,
      });
      // Only the commands below use the database (restore refuses while a process holds it).
      await made.db.close();
      env = made.url ? { DATABASE_URL: made.url } : { DATABASE_URL: '', DATA_DIR: made.dataDir };
    });
    after(() => drop());

    it('status names every migration, applied or pending', async () => {
      const r = await cli(['migrate', 'status'], env);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/^applied {2}20261126000000_leads_and_durable_status$/m);
      expect(r.stdout).to.not.contain('undefined');
    });

    it('rollback of migrations that drop data is refused without --yes-destroy-data; nothing changes', async () => {
      const before = await cli(['migrate', 'status'], env);
      // Undo the harmless last migration first, to see the refusal on the destroying ones.
      const r = await cli(['migrate', 'rollback'], env);
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^Refused: rolling back .*20261126000000_leads_and_durable_status/);
      expect(r.stderr).to.contain('--yes-destroy-data');
      if (engine.name === 'postgres') {
        expect(r.stderr).to.contain('pg_dump --format=custom');
      }
      expect((await cli(['migrate', 'status'], env)).stdout).to.equal(before.stdout);
    });

    if (engine.name === 'sqlite') {
      it('with --yes-destroy-data the SQLite database is backed up first, then rolled back', async () => {
        const nowhere = path.join(dataDir, 'no-such-dir', 'x.sqlite');
        const failed = await cli(
          ['migrate', 'rollback', '--yes-destroy-data', '--backup', nowhere],
          env,
        );
        expect(failed.code).to.equal(1);
        expect(failed.stderr).to.match(
          /^Nothing rolled back: the backup failed: directory .* does not exist\n$/,
        );
        expect((await cli(['migrate', 'status'], env)).stdout).to.not.contain('pending');
        const file = path.join(dataDir, 'kept-before-rollback.sqlite');
        const r = await cli(['migrate', 'rollback', '--yes-destroy-data', '--backup', file], env);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`Backed up to ${file} before rolling back.`);
        expect(r.stdout).to.contain('Rolled back: ');
        expect(countLeads(file)).to.equal(1);
        expect(mode(file)).to.equal('600');
        const status = await cli(['migrate', 'status'], env);
        expect(status.stdout).to.match(/^pending {2}20261126000000_leads_and_durable_status$/m);
        expect(status.stdout).to.not.contain('undefined');
        // The backup brings the data back.
        const restored = await cli(['restore', file], env);
        expect(restored.code, restored.stderr).to.equal(0);
        expect(countLeads(path.join(dataDir, SQLITE_FILE_NAME))).to.equal(1);
      });
    }
  });
}

describe('backup and restore', function () {
  this.timeout(180000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-backup-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('backs up the SQLite database while bulk writes run; the restored copy passes verify', async () => {
    const [sqlite] = testEngines();
    const db = await freshServiceDatabase(sqlite!);
    const service = await spawnService(db.env, { built: true });
    const backups: string[] = [];
    try {
      let acknowledged = 0;
      let running = true;
      let batch = 0;
      const writer = async () => {
        while (running) {
          const res = await rawCall(service.url, syncMany(batch++, 50));
          if (res.status === 200) acknowledged++;
        }
      };
      const writers = [writer(), writer()];
      for (let i = 0; i < 600 && acknowledged === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 3; i++) {
        const file = path.join(tmp, `live-${i}.sqlite`);
        const r = await cli(['backup', file], db.env);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`to ${file}`);
        expect(mode(file)).to.equal('600');
        backups.push(file);
      }
      const refused = await cli(['restore', backups[0]!], db.env);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^restore: the database is open in process \d+/);
      running = false;
      await Promise.all(writers);
      expect(acknowledged).to.be.greaterThan(0);
      expect(await cli(['backup', backups[0]!], db.env)).to.include({ code: 1 });
    } finally {
      await service.stop();
      await db.drop();
    }
    for (const file of backups) {
      const restoreDir = path.join(tmp, `restored-${path.basename(file)}`);
      const env = { DATABASE_URL: '', DATA_DIR: restoreDir };
      const restored = await cli(['restore', file], env);
      expect(restored.code, restored.stderr).to.equal(0);
      expect(countLeads(path.join(restoreDir, SQLITE_FILE_NAME))).to.be.greaterThan(0);
      const verified = await cli(['verify'], env);
      expect(verified.code, verified.stdout).to.equal(0);
      expect(verified.stdout).to.contain('OK: every person');
    }
    // A second restore into the same directory keeps the database it replaces.
    const again = await cli(['restore', backups[1]!], {
      DATABASE_URL: '',
      DATA_DIR: path.join(tmp, `restored-${path.basename(backups[0]!)}`),
    });
    expect(again.stdout).to.match(/The database it replaced is in .*before-restore-.*\.sqlite/);
  });

  it('refuses a file that is not a durable-unsubscribe database', async () => {
    const junk = path.join(tmp, 'junk.sqlite');
    fs.writeFileSync(junk, 'not a database at all, just text');
    const r = await cli(['restore', junk], { DATABASE_URL: '', DATA_DIR: path.join(tmp, 'x') });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal(`restore: ${junk} is not an SQLite database\n`);
  });

  it('on PostgreSQL, backup and restore refuse and point to pg_dump / pg_restore, never showing the password', async () => {
    const env = { DATABASE_URL: 'postgres://app:hunter2secret@db.internal:5433/durable' };
    const b = await cli(['backup', path.join(tmp, 'pg.dump')], env);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.contain(
      'pg_dump --format=custom --file=du-$(date +%F).dump --host=db.internal --port=5433 --username=app durable',
    );
    expect(b.stderr).to.not.contain('hunter2secret');
    const r = await cli(['restore', path.join(tmp, 'pg.dump')], env);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('pg_restore');
  });

  it('on PostgreSQL, restore prints the pg_restore line for DATABASE_URL between an export and an import of the opt-outs since the dump', async () => {
    // Before: "… PostgreSQL is restored with pg_restore (see docs/operations.md)", nothing to
    // run and nothing said of the opt-outs acknowledged since the dump, which pg_restore drops.
    const env = { DATABASE_URL: 'postgres://app:hunter2secret@db.internal:5433/durable' };
    const dump = path.join(tmp, 'pg.dump');
    const r = await cli(['restore', dump], env);
    expect(r.code).to.equal(2);
    const lines = r.stderr.split('\n');
    const at = (needle: string) => lines.findIndex((line) => line.includes(needle));
    const restoring = at(
      `pg_restore --clean --if-exists --no-owner --host=db.internal --port=5433 --username=app --dbname=durable ${dump}`,
    );
    expect(restoring, r.stderr).to.be.above(0);
    expect(at('suppressions export --since'), r.stderr).to.be.within(0, restoring - 1);
    expect(at('suppressions import'), r.stderr).to.be.above(restoring);
    expect(r.stderr).to.not.contain('hunter2secret');
  });
});

describe('config', function () {
  this.timeout(30000);

  it('shows the values in effect, where they come from, secrets masked; exit 1 on an invalid one', async () => {
    const r = await cli(['config'], {
      PORT: '9090',
      DATABASE_URL: 'postgres://app:hunter2secret@db/durable',
      MKTOWS_USERS: 'erp:KEY0123456789,crm:KEYABCDEF',
      USER_KEY_SECRET: 'a-very-secret-sealing-key',
      ADMIN_USERS: 'alice:correct horse battery',
      SFDC_PATH_SECRET: 'path-secret-0123456789',
    });
    expect(r.code, r.stdout).to.equal(0);
    expect(r.stdout).to.match(/^PORT\s+"9090"\s+\(environment\)$/m);
    expect(r.stdout).to.match(/^HOST\s+"0\.0\.0\.0"\s+\(default\)$/m);
    expect(r.stdout).to.contain('"postgres://app:***@db/durable"');
    expect(r.stdout).to.contain('"erp:***,crm:***"');
    expect(r.stdout).to.contain('"alice:***"');
    for (const secret of [
      'hunter2secret',
      'KEY0123456789',
      'KEYABCDEF',
      'a-very-secret',
      'correct horse',
      'path-secret',
    ])
      expect(r.stdout).to.not.contain(secret);
    const bad = await cli(['config'], { PORT: 'eighty' });
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.match(
      /^PORT\s+"eighty"\s+\(environment\)\s+INVALID: PORT must be a whole number/m,
    );
    const defaults = await cli(['config', '--defaults'], {});
    expect(defaults.stdout).to.match(/^PORT\s+default: "8080"/m);
  });
});
