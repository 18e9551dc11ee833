/**
 * A service for a whole suite of SOAP calls on the durable rules (mocha hooks), and the calls
 * such a suite makes of it: rawCall on its endpoint, its Knex, a person created with syncLead,
 * the durable rules' own check.
 */
import { expect } from 'chai';
import type { Running } from '../../src/main.js';
import type { TestEngine } from './database.js';
import { syncLeadXml, type SoapRecord } from './durable-model-requests.js';
import { rawCall, startTestService, type TestService } from './service.js';

/** The person id of a syncLead answer. */
export const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)![1]);

export function durableSoapSuite(engine: TestEngine) {
  let svc: TestService | undefined;
  before(async () => {
    svc = await startTestService(engine);
  });
  after(() => svc?.stop());

  const running = (): Running => svc!.running;
  const soap = (body: string) => rawCall(svc!.url, body);
  return {
    running,
    soap,
    knex: () => running().database.knex,
    /** Creates (or updates) one person with syncLead; its id. */
    create: async (r: SoapRecord): Promise<number> => {
      const res = await soap(syncLeadXml(r));
      expect(res.status, res.body).to.equal(200);
      return idOf(res.body);
    },
    /** Whatever breaks the durable rules in the store (none: an empty list). */
    violations: () => running().services.durableStatus.findViolations(),
  };
}
