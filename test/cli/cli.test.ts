import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SQLITE_FILE_NAME, type Database } from '../../src/data-access/database.js';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { createServices } from '../../src/compose.js';
import { testEngines } from '../support/database.js';
import { optOutWithReason } from '../support/harness.js';
import { TEST_KEY_SECRET } from '../support/service.js';
import { BIN, cli, cliSuite, exitWithPeakRss } from '../ops/support.js';

for (const engine of testEngines()) {
  describe(`the durable-unsubscribe command line (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let db: Database;
    let dir: string;

    cliSuite(engine, 'du-cli-', (suite) => ({ env, db, dir } = suite), {
      USER_KEY_SECRET: TEST_KEY_SECRET,
    });

    it('an error echoing what was typed shows its control characters escaped, never a terminal escape', async () => {
      const r = await cli(['suppressions', 'add', 'e\u001b[31m@example.com', '--reason', 'x'], env);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.equal('e\\u001b[31m@example.com: Email is not a valid address\n');
    });

    it('prints help for the program and every command', async () => {
      const top = await cli(['--help'], env);
      expect(top.code).to.equal(0);
      for (const command of [
        'serve',
        'migrate',
        'users',
        'suppressions',
        'explain',
        'verify',
        'config',
      ]) {
        expect(top.stdout).to.contain(command);
        const r = await cli([command, '--help'], env);
        expect(r.code, command).to.equal(0);
        expect(r.stdout, command).to.match(/^Usage: durable-unsubscribe /);
      }
      const unknown = await cli(['frobnicate'], env);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain('Unknown command');
    });

    it('reports migration status', async () => {
      const r = await cli(['migrate', 'status'], env);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/applied\s+20261126000000_leads_and_durable_status/);
      expect(r.stdout).to.not.contain('pending');
    });

    it('adds, lists and removes SOAP users; keys are shown once and sealed at rest', async () => {
      const added = await cli(['users', 'add', '--id', 'erp_sync', '--description', 'ERP'], env);
      expect(added.code, added.stderr).to.equal(0);
      const key = /encryptionKey:\s+(\S+)/.exec(added.stdout)?.[1];
      expect(key).to.match(/^[0-9A-F]{48}$/);
      const list = await cli(['users', 'list'], env);
      expect(list.stdout).to.contain('erp_sync');
      expect(list.stdout).to.not.contain(key!);
      const [row] = (await db.knex('mktows_users').where('user_id', 'erp_sync')) as Array<{
        encryption_key: string;
      }>;
      expect(row!.encryption_key).to.not.contain(key!);
      expect(row!.encryption_key).to.match(/^v2:/);
      expect((await cli(['users', 'add', '--id', 'erp_sync'], env)).code).to.equal(1);
      expect((await cli(['users', 'remove', 'erp_sync'], env)).code).to.equal(0);
      expect((await cli(['users', 'list'], env)).stdout).to.not.contain('erp_sync');
    });

    it('users seal: seals keys stored in clear, which are refused until then', async () => {
      await db.knex('mktows_users').insert({
        user_id: 'from_before',
        encryption_key: 'KEY-STORED-IN-CLEAR',
        description: null,
        created_at: Date.now(),
      });
      const sealed = await cli(['users', 'seal'], env);
      expect(sealed.code, sealed.stderr).to.equal(0);
      expect(sealed.stdout).to.contain('Sealed 1 stored key with');
      const [row] = (await db.knex('mktows_users').where('user_id', 'from_before')) as Array<{
        encryption_key: string;
      }>;
      expect(row!.encryption_key).to.match(/^v2:/).and.not.contain('KEY-STORED-IN-CLEAR');
      expect((await cli(['users', 'seal'], env)).stdout).to.contain('Sealed 0 stored keys with');
      expect((await cli(['users', 'remove', 'from_before'], env)).code).to.equal(0);
    });

    it('imports a suppression list: rejects, people follow the rules, idempotent, dry run writes nothing', async () => {
      const services = createServices(db, { customFields: [], defaultPartition: 'Default' });
      const web = ChangePaths.webService();
      const held = await services.leads.sync({ email: 'Held@Example.com' }, { path: web });
      const other = await services.leads.sync(
        { email: 'held@example.com ' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const csv = path.join(dir, 'list.csv');
      fs.writeFileSync(
        csv,
        [
          'Email,Reason,Source,Date',
          'held@example.com,complained,ESP bounce file,2026-01-02T03:04:05Z',
          'nobody-yet@example.com,,,',
          'not-an-address,x,y,',
          'HELD@example.com,again,,',
          'dated@example.com,,,not-a-date',
          '"""quoted,name""@example.com","reason, with comma",,',
        ].join('\n') + '\n',
      );

      const dry = await cli(['suppressions', 'import', csv, '--dry-run'], env);
      expect(dry.code, dry.stderr).to.equal(1);
      expect(dry.stdout).to.contain('Dry run');
      expect(fs.existsSync(`${csv}.rejects.csv`), 'a dry run writes no rejects file').to.equal(
        false,
      );
      expect(dry.stdout).to.match(/3 addresses would be suppressed/);
      expect(dry.stdout).to.match(/2 people would be unsubscribed/);
      expect((await services.durableStatus.explain('held@example.com')).status).to.equal(null);

      const first = await cli(['suppressions', 'import', csv, '--actor', 'list-loader'], env);
      // Exit code 1: some lines were rejected (the valid ones are imported all the same).
      expect(first.code, first.stderr).to.equal(1);
      expect(first.stdout).to.match(
        /6 rows; 3 addresses suppressed, 0 already suppressed, 2 people unsubscribed, 3 rejected/,
      );
      const rejects = fs.readFileSync(`${csv}.rejects.csv`, 'utf8');
      expect(rejects).to.contain('4,not-an-address');
      expect(rejects).to.contain('5,HELD@example.com,duplicate');
      expect(rejects).to.contain('6,dated@example.com');

      const report = await services.durableStatus.explain('held@example.com');
      expect(report.status?.unsubscribed).to.equal(true);
      expect(report.status?.reason).to.equal('complained');
      expect(report.status?.changedAt).to.equal(Date.parse('2026-01-02T03:04:05Z'));
      expect(report.leads.map((l) => l.unsubscribed)).to.deep.equal([true, true]);
      expect(
        (await services.durableStatus.explain('nobody-yet@example.com')).status?.unsubscribed,
      ).to.equal(true);
      expect(
        (await services.durableStatus.explain('"quoted,name"@example.com')).status?.reason,
      ).to.equal('reason, with comma');
      const acts = await services.activities.listForLead({
        keyType: 'IDNUM',
        keyValue: String(other.leadId),
      });
      expect(acts.activities[0]?.attributes).to.deep.include(['Source', 'Suppression import']);

      // A person created later on a suppressed address is unsubscribed (rule 3).
      const late = await services.leads.sync({ email: 'nobody-yet@example.com' }, { path: web });
      expect(late.lead.unsubscribed).to.equal(true);

      const historyBefore = report.history.length;
      const second = await cli(['suppressions', 'import', csv], env);
      expect(second.stdout).to.match(
        /0 addresses suppressed, 3 already suppressed, 0 people unsubscribed/,
      );
      expect((await services.durableStatus.explain('held@example.com')).history.length).to.equal(
        historyBefore,
      );
      expect(held.leadId).to.be.a('number');
      expect(await services.durableStatus.findViolations()).to.deep.equal([]);
    });

    it('exports the master status as CSV, optionally since a date', async () => {
      const all = await cli(['suppressions', 'export'], env);
      expect(all.code).to.equal(0);
      const lines = all.stdout.trim().split('\n');
      expect(lines[0]).to.equal('email,unsubscribed,reason,source,date');
      expect(lines).to.include(
        'held@example.com,true,complained,ESP bounce file (list-loader),2026-01-02T03:04:05.000Z',
      );
      expect(all.stdout).to.contain('"""quoted,name""@example.com",true,"reason, with comma"');
      // --since selects on when a status was recorded: the import backdated to January was
      // recorded just now, so an incremental export since June still carries it.
      const recent = await cli(['suppressions', 'export', '--since', '2026-06-01'], env);
      expect(recent.stdout).to.contain('held@example.com');
      expect(recent.stdout).to.contain('nobody-yet@example.com');
      const future = await cli(['suppressions', 'export', '--since', '2999-01-01'], env);
      expect(future.stdout).to.equal('email,unsubscribed,reason,source,date\n');
      expect((await cli(['suppressions', 'export', '--since', 'soon'], env)).code).to.equal(2);
    });

    it('explains an address: status, history and people', async () => {
      const r = await cli(['explain', 'HELD@example.com'], env);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.contain('Master status: UNSUBSCRIBED since 2026-01-02T03:04:05.000Z');
      expect(r.stdout).to.contain('reason: complained');
      expect(r.stdout).to.match(/People holding it \(2\)/);
      expect(r.stdout).to.contain('partition East');
      const none = await cli(['explain', 'never@example.com'], env);
      expect(none.stdout).to.contain('Master status: none');
    });

    it('explain shows a bidirectional control a SOAP client stored in a reason escaped: no line shown reordered', async () => {
      const services = createServices(db, { customFields: [], defaultPartition: 'Default' });
      // Shown raw on a terminal that orders text as Unicode says (VTE, Konsole), U+202E shows
      // the rest of its line backwards: this reason reads "admin operator lifted it".
      const reason = '\u202eti detfil rotarepo nimda\u2066x\u2069\u200f\u061c';
      await optOutWithReason(services, 'bidi@example.com', reason);
      const r = await cli(['explain', 'bidi@example.com'], env);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.not.match(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
      expect(r.stdout).to.contain(
        'reason: \\u202eti detfil rotarepo nimda\\u2066x\\u2069\\u200f\\u061c',
      );
    });

    it('verifies the invariant, and exits 1 naming the lead when it is broken', async () => {
      const ok = await cli(['verify'], env);
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0);
      const [victim] = (await db
        .knex('leads')
        .where('email_key', 'held@example.com')
        .select('id')) as Array<{ id: number }>;
      await db.knex('leads').where('id', victim!.id).update({ unsubscribed: false });
      const bad = await cli(['verify'], env);
      expect(bad.code).to.equal(1);
      expect(bad.stdout).to.contain(
        `lead ${victim!.id} <held@example.com>: Unsubscribed=false, master=true`,
      );
      await db.knex('leads').where('id', victim!.id).update({ unsubscribed: true });
    });

    it('refuses bad configuration with a clear message', async () => {
      const r = await cli(['verify'], { ...env, PORT: 'eighty' });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('Configuration error: PORT must be a whole number');
    });
  });
}

describe('suppressions import streams a large file', function () {
  this.timeout(300000);

  it('imports 200,000 rows with bounded memory', async () => {
    const made = await testEngines()[0]!.create();
    try {
      const file = path.join(made.dataDir, 'big.csv');
      const out = fs.createWriteStream(file);
      out.write('email,reason\n');
      for (let i = 0; i < 200000; i++) out.write(`person${i}@big.example.com,bulk list\n`);
      await new Promise<void>((r) => out.end(r));
      const child = spawn(process.execPath, [BIN, 'suppressions', 'import', file], {
        env: { ...process.env, DATABASE_URL: '', DATA_DIR: made.dataDir, LOG_LEVEL: 'warn' },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const { code, peak } = await exitWithPeakRss(child, 50);
      expect(code, stdout).to.equal(0);
      expect(stdout).to.match(/200000 rows; 200000 addresses suppressed/);
      expect(peak).to.be.above(0);
      expect(peak, `peak RSS ${Math.round(peak / 1048576)} MiB`).to.be.below(300 * 1024 * 1024);
      expect(fs.existsSync(path.join(made.dataDir, SQLITE_FILE_NAME))).to.equal(true);
    } finally {
      await made.drop();
    }
  });
});
