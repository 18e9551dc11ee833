/**
 * The operations of test/integration/durable-model.test.ts beyond single SOAP records: batches
 * (deduplicated by address or not), the console's Change Data Value jobs, Salesforce, imports,
 * the address form, the person page, one-click links and the page with its undo.
 */
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { oneClick, postForm } from '../one-click/support.js';
import {
  expectAck,
  listenerUrl,
  notificationId,
  notificationsXml,
  send,
} from '../salesforce/support.js';
import { isProtected, keyOf, PATHS, type MChange, type MLead } from './durable-model.js';
import { EAST, type ModelRun, type Operation } from './durable-model-run.js';
import {
  statusesOf,
  syncManyXml,
  sfNotification,
  type SoapRecord,
} from './durable-model-requests.js';
import { lineRows } from './suppression-list.js';

export function otherPaths(run: ModelRun): Operation[] {
  const svc = run.svc;
  return [
    [
      2,
      async () => {
        // The console's Change Data Value over a few people (the in-memory batch path), with
        // or without the confirmation to lift complaints.
        const picked = [...new Set([run.someLead(), run.someLead(), run.someLead()])].filter(
          (l): l is MLead => l !== null,
        );
        if (picked.length === 0) return;
        const ids = picked.map((l) => l.id).sort((a, b) => a - b);
        const unsub = run.chance(0.5);
        const reason = unsub ? run.reasonOrNone() : undefined;
        const confirm = run.chance(0.5);
        run.log.push(`bulk ${JSON.stringify({ ids, unsub, reason, confirm })}`);
        const path = {
          reason: 'Change Data Value flow step',
          source: 'Smart campaign',
          operator: confirm,
        };
        // Refused whole, before it runs, when it would lift a complaint: an address's, or
        // the own reason of an opted-out person without one (no status holds that opt-out).
        const refusedAtStart =
          !unsub &&
          !confirm &&
          picked.some((l) =>
            l.key !== null ? run.model.statusAt(l.key)?.prot : l.unsub && isProtected(l.reason),
          );
        const bulk = svc.services.bulkChanges;
        const change = {
          field: 'Unsubscribed',
          value: String(unsub),
          ...(reason ? { reason } : {}),
        };
        let job: number;
        try {
          job = await bulk.start({ ids }, change, 'alice', { confirmProtected: confirm });
        } catch (error) {
          expect(refusedAtStart, String(error)).to.equal(true);
          return;
        }
        expect(refusedAtStart).to.equal(false);
        // The service's own runner may have taken it: then it is waited for.
        if (!(await bulk.run(job)))
          while ((await bulk.status(job)).job.state !== 'done')
            await new Promise((r) => setTimeout(r, 10));
        const failed: number[] = [];
        // A Salesforce opt-out beneath a person's address is shown instead of lifted; the
        // address's other people then find it unsubscribed since the job started.
        const revealed = new Set<string>();
        for (const id of ids) {
          const lead = run.model.leads.get(id)!;
          if (!unsub && lead.unsub && lead.key !== null) {
            if (revealed.has(lead.key) || run.model.reveal(lead.key, path.operator === true)) {
              revealed.add(lead.key);
              failed.push(id);
              continue;
            }
          }
          if (!run.attempt((m) => m.update(m.leads.get(id)!, { unsub, reason }, path)))
            failed.push(id);
        }
        expect(
          (await bulk.status(job)).failures.map((f) => f.id).sort((a, b) => a - b),
        ).to.deep.equal(failed);
      },
    ],
    [
      3,
      async () => {
        // A batch mixing paths to the same addresses: by Id, by Email, new people, moves,
        // and repeats of a record. One of four (those of five records) is sent by the user
        // confined to East: its records outside East fail alone (20013), its new people are
        // East's, and it names nobody by Email (whose latest holder the model cannot tell).
        const records: Array<SoapRecord & { kind: string }> = [];
        const n = 2 + Math.floor(run.random() * 4);
        const confined = n === 5;
        for (let i = 0; i < n; i++) {
          const lead = run.someLead();
          const kind =
            records.length > 0 && run.chance(0.15)
              ? 'repeat'
              : run.pick(['id', 'email', 'new', 'move']);
          if (kind === 'repeat') records.push({ ...run.pick(records) });
          else if ((kind === 'id' || kind === 'move') && lead) {
            if (kind === 'id')
              records.push({
                kind,
                id: lead.id,
                unsub: run.chance(0.5),
                reason: run.reasonOrNone(),
              });
            else {
              // A batch record moves its person only when its attributes name the Email too
              // (beside an Id, the Email member alone is a key, as the vendor's batch had it).
              const email = run.anySpelling();
              records.push({
                kind,
                id: lead.id,
                email,
                emailAttribute: email,
                unsub: run.pick([undefined, true, false]),
                // A reason with the address sometimes (a complaint given with it).
                ...(run.chance(0.3) ? { reason: run.reasonOrNone() } : {}),
              });
            }
          } else if (kind === 'new')
            records.push({
              kind,
              email: run.anySpelling(),
              foreignId: `F-${run.seed}-${++run.fids}`,
              unsub: run.pick([undefined, true, false]),
            });
          else if (confined)
            records.push({
              kind: 'new',
              email: run.anySpelling(),
              foreignId: `F-${run.seed}-${++run.fids}`,
              unsub: run.chance(0.5),
            });
          else records.push({ kind: 'email', email: run.anySpelling(), unsub: run.chance(0.5) });
        }
        run.log.push(`batch ${JSON.stringify({ confined, records })}`);
        const res = confined
          ? await run.soap(syncManyXml(records), EAST, 'East')
          : await run.soap(syncManyXml(records));
        const partition = confined ? 'East' : 'Default';
        const outside = (id: number) => confined && run.model.leads.get(id)!.partition !== 'East';
        run.expectOk(res);
        const got = statusesOf(res.body);
        expect(got.length, res.body).to.equal(records.length);
        // Foreign ids repeated in a batch name the person the first created.
        for (const [i, r] of records.entries()) {
          const answer = got[i]!;
          let expected: string;
          if (r.kind === 'email' || r.kind === 'new') {
            const byFid = r.foreignId
              ? [...run.model.leads.values()].find((l) => l.foreignId === r.foreignId)
              : undefined;
            const holder = r.foreignId ? byFid : run.holderNamed(keyOf(r.email!), answer.leadId);
            if (!holder) {
              expected = 'CREATED';
              run.model.create(answer.leadId, r, partition, PATHS.web, r.foreignId ?? null);
            } else if (outside(holder.id)) {
              expected = 'FAILED';
            } else {
              const change: MChange =
                r.kind === 'new' ? { email: r.email, unsub: r.unsub } : { unsub: r.unsub };
              expected = run.attempt((m) => m.update(m.leads.get(holder.id)!, change, PATHS.web))
                ? 'UPDATED'
                : 'FAILED';
            }
          } else if (outside(r.id!)) {
            expected = 'FAILED';
          } else {
            const change: MChange = { email: r.email, unsub: r.unsub, reason: r.reason };
            expected = run.attempt((m) => m.update(m.leads.get(r.id!)!, change, PATHS.web))
              ? 'UPDATED'
              : 'FAILED';
          }
          expect(answer.status, `record ${i} of ${res.body}`).to.equal(expected);
        }
      },
    ],
    [
      1,
      async () => {
        // syncMultipleLeads with dedupEnabled=false: every record with only an Email creates a
        // person, however many hold its address already (rule 3 for each, in record order).
        const records: SoapRecord[] = Array.from(
          { length: 1 + Math.floor(run.random() * 3) },
          () => ({ email: run.anySpelling(), unsub: run.pick([undefined, true, false]) }),
        );
        run.log.push(`batchNoDedup ${JSON.stringify(records)}`);
        const res = await run.soap(syncManyXml(records, false));
        run.expectOk(res);
        const got = statusesOf(res.body);
        expect(
          got.map((g) => g.status),
          res.body,
        ).to.deep.equal(records.map(() => 'CREATED'));
        for (const [i, r] of records.entries())
          run.model.create(got[i]!.leadId, r, 'Default', PATHS.web, null);
      },
    ],
    [
      3,
      async () => {
        // Salesforce: the record's Email and HasOptedOutOfEmail, as its outbound message says.
        const recordId = run.pick(run.sfRecords);
        // Now and then without the Email field (a record without an address, or another
        // field's change): the box alone, or nothing of the rules.
        const fields: Record<string, string> = run.chance(0.15) ? {} : { Email: run.anySpelling() };
        if (run.chance(0.7)) fields.Unsubscribed = run.chance(0.5) ? 'true' : 'false';
        // No modstamp, or one before or after the date imports give (every change made
        // while the test runs is later than both).
        const stamp = run.pick([null, null, '2019-06-01T00:00:00Z', '2021-06-01T00:00:00Z']);
        run.log.push(`salesforce ${JSON.stringify({ recordId, fields, stamp })}`);
        const sent: Record<string, string> = fields.Email ? { Email: fields.Email } : {};
        if (fields.Unsubscribed) sent.HasOptedOutOfEmail = fields.Unsubscribed;
        if (stamp) sent.SystemModstamp = stamp;
        const res = await send(
          listenerUrl(svc.base),
          notificationsXml([sfNotification(notificationId(++run.notes), recordId, sent)]),
        );
        // Nothing but the record's Id: what Salesforce sends of a record deleted before
        // delivery. Skipped: acknowledged, nothing stored.
        if (Object.keys(sent).length === 0) return expectAck(res);
        const ok = run.attempt((m) => {
          const found = m.salesforceChange(recordId, fields, stamp ? Date.parse(stamp) : null);
          if ('stale' in found) return;
          const { lead, change } = found;
          if (lead) m.update(lead, change, PATHS.salesforce);
          else m.create(-1, change, 'Default', PATHS.salesforce, recordId);
          m.markSalesforceOptOut(recordId);
        });
        if (!ok) return run.expectFault(res, 20106);
        expect(res.status, res.body).to.equal(200);
        const created = run.model.leads.get(-1);
        if (created) {
          // The id the listener gave it: the person holding the record id.
          const [row] = (await run
            .db('leads')
            .where('foreign_sys_person_id', recordId)
            .select('id')) as Array<{ id: number }>;
          run.model.renumber(-1, Number(row!.id));
        }
      },
    ],
    [
      2,
      async () => {
        const list = run.suppressionList();
        run.log.push(`import ${JSON.stringify(list)}`);
        await svc.services.suppressions.import(lineRows(list));
        run.suppressed(list);
      },
    ],
    [
      2,
      async () => {
        const email = run.anySpelling();
        const unsub = run.chance(0.5);
        const reason = run.pick(['complaint', 'Asked by phone']);
        const confirm = run.chance(0.5);
        run.log.push(`addressStatus ${JSON.stringify({ email, unsub, reason, confirm })}`);
        const out = await svc.services.durableStatus.setAddressStatus({
          address: email,
          unsubscribed: unsub,
          path: ChangePaths.addressStatus('alice'),
          reason,
          confirmProtected: confirm,
        });
        expect(out.outcome).to.equal(run.model.addressStatus(email, unsub, reason, confirm));
      },
    ],
    [
      2,
      async () => {
        const lead = run.someLead();
        if (!lead) return;
        const unsub = run.chance(0.5);
        const reason = run.reasonOrNone();
        run.log.push(`personPage ${JSON.stringify({ id: lead.id, unsub, reason })}`);
        await svc.services.leads.setUnsubscribed(
          lead.id,
          unsub,
          ChangePaths.personDetail('alice'),
          reason,
        );
        run.model.update(lead, { unsub, reason }, PATHS.personPage);
      },
    ],
    [
      2,
      async () => {
        const email = run.anySpelling();
        run.log.push(`oneClick ${JSON.stringify({ email })}`);
        const res = await oneClick(svc.linkUrl(email));
        expect(res.status, res.body).to.equal(200);
        run.model.linkUnsubscribe(email, null);
      },
    ],
    [
      3,
      async () => {
        const email = run.anySpelling();
        run.log.push(`linkPage ${JSON.stringify({ email })}`);
        const url = svc.linkUrl(email);
        const res = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        expect(res.status, res.body).to.equal(200);
        const code = /name="resubscribe" value="([^"]+)"/.exec(res.body)?.[1];
        const ref = code ? { url, code } : null;
        expect(run.model.linkUnsubscribe(email, ref, true), res.body).to.equal(ref !== null);
        if (ref) run.pages.push({ email, ref });
      },
    ],
    [
      3,
      async () => {
        if (run.pages.length === 0) return;
        const { email, ref } = run.pick(run.pages);
        run.log.push(`undo ${JSON.stringify({ email, url: ref.url.slice(-12) })}`);
        const res = await postForm(ref.url, { resubscribe: ref.code });
        const outcome = run.model.undo(email, ref);
        expect(res.status, res.body).to.equal(outcome === 'refused' ? 403 : 200);
      },
    ],
  ];
}
