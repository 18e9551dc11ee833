/**
 * Operations of test/integration/durable-model.test.ts that find people by keys the others do
 * not use: syncLead by ForeignSysPersonId (the person holding it changed, moved by an Email
 * member, or created again once it is gone), mergeLeads naming its people by EMAIL, and
 * syncMultipleLeads records by Email or new, each with an UnsubscribedReason.
 */
import { expect } from 'chai';
import { keyOf, PATHS, type MChange } from './durable-model.js';
import { EAST, type ModelRun, type Operation } from './durable-model-run.js';
import {
  esc,
  statusesOf,
  syncLeadXml,
  syncManyXml,
  type SoapRecord,
} from './durable-model-requests.js';

const emailList = (email: string) =>
  `<attribute><attrName>EMAIL</attrName><attrValue>${esc(email)}</attrValue></attribute>`;
const mergeByEmailXml = (winner: string, losers: string[]) =>
  `<ns1:paramsMergeLeads><winningLeadKeyList>${emailList(winner)}</winningLeadKeyList><losingLeadKeyLists>${losers.map((l) => `<keyList>${emailList(l)}</keyList>`).join('')}</losingLeadKeyLists></ns1:paramsMergeLeads>`;

export function keyPaths(run: ModelRun): Operation[] {
  return [
    [
      3,
      async () => {
        // syncLead by one of this run's foreign ids: its holder's flag, reason, and address
        // (the Email member beside it moves the person); nobody holding it, a new person.
        if (run.fids === 0) return;
        const fid = `F-${run.seed}-${1 + Math.floor(run.random() * run.fids)}`;
        const lead = [...run.model.leads.values()].find((l) => l.foreignId === fid) ?? null;
        const email = run.chance(0.5) ? run.anySpelling() : undefined;
        const unsub = run.pick([undefined, true, false]);
        const reason = run.chance(0.4) ? run.reasonOrNone() : undefined;
        const confined = run.chance(0.2);
        run.log.push(
          `byForeignId ${JSON.stringify({ fid, id: lead?.id, email, unsub, reason, confined })}`,
        );
        const record: SoapRecord = { foreignId: fid, email, unsub, reason };
        const res = confined
          ? await run.soap(syncLeadXml(record), EAST, 'East')
          : await run.soap(syncLeadXml(record));
        if (!lead) {
          run.expectOk(res);
          const partition = confined ? 'East' : 'Default';
          run.model.create(run.idOf(res.body), { email, unsub, reason }, partition, PATHS.web, fid);
          return;
        }
        // Held by someone the confined user may not see: taken, as a unique key is.
        if (confined && lead.partition !== 'East') return run.expectFault(res, 20106);
        const change: MChange = { unsub };
        if (email !== undefined) change.email = email;
        if (reason !== undefined) change.reason = reason;
        const ok = run.attempt((m) => m.update(m.leads.get(lead.id)!, change, PATHS.web));
        if (ok) run.expectOk(res);
        else run.expectFault(res, 20106);
      },
    ],
    [
      1,
      async () => {
        // mergeLeads naming winner and loser by address: each held by one person alone.
        const [a, b] = [run.anySpelling(), run.anySpelling()];
        const [wh, lh] = [run.model.holders(keyOf(a)), run.model.holders(keyOf(b))];
        if (wh.length !== 1 || lh.length !== 1 || wh[0]!.id === lh[0]!.id) return;
        run.log.push(`mergeByEmail ${JSON.stringify({ winner: a, loser: b })}`);
        const res = await run.soap(mergeByEmailXml(a, [b]));
        run.expectOk(res);
        expect(res.body).to.include('<status>MERGED</status>');
        run.model.merge(wh[0]!, [lh[0]!], PATHS.web);
      },
    ],
    [
      2,
      async () => {
        // syncMultipleLeads records by Email (its latest holder, or a new person) and new
        // people (a new foreign id), each stating a reason: at an address unsubscribed
        // already, a complaint given so must be kept by the address's status.
        const records: Array<SoapRecord & { kind: 'email' | 'new' }> = Array.from(
          { length: 1 + Math.floor(run.random() * 3) },
          () => {
            const email = run.anySpelling();
            const unsub = run.pick([undefined, true, false]);
            const reason = run.pick(['complaint', 'bounced', 'Asked by phone']);
            return run.chance(0.5)
              ? { kind: 'email' as const, email, unsub, reason }
              : {
                  kind: 'new' as const,
                  email,
                  unsub,
                  reason,
                  foreignId: `F-${run.seed}-${++run.fids}`,
                };
          },
        );
        run.log.push(`batchReasons ${JSON.stringify(records)}`);
        const res = await run.soap(syncManyXml(records));
        run.expectOk(res);
        const got = statusesOf(res.body);
        expect(got.length, res.body).to.equal(records.length);
        for (const [i, r] of records.entries()) {
          const answer = got[i]!;
          const holder =
            r.kind === 'new' ? undefined : run.holderNamed(keyOf(r.email!), answer.leadId);
          let expected: string;
          if (!holder) {
            expected = 'CREATED';
            run.model.create(answer.leadId, r, 'Default', PATHS.web, r.foreignId ?? null);
          } else {
            const change: MChange = { unsub: r.unsub, reason: r.reason };
            expected = run.attempt((m) => m.update(m.leads.get(holder.id)!, change, PATHS.web))
              ? 'UPDATED'
              : 'FAILED';
          }
          expect(answer.status, `record ${i} of ${res.body}`).to.equal(expected);
        }
      },
    ],
  ];
}
