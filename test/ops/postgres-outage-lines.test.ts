import { expect } from 'chai';
import { rawCall, syncEmailXml, TEST_USER } from '../support/service.js';
import { logLines, serviceOnPrivatePostgres } from '../support/outage-service.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the log of a PostgreSQL outage', function () {
  this.timeout(120000);
  const s = serviceOnPrivatePostgres({
    MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
  });

  it('says the console jobs wait in one line, their return in one, and nothing on stderr of knex', async () => {
    // Pooled connections that the outage will break.
    await Promise.all(
      [1, 2, 3].map((i) => rawCall(s.service.url, syncEmailXml(`before${i}@example.com`))),
    );
    s.pg.stop();
    await rawCall(s.service.url, syncEmailXml('during@example.com'));
    // The job runner passes every 5 s: two or three passes fail while the server is down.
    await sleep(12000);
    s.pg.start();
    let recovered = false;
    for (let i = 0; i < 60 && !recovered; i++) {
      recovered = (await rawCall(s.service.url, syncEmailXml('after@example.com'))).status === 200;
      if (!recovered) await sleep(500);
    }
    expect(recovered, s.service.output()).to.equal(true);
    // The next pass of the job runner, which succeeds.
    await sleep(6000);

    const { json, plain } = logLines(s.service.output());
    const shown = s.service.output();
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
