import { expect } from 'chai';
import {
  createPrivatePostgres,
  privatePostgresUnavailable,
  type PrivatePostgres,
} from '../support/private-postgres.js';
import { rawCall, syncEmailXml, TEST_USER } from '../support/service.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The service's JSON log lines, and the lines of its output that are not JSON. */
function lines(output: string): { json: Record<string, unknown>[]; plain: string[] } {
  const json: Record<string, unknown>[] = [];
  const plain: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    try {
      json.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      plain.push(line);
    }
  }
  return { json, plain };
}

describe('the log of a PostgreSQL outage', function () {
  this.timeout(120000);
  let pg: PrivatePostgres | undefined;
  let service: ServiceProcess | undefined;

  before(async function () {
    if (privatePostgresUnavailable()) return this.skip();
    pg = await createPrivatePostgres();
    service = await spawnService(
      {
        DATABASE_URL: pg.url,
        LOG_LEVEL: 'info',
        WORKERS: '1',
        MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
      },
      { built: true },
    );
  });
  after(async () => {
    await service?.stop();
    pg?.destroy();
  });

  it('says the console jobs wait in one line, their return in one, and nothing on stderr of knex', async () => {
    // Pooled connections that the outage will break.
    await Promise.all(
      [1, 2, 3].map((i) => rawCall(service!.url, syncEmailXml(`before${i}@example.com`))),
    );
    pg!.stop();
    await rawCall(service!.url, syncEmailXml('during@example.com'));
    // The job runner passes every 5 s: two or three passes fail while the server is down.
    await sleep(12000);
    pg!.start();
    let recovered = false;
    for (let i = 0; i < 60 && !recovered; i++) {
      recovered = (await rawCall(service!.url, syncEmailXml('after@example.com'))).status === 200;
      if (!recovered) await sleep(500);
    }
    expect(recovered, service!.output()).to.equal(true);
    // The next pass of the job runner, which succeeds.
    await sleep(6000);

    const { json, plain } = lines(service!.output());
    const shown = service!.output();
    // knex's own words ("Connection Error: Connection ended unexpectedly") never reach stderr.
    expect(
      plain.filter((l) => /Connection Error/i.test(l)),
      shown,
    ).to.deep.equal([]);
    const jobs = json.filter((l) => String(l.msg).startsWith('console job'));
    expect(
      jobs.map((l) => [l.level, String(l.msg).replace(/PostgreSQL at \S+/, 'PostgreSQL at HOST')]),
      shown,
    ).to.deep.equal([
      [
        40,
        'console jobs (bulk changes, suppression imports) wait: PostgreSQL at HOST (DATABASE_URL) is unreachable (ECONNREFUSED); they resume by themselves when it answers',
      ],
      [30, 'console jobs (bulk changes, suppression imports) run again'],
    ]);
    for (const line of jobs) expect(line).not.to.have.property('err');
    // A call the outage failed (20011): its cause in one line, no stack.
    const failed = json.filter((l) => String(l.msg).startsWith('SOAP call failed'));
    expect(failed.length, shown).to.be.at.least(1);
    for (const line of failed) {
      expect(line, shown).not.to.have.property('err');
      expect(line.cause, shown).to.match(/^Database unavailable: .*ECONNREFUSED/);
    }
    // The broken pooled connections: at most one line, in the log, no stack.
    const lost = json.filter((l) => /closed idle pooled connections/.test(String(l.msg)));
    expect(lost.length, shown).to.be.at.most(1);
    for (const line of lost) expect(line.level).to.equal(40);
  });
});
