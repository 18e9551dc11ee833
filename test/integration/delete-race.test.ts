/**
 * Two deleteLead calls for the same person at once: one deletes it, the other finds no one
 * (20103), as if one ran after the other. Each answer and the person's log say who deleted it:
 * one Delete Lead activity, never one for each caller (PostgreSQL read the person without a
 * lock, and both calls answered and logged the deletion the first one made). A delete by EMAIL
 * racing with a move of its person to another address deletes it only if it still holds the
 * address (PostgreSQL deleted the person moved away, both calls answering success). One racing
 * with a merge whose winner takes the address of the loser it found deletes the winner, or the
 * merge finds no loser: never "not found" while the winner holds the address.
 */
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { createLead } from '../support/harness.js';
import {
  faultCode,
  rawCall,
  startTestService,
  TEST_USER,
  type TestService,
} from '../support/service.js';
import {
  deleteXml,
  deleteByEmailXml,
  idList,
  mergeXml,
  syncLeadXml,
} from '../support/durable-model-requests.js';

const SECOND = { userId: 'second_feed', encryptionKey: 'SECONDKEY0123456789ABCD' };
const ROUNDS = 12;

for (const engine of testEngines()) {
  describe(`two deletes of one person at once (${engine.name})`, function () {
    this.timeout(120000);
    let svc: TestService;

    before(async () => {
      const may = { readOnly: false, mayDelete: true, partitions: null };
      svc = await startTestService(engine, {
        mktowsUsers: [
          { ...TEST_USER, permissions: may },
          { ...SECOND, permissions: may },
        ],
      });
    });
    after(() => svc?.stop());

    const deletesOf = async (id: number) =>
      (await svc.running.database
        .knex('activities')
        .where({ lead_id: id, activity_type: 'Delete Lead' })
        .select('source', 'actor')) as Array<{ source: string; actor: string | null }>;

    for (const by of ['IDNUM', 'EMAIL'] as const) {
      it(`by ${by}: one answers the deletion, the other not found; one Delete Lead logged`, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const email = `race-${by}-${round}@example.com`;
          const id = await createLead(svc.running.services, email);
          const body = by === 'IDNUM' ? deleteXml(id) : deleteByEmailXml(email);
          const answers = await Promise.all([
            rawCall(svc.url, body, { user: TEST_USER }),
            rawCall(svc.url, body, { user: SECOND }),
          ]);
          const deleted = answers.filter((a) => a.body.includes('<count>1</count>'));
          const notFound = answers.filter((a) => faultCode(a.body) === 20103);
          const told = JSON.stringify(answers.map((a) => a.body));
          expect(deleted.length, `round ${round}: ${told}`).to.equal(1);
          expect(notFound.length, `round ${round}: ${told}`).to.equal(1);
          const logged = await deletesOf(id);
          expect(logged.length, `round ${round}: ${JSON.stringify(logged)}`).to.equal(1);
          // Whoever was answered the deletion is the one its log names.
          const winner = answers[0] === deleted[0] ? TEST_USER.userId : SECOND.userId;
          expect(logged[0]!.actor).to.equal(winner);
        }
      });
    }

    it('by EMAIL while the person moves away: deleted only if it still holds the address', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 40; round++) {
        const from = `leaving-${round}@example.com`;
        const id = await createLead(svc.running.services, from);
        const move = syncLeadXml({ id, email: `arrived-${round}@example.com` });
        const [moved, deleted] = await Promise.all([
          rawCall(svc.url, move, { user: TEST_USER }),
          rawCall(svc.url, deleteByEmailXml(from), { user: SECOND }),
        ]);
        const still = await svc.running.database.knex('leads').where('id', id).first('email_key');
        const told = `round ${round}: ${moved.body} ${deleted.body}`;
        if (faultCode(deleted.body) === 20103) {
          // The move first: the address held nobody any more.
          expect(moved.body, told).to.include('<status>UPDATED</status>');
          expect(still?.email_key, told).to.equal(`arrived-${round}@example.com`);
          outcomes.add('moved');
        } else {
          // The delete first: the move found no one.
          expect(deleted.body, told).to.include('<count>1</count>');
          expect(faultCode(moved.body), told).to.equal(20103);
          expect(still, told).to.equal(undefined);
          outcomes.add('deleted');
        }
      }
      expect(outcomes.size).to.be.at.least(1);
    });

    it('by SFDCLEADID while the person takes another id: deleted only if it still holds the id', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 40; round++) {
        const from = `race-fsp-${round}-old`;
        const id = await createLead(svc.running.services, `fsp-${round}@example.com`, {
          foreignId: from,
        });
        const change = syncLeadXml({ id, foreignId: `race-fsp-${round}-new` });
        const byForeignId = `<ns1:paramsDeleteLead><leadKey><keyType>SFDCLEADID</keyType><keyValue>${from}</keyValue></leadKey></ns1:paramsDeleteLead>`;
        const [changed, deleted] = await Promise.all([
          rawCall(svc.url, change, { user: TEST_USER }),
          rawCall(svc.url, byForeignId, { user: SECOND }),
        ]);
        const still = await svc.running.database
          .knex('leads')
          .where('id', id)
          .first('foreign_sys_person_id');
        const told = `round ${round}: ${changed.body} ${deleted.body}`;
        if (faultCode(deleted.body) === 20103) {
          // The change first: nobody held the id any more.
          expect(changed.body, told).to.include('<status>UPDATED</status>');
          expect(still?.foreign_sys_person_id, told).to.equal(`race-fsp-${round}-new`);
          outcomes.add('changed');
        } else {
          // The delete first: the change found no one.
          expect(deleted.body, told).to.include('<count>1</count>');
          expect(faultCode(changed.body), told).to.equal(20103);
          expect(still, told).to.equal(undefined);
          outcomes.add('deleted');
        }
      }
      expect(outcomes.size).to.be.at.least(1);
    });

    it('a merge whose loser is named by SFDCLEADID while the loser takes another id: merged only if it still holds the id', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 40; round++) {
        const from = `merge-fsp-${round}-old`;
        const winner = await createLead(svc.running.services, `mw-${round}@example.com`);
        const loser = await createLead(svc.running.services, `ml-${round}@example.com`, {
          foreignId: from,
        });
        const change = syncLeadXml({ id: loser, foreignId: `merge-fsp-${round}-new` });
        const byForeignId = `<ns1:paramsMergeLeads><winningLeadKeyList>${idList(winner)}</winningLeadKeyList><losingLeadKeyLists><keyList><attribute><attrName>SFDCLEADID</attrName><attrValue>${from}</attrValue></attribute></keyList></losingLeadKeyLists></ns1:paramsMergeLeads>`;
        const [changed, merged] = await Promise.all([
          rawCall(svc.url, change, { user: TEST_USER }),
          rawCall(svc.url, byForeignId, { user: SECOND }),
        ]);
        const still = await svc.running.database.knex('leads').where('id', loser).first('id');
        const told = `round ${round}: ${changed.body} ${merged.body}`;
        if (merged.body.includes('<status>FAILED</status>')) {
          // The change first: nobody held the id any more.
          expect(merged.body, told).to.match(/<error>20103 - /);
          expect(changed.body, told).to.include('<status>UPDATED</status>');
          expect(still, told).to.not.equal(undefined);
          outcomes.add('changed');
        } else {
          // The merge first: the change found no one.
          expect(merged.body, told).to.include('<status>MERGED</status>');
          expect(faultCode(changed.body), told).to.equal(20103);
          expect(still, told).to.equal(undefined);
          outcomes.add('merged');
        }
      }
      expect(outcomes.size).to.be.at.least(1);
    });

    it('by EMAIL while a merge gives the address to its winner: the winner deleted, or the merge refused', async () => {
      const outcomes = new Set<string>();
      for (let round = 0; round < 40; round++) {
        const email = `merged-${round}@example.com`;
        // The winner has no address: it takes its loser's (the loser is the address's only holder).
        const winner = await createLead(svc.running.services, null);
        const loser = await createLead(svc.running.services, email);
        const [merged, deleted] = await Promise.all([
          rawCall(svc.url, mergeXml(winner, [loser]), { user: TEST_USER }),
          rawCall(svc.url, deleteByEmailXml(email), { user: SECOND }),
        ]);
        const told = `round ${round}: ${merged.body} ${deleted.body}`;
        const holders = (await svc.running.database
          .knex('leads')
          .where('email_key', email)
          .pluck('id')) as number[];
        // Whichever ran first, the address is held by no one once both have answered, and the
        // delete deleted someone: the loser (the merge then finds no loser) or the merged winner.
        expect(holders, told).to.deep.equal([]);
        expect(deleted.body, told).to.include('<count>1</count>');
        if (merged.body.includes('<status>FAILED</status>')) {
          // Its loser gone (before the merge looked it up, or while it waited for its lock).
          expect(merged.body, told).to.match(new RegExp(`<error>20103 - [^<]*\\b${loser}\\b`));
          expect(deleted.body, told).to.include(`<leadId>${loser}</leadId>`);
          outcomes.add('delete first');
        } else {
          expect(merged.body, told).to.include('<status>MERGED</status>');
          expect(deleted.body, told).to.include(`<leadId>${winner}</leadId>`);
          outcomes.add('merge first');
        }
      }
      expect(outcomes.size).to.be.at.least(1);
    });
  });
}
