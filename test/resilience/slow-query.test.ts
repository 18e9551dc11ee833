import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { SLOW_QUERY, SLOW_QUERY_ROWS } from '../support/slow-query.js';
import { rawCall, startTestService, syncEmailXml, type TestService } from '../support/service.js';

const sqlite = testEngines().find((e) => e.name === 'sqlite')!;

describe('a slow SQLite query (sqlite)', function () {
  this.timeout(60000);
  let service: TestService;

  beforeEach(async () => {
    service = await startTestService(sqlite);
  });
  afterEach(() => service.stop());

  it('does not delay /healthz, other reads or writes: all answer while it runs', async () => {
    const { readKnex } = service.running.database;
    let finished = false;
    const slow = readKnex.raw(SLOW_QUERY).then((rows: Array<{ n: number }>) => {
      finished = true;
      return rows;
    });
    // Were the query run on the event loop, nothing below could answer before it ended.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${service.base}/healthz`);
      expect(res.status).to.equal(200);
      expect(finished, `/healthz answer ${i + 1} came after the slow query`).to.equal(false);
    }
    // Another reader thread serves reads; the writer thread writes.
    expect(await readKnex.raw('SELECT 1 AS one')).to.deep.equal([{ one: 1 }]);
    const write = await rawCall(service.url, syncEmailXml('beside-slow@example.com'));
    expect(write.status, write.body.slice(0, 300)).to.equal(200);
    expect(finished, 'the read and the write came after the slow query').to.equal(false);
    expect(await slow).to.deep.equal(SLOW_QUERY_ROWS);
  });
});
