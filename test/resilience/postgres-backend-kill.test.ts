/**
 * PostgreSQL: the service's server processes terminated (pg_terminate_backend) again and again
 * while calls that opt out are in flight. A call answered success is stored; one answered with
 * a fault stored nothing of its group.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { testEngines } from '../support/database.js';
import {
  afterRestart,
  LINK_SETTINGS,
  linkTokens,
  unsubscribedMasters,
} from '../support/kill-while-calling.js';
import { rawCall, TEST_KEY_SECRET } from '../support/service.js';
import { cli, spawnCli } from '../ops/support.js';
import { oneClick } from '../one-click/support.js';
import { withFreshDatabase, withFreshService } from '../support/service-process.js';

const GROUP = 20;

const unsubscribeMany = (emails: string[]) =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${emails
    .map(
      (e) =>
        `<leadRecord><Email>${e}</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord>`,
    )
    .join('')}</leadRecordList></ns1:paramsSyncMultipleLeads>`;

/** Terminates the service's busy server processes every 50-130 ms until `done()`; how many. */
async function terminateUntil(url: string, done: () => boolean, rounds = 1000): Promise<number> {
  const killer = new pg.Client({ connectionString: url });
  await killer.connect();
  let killed = 0;
  try {
    for (let round = 0; round < rounds && !done(); round++) {
      await new Promise((r) => setTimeout(r, 50 + (round % 5) * 20));
      const r = await killer.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND state IN ('active', 'idle in transaction')`,
      );
      killed += r.rowCount ?? 0;
    }
  } finally {
    await killer.end();
  }
  return killed;
}

const postgres = testEngines().filter((e) => e.name === 'postgres');

for (const engine of postgres) {
  describe('PostgreSQL server processes terminated under calls that opt out', function () {
    this.timeout(120000);

    it('loses no acknowledged opt-out and half-applies no call answered with a fault', async () => {
      await withFreshService(
        engine,
        { settings: LINK_SETTINGS, built: true },
        async (service, env) => {
          const tokens = linkTokens();
          const acked: string[] = [];
          const faulted: string[] = [];
          const groupsAcked: string[][] = [];
          const groupsFaulted: string[][] = [];
          let sent = 0;
          let running = true;
          const clicks = async () => {
            while (running) {
              const email = `pg-kill-click-${sent++}@example.com`;
              const res = await oneClick(`${service.base}/u/${tokens.create(email)}`);
              (res.status === 200 && res.body === 'Unsubscribed.\n' ? acked : faulted).push(email);
            }
          };
          const groups = async () => {
            while (running) {
              const n = sent++;
              const emails = Array.from(
                { length: GROUP },
                (_, i) => `pg-kill-${n}-${i}@example.com`,
              );
              const res = await rawCall(service.url, unsubscribeMany(emails));
              const ok = [...res.body.matchAll(/<status>(CREATED|UPDATED)<\/status>/g)].length;
              if (res.status === 200 && ok === GROUP) groupsAcked.push(emails);
              else if (res.status !== 200) groupsFaulted.push(emails);
              else throw new Error(`a group answered in part: ${res.body.slice(0, 400)}`);
            }
          };
          const clients = [clicks(), clicks(), clicks(), groups(), groups()];
          const killed = await terminateUntil(env.DATABASE_URL!, () => false, 40);
          running = false;
          await Promise.all(clients);
          await service.stop();
          expect(killed).to.be.above(0);
          expect(faulted.length + groupsFaulted.length, 'calls answered with a fault').to.be.above(
            0,
          );
          expect(acked.length + groupsAcked.length, 'calls acknowledged').to.be.above(0);

          await afterRestart(env, async (database) => {
            const ackedEmails = [...acked, ...groupsAcked.flat()];
            expect(await unsubscribedMasters(database, ackedEmails)).to.have.members(ackedEmails);
            expect(await unsubscribedMasters(database, faulted), 'one-click faults').to.deep.equal(
              [],
            );
            const stored = (await database
              .knex('leads')
              .whereIn('email', groupsFaulted.flat())
              .select('email')) as Array<{ email: string }>;
            expect(
              stored.map((r) => r.email),
              'groups answered with a fault',
            ).to.deep.equal([]);
          });
        },
      );
    });
    it('suppressions import: exit 0 only with every row stored, else it says how many are', async () => {
      await withFreshDatabase(engine, async (dbEnv) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-kill-'));
        try {
          const rows = 30000;
          const list = path.join(dir, 'list.csv');
          const lines = ['email,reason'];
          for (let i = 0; i < rows; i++) lines.push(`cli-kill-${i}@example.com,asked`);
          fs.writeFileSync(list, lines.join('\n') + '\n');
          const env = { DATABASE_URL: dbEnv.DATABASE_URL!, USER_KEY_SECRET: TEST_KEY_SECRET };
          const { child, out, err } = spawnCli(['suppressions', 'import', list], env);
          let code: number | null | undefined;
          const exited = new Promise<void>((r) =>
            child.on('exit', (c) => {
              code = c;
              r();
            }),
          );
          // Mid-import: once some batches are stored.
          const watcher = new pg.Client({ connectionString: env.DATABASE_URL });
          await watcher.connect();
          for (let i = 0; i < 600 && code === undefined; i++) {
            const r = await watcher.query('SELECT count(*)::int AS n FROM email_status');
            if ((r.rows[0] as { n: number }).n > 0) break;
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          await watcher.end();
          const killed = await terminateUntil(env.DATABASE_URL, () => code !== undefined);
          await exited;
          expect(killed).to.be.above(0);
          await afterRestart(dbEnv, async (database) => {
            const stored = Number(
              (
                (await database.knex('email_status').where('unsubscribed', true).count({
                  n: '*',
                })) as Array<{ n: number | string }>
              )[0]!.n,
            );
            const said = /the first (\d+) rows? of .* are imported and stored/.exec(err());
            if (code === 0) expect(stored, out()).to.equal(rows);
            else {
              expect(err(), `exit ${code}`).to.not.match(/\n\s+at /);
              expect(said, err()).to.not.equal(null);
              expect(stored).to.be.at.least(Number(said![1]));
            }
          });
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    });
    it('suppressions add: exit 0 only when stored, and nothing stored by one that failed', async () => {
      await withFreshDatabase(engine, async (dbEnv) => {
        const env = { DATABASE_URL: dbEnv.DATABASE_URL!, USER_KEY_SECRET: TEST_KEY_SECRET };
        const results: Array<{ email: string; code: number; stderr: string }> = [];
        let done = false;
        const adds = (async () => {
          for (let i = 0; i < 12; i++) {
            const email = `add-kill-${i}@example.com`;
            const r = await cli(['suppressions', 'add', email, '--reason', 'asked'], env);
            results.push({ email, code: r.code, stderr: r.stderr });
          }
          done = true;
        })();
        await terminateUntil(env.DATABASE_URL, () => done);
        await adds;
        const ok = results.filter((r) => r.code === 0).map((r) => r.email);
        const failed = results.filter((r) => r.code !== 0);
        for (const f of failed) expect(/\n\s+at /.test(f.stderr), f.stderr).to.equal(false);
        await afterRestart(dbEnv, async (database) => {
          expect(await unsubscribedMasters(database, ok)).to.have.members(ok);
          const rows = (await database
            .knex('email_status_history')
            .whereIn(
              'email_key',
              failed.map((f) => f.email),
            )
            .select('email_key')) as unknown[];
          expect(rows, 'history of adds that failed').to.deep.equal([]);
        });
      });
    });
  });
}
