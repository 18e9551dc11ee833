import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * Activity filters that name one type over and over, or thousands of names no activity has,
 * within MAX_BODY_BYTES. Each type named was a probe of its own and a bound value: 28,000 of them
 * was fault 10001 on SQLite (more values than a statement binds, and the whole statement in the
 * log, 1.3 MB a call), 20 to 30 s of PostgreSQL's time for one read-only call (timed out, 10001,
 * for the names). Each type now counts once, and a name no activity has is left out.
 */

const EMAIL = 'filtered@example.com';
/** As many as a 1 MiB body holds (36 bytes each). */
const REPEATS = 28000;

const since =
  '<startPosition><oldestCreatedAt>2000-01-01T00:00:00Z</oldestCreatedAt></startPosition>';
const types = (n: number) => '<activityType>NewLead</activityType>'.repeat(n);
const changesIncluding = (n: number) =>
  `<ns1:paramsGetLeadChanges>${since}<activityFilter><includeTypes>${types(n)}</includeTypes>` +
  '</activityFilter></ns1:paramsGetLeadChanges>';
const changesExcluding = (n: number) =>
  `<ns1:paramsGetLeadChanges>${since}<activityFilter><excludeTypes>${types(n)}</excludeTypes>` +
  '</activityFilter></ns1:paramsGetLeadChanges>';
const leadActivityIncluding = (n: number) =>
  `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue>` +
  `</leadKey><activityFilter><includeTypes>${types(n)}</includeTypes></activityFilter>` +
  '</ns1:paramsGetLeadActivity>';
/** `unknown` names no activity has, then those given. */
const changesNamed = (unknown: number, ...names: string[]) =>
  `<ns1:paramsGetLeadChanges>${since}<activityNameFilter>` +
  '<stringItem>x</stringItem>'.repeat(unknown) +
  names.map((n) => `<stringItem>${n}</stringItem>`).join('') +
  '</activityNameFilter></ns1:paramsGetLeadChanges>';

const activityTypes = (body: string) =>
  [...body.matchAll(/<activityType>([^<]*)<\/activityType>/g)].map((m) => m[1]);

for (const engine of testEngines()) {
  describe(`activity filters repeating a type or naming no activity's type (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService;
    let statements = 0;
    const count = () => {
      statements++;
    };
    /** The answer of a call, and the statements it ran (those knex reports). */
    const measured = async (body: string) => {
      statements = 0;
      const answer = await rawCall(service.url, body);
      return { ...answer, statements };
    };

    before(async () => {
      service = await startTestService(engine);
      const created = await rawCall(
        service.url,
        `<ns1:paramsSyncLead><leadRecord><Email>${EMAIL}</Email><leadAttributeList><attribute>` +
          '<attrName>FirstName</attrName><attrValue>Ann</attrValue></attribute></leadAttributeList>' +
          '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(faultCode(created.body), created.body).to.equal(null);
      // A Change Data Value besides the New Lead.
      const changed = await rawCall(
        service.url,
        `<ns1:paramsSyncLead><leadRecord><Email>${EMAIL}</Email><leadAttributeList><attribute>` +
          '<attrName>FirstName</attrName><attrValue>Bo</attrValue></attribute></leadAttributeList>' +
          '</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(faultCode(changed.body), changed.body).to.equal(null);
      service.running.database.knex.on('query', count);
    });
    after(async () => {
      service?.running.database.knex.off('query', count);
      await service?.stop();
    });

    it('answers a getLeadChanges including one type 28,000 times as including it once', async () => {
      expect(changesIncluding(REPEATS).length).to.be.below(service.config.maxBodyBytes - 1024);
      const once = await measured(changesIncluding(1));
      const repeated = await measured(changesIncluding(REPEATS));
      expect(faultCode(repeated.body), repeated.body.slice(0, 400)).to.equal(null);
      expect(activityTypes(repeated.body)).to.deep.equal(activityTypes(once.body));
      expect(activityTypes(once.body)).to.include('New Lead');
      expect(repeated.statements).to.be.at.most(once.statements + 2);
    });

    it('answers a getLeadChanges excluding one type 28,000 times as excluding it once', async () => {
      const once = await measured(changesExcluding(1));
      const repeated = await measured(changesExcluding(REPEATS));
      expect(faultCode(repeated.body), repeated.body.slice(0, 400)).to.equal(null);
      expect(activityTypes(repeated.body)).to.deep.equal(activityTypes(once.body));
      expect(activityTypes(once.body)).to.include('Change Data Value').and.not.include('New Lead');
      expect(repeated.statements).to.be.at.most(once.statements + 2);
    });

    it('answers a getLeadActivity including one type 28,000 times as including it once', async () => {
      const once = await measured(leadActivityIncluding(1));
      const repeated = await measured(leadActivityIncluding(REPEATS));
      expect(faultCode(repeated.body), repeated.body.slice(0, 400)).to.equal(null);
      expect(activityTypes(repeated.body)).to.deep.equal(['New Lead']);
      expect(repeated.statements).to.be.at.most(once.statements + 2);
    });

    it('answers an activityNameFilter of 39,000 names no activity has, and one it has, with that one', async () => {
      const once = await measured(changesNamed(0, 'new lead'));
      const padded = await measured(changesNamed(39000, 'new lead'));
      expect(faultCode(padded.body), padded.body.slice(0, 400)).to.equal(null);
      expect(activityTypes(padded.body)).to.deep.equal(['New Lead']);
      expect(activityTypes(once.body)).to.deep.equal(['New Lead']);
      expect(padded.statements).to.be.at.most(once.statements + 2);
    });

    it('still answers names no activity has with nothing, and an empty filter with everything', async () => {
      const none = await rawCall(service.url, changesNamed(3));
      expect(faultCode(none.body), none.body).to.equal(null);
      expect(activityTypes(none.body)).to.deep.equal([]);
      expect(none.body).to.match(/<remainingCount>0<\/remainingCount>/);
      const all = await rawCall(service.url, changesNamed(0));
      expect(activityTypes(all.body)).to.include.members(['New Lead']);
    });
  });
}
