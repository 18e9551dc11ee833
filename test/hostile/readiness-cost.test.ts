import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';

/** The statement each look at readiness ends with: the applied migrations, read in order. */
const LOOK = /from [`"]knex_migrations[`"] order by/;

for (const engine of testEngines()) {
  describe(`GET /readyz asked by many at once (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;
    let looks = 0;
    const count = (query: { sql: string }) => {
      if (LOOK.test(query.sql)) looks++;
    };
    before(async () => {
      service = await startTestService(engine);
      service.running.database.knex.on('query', count);
    });
    after(async () => {
      service?.running.database.knex.off('query', count);
      await service?.stop();
    });

    it('looks at the database about once a second for 200 concurrent requests, answering each', async () => {
      looks = 0;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const answer = await fetch(`${service.base}/readyz`);
          return { status: answer.status, body: (await answer.json()) as unknown };
        }),
      );
      for (const answer of answers) {
        expect(answer.status).to.equal(200);
        expect(answer.body).to.deep.equal({ status: 'ready', engine: engine.name });
      }
      // Before: one look per request, 200 (each several statements), from anyone. A look is
      // kept a second: on a loaded machine the 200 answers may take a few seconds, and a look
      // a second (plus the one in flight) is what the cache allows.
      const seconds = Math.ceil((Date.now() - started) / 1000);
      expect(looks, `looks at the database in ${seconds} s`).to.be.within(1, seconds + 1);
      expect(looks).to.be.below(20);
    });

    it('looks again once its last look is over a second old', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      looks = 0;
      const answer = await fetch(`${service.base}/readyz`);
      expect(answer.status).to.equal(200);
      await answer.text();
      expect(looks).to.equal(1);
    });
  });
}
