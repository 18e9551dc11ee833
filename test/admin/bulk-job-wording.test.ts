import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import type { Services } from '../../src/domain/services.js';
import { testEngines } from '../support/database.js';
import { consolePerTest, until, type AdminClient } from './support.js';

const web = ChangePaths.webService();

/** The job's page names the field as the form and the preview do; one person is a person. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: Change Data Value wording (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('one person: "Apply to 1 person"; the job page says "First Name", not FirstName', async () => {
      const { leadId } = await services.leads.sync({ email: 'one@example.com' }, { path: web });
      const form = { _csrf: client.csrf, list: String(leadId), field: 'FirstName', value: 'Kit' };
      const preview = await client.post('/admin/bulk/preview', form);
      expect(preview.status).to.equal(200);
      expect(preview.body).to.include('Preview: First Name becomes');
      expect(preview.body).to.include('>Apply to 1 person</button>');
      const started = await client.post('/admin/bulk/start', form);
      expect(started.status).to.equal(303);
      const jobId = Number(/jobs\/(\d+)$/.exec(started.location!)![1]);
      await until(
        async () => (await services.bulkChanges.status(jobId)).job.state === 'done',
        'the job',
      );
      const page = await client.get(started.location!);
      expect(page.body).to.match(/First Name becomes\s+“Kit”/);
      expect(page.body).to.not.include('FirstName becomes');
    });
  });
}

/** The preview counts in words: one partition is a partition, one follower is a person. */
for (const engine of testEngines()) {
  describe(`operator console over HTTP: the preview's counts (${engine.name})`, function () {
    this.timeout(120000);
    let services: Services;
    let client: AdminClient;

    consolePerTest(engine, (c) => ({ services, client } = c));

    it('one of each: "1 person in 1 partition", "1 more person … in 1 other partition"', async () => {
      const { leadId } = await services.leads.sync({ email: 'pat@example.com' }, { path: web });
      await services.leads.sync(
        { email: 'pat@example.com' },
        { path: web, partition: 'East', matchByEmail: false },
      );
      const form = {
        _csrf: client.csrf,
        list: String(leadId),
        field: 'Unsubscribed',
        value: 'true',
      };
      const preview = await client.post('/admin/bulk/preview', form);
      expect(preview.status).to.equal(200);
      const text = preview.body.replace(/\s+/g, ' ').replace(/ ?(<[^>]+>) ?/g, '$1');
      expect(text).to.include('<dd>1 person in 1 partition</dd>');
      expect(text).to.include(
        '1 more person holding these addresses, in 1 other partition, follows',
      );
      expect(text).to.not.include('(s)');
    });

    it('several: "people", "partitions", "follow"', async () => {
      const ids: number[] = [];
      for (const [email, partition] of [
        ['a@example.com', 'Default'],
        ['b@example.com', 'West'],
      ] as const)
        ids.push(
          (await services.leads.sync({ email }, { path: web, partition, matchByEmail: false }))
            .leadId,
        );
      for (const [email, partition] of [
        ['a@example.com', 'East'],
        ['b@example.com', 'North'],
      ] as const)
        await services.leads.sync({ email }, { path: web, partition, matchByEmail: false });
      const form = {
        _csrf: client.csrf,
        list: ids.join(','),
        field: 'Unsubscribed',
        value: 'true',
      };
      const text = (await client.post('/admin/bulk/preview', form)).body
        .replace(/\s+/g, ' ')
        .replace(/ ?(<[^>]+>) ?/g, '$1');
      expect(text).to.include('<dd>2 people in 2 partitions</dd>');
      expect(text).to.include(
        '2 more people holding these addresses, in 2 other partitions, follow',
      );
    });
  });
}
