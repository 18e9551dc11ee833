import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { expectFault, rawCall, startTestService, type TestService } from '../support/service.js';

/**
 * Activity filters naming a property every JavaScript object inherits (toString, constructor,
 * __proto__…) instead of an ActivityType. The enum was looked up as an object's property, so
 * such a name passed for a known type: its "display name" was a function or Object.prototype,
 * handed to the query builder as a value. toString made a statement SQLite and PostgreSQL
 * refuse (fault 10001, the statement in the error log), __proto__ a filter answered 200.
 * Each is an unknown type: fault 20107, as any other name the vendor never had.
 */

const EMAIL = 'inherited-names@example.com';
const INHERITED = [
  'toString',
  'constructor',
  '__proto__',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  '__lookupSetter__',
  'toLocaleString',
];

const leadActivity = (list: 'includeTypes' | 'excludeTypes', type: string) =>
  `<ns1:paramsGetLeadActivity><leadKey><keyType>EMAIL</keyType><keyValue>${EMAIL}</keyValue>` +
  `</leadKey><activityFilter><${list}><activityType>${type}</activityType></${list}>` +
  '</activityFilter></ns1:paramsGetLeadActivity>';
const leadChanges = (list: 'includeTypes' | 'excludeTypes', type: string) =>
  '<ns1:paramsGetLeadChanges><startPosition><oldestCreatedAt>2000-01-01T00:00:00Z' +
  `</oldestCreatedAt></startPosition><activityFilter><${list}><activityType>${type}` +
  `</activityType></${list}></activityFilter></ns1:paramsGetLeadChanges>`;

for (const engine of testEngines()) {
  describe(`activity filters naming an inherited object property (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
      const created = await rawCall(
        service.url,
        `<ns1:paramsSyncLead><leadRecord><Email>${EMAIL}</Email></leadRecord>` +
          '<returnLead>false</returnLead></ns1:paramsSyncLead>',
      );
      expect(created.status, created.body).to.equal(200);
    });
    after(async () => {
      await service?.stop();
    });

    for (const [operation, body] of [
      ['getLeadActivity', leadActivity],
      ['getLeadChanges', leadChanges],
    ] as const) {
      for (const list of ['includeTypes', 'excludeTypes'] as const) {
        it(`answers ${operation} ${list} of each with 20107, as an unknown type`, async () => {
          for (const name of INHERITED) {
            const answer = await rawCall(service.url, body(list, name));
            expectFault(answer, 20107);
            expect(answer.body, name).to.contain(`Unknown activity type ${name}`);
          }
        });
      }
    }

    it('still reads a filter of a real type, with the same name around it', async () => {
      const answer = await rawCall(service.url, leadActivity('includeTypes', ' NewLead '));
      expect(answer.status, answer.body).to.equal(200);
      expect(answer.body).to.contain('<activityType>New Lead</activityType>');
    });
  });
}
