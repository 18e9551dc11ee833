/**
 * Rule 8 against the reference model: two random operations on the same few addresses sent at
 * once (SOAP syncLead by Id, address changes, creates, deletes by Id or Email, merges; one-click
 * links; the operator's address form), then the store compared with the model after the two in
 * one order and, failing that, in the other: whichever committed last wins, entirely (people,
 * master statuses, the invariant and every person's log; test/support/durable-model-run.ts,
 * check).
 *
 * Deterministic choices, a fixed list of seeds; DURABLE_PAIRS_SEEDS=N runs 1-N,
 * DURABLE_PAIRS_SEED=N seed N alone; DURABLE_PAIRS_SPELLINGS=joined starts each
 * seed from opt-outs kept under joined keys and uses those addresses too (ModelRun.keepOptOuts).
 */
import { expect } from 'chai';
import { startLinkService, oneClick, type LinkService } from '../one-click/support.js';
import { testEngines } from '../support/database.js';
import { keyOf, PATHS, Refused, type Model } from '../support/durable-model.js';
import { ModelRun } from '../support/durable-model-run.js';
import {
  deleteByEmailXml,
  deleteXml,
  mergeXml,
  syncLeadXml,
} from '../support/durable-model-requests.js';
import { TEST_USER } from '../support/service.js';

const SEEDS = process.env.DURABLE_PAIRS_SEED
  ? [Number(process.env.DURABLE_PAIRS_SEED)]
  : Array.from({ length: Number(process.env.DURABLE_PAIRS_SEEDS ?? 6) }, (_, i) => i + 1);
const STEPS = Number(process.env.DURABLE_PAIRS_STEPS ?? 15);
const JOINED = process.env.DURABLE_PAIRS_SPELLINGS === 'joined';

/**
 * `change` made to `m` unless the model refuses it (a complaint's lift: a run that starts from
 * kept opt-outs has some), as the service must then: fault 20106, nothing changed.
 */
function refusable(m: Model, answer: { body: string }, change: (next: Model) => void): void {
  const next = m.clone();
  let refused = false;
  try {
    change(next);
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    refused = true;
  }
  expect(answer.body.includes('20106'), 'refused in this order').to.equal(refused);
  if (!refused) Object.assign(m, next);
}

/** One operation of a pair: sent, then what it did applied to a model (either order). */
interface PairOp {
  what: string;
  send(): Promise<{ status: number; body: string }>;
  apply(m: Model, answer: { status: number; body: string }): void;
}

for (const engine of testEngines()) {
  describe(`two operations at once against the reference model (${engine.name})`, function () {
    this.timeout(300000);
    let svc: LinkService;

    before(async () => {
      svc = await startLinkService(engine, {
        unsubscribeRateLimit: 0,
        mktowsUsers: [
          { ...TEST_USER, permissions: { readOnly: false, mayDelete: true, partitions: null } },
        ],
      });
    });
    after(() => svc?.stop());

    for (const seed of SEEDS) {
      it(`seed ${seed}: ${STEPS} pairs, each as if one ran after the other`, async () => {
        const run = await ModelRun.open(svc, seed + 5000, false, JOINED);
        if (JOINED) await run.keepOptOuts();
        const idOf = (body: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(body)?.[1]);
        // A person of the model (by id when the op runs), or none.
        const op = (): PairOp => {
          const lead = run.someLead();
          const kind = run.pick([
            'create',
            'flag',
            'flag',
            'move',
            'delete',
            'deleteByEmail',
            'merge',
            'link',
            'address',
          ]);
          if ((kind === 'flag' || kind === 'move' || kind === 'delete') && lead) {
            const id = lead.id;
            if (kind === 'delete')
              return {
                what: `delete ${id}`,
                send: () => run.soap(deleteXml(id)),
                apply: (m, answer) => {
                  // Deleted by the other first: not found.
                  expect(answer.body.includes('20103'), 'not found in this order').to.equal(
                    !m.leads.has(id),
                  );
                  m.leads.delete(id);
                },
              };
            const unsub = kind === 'flag' ? run.chance(0.5) : run.pick([undefined, true, false]);
            const email = kind === 'move' ? run.anySpelling() : undefined;
            return {
              what: `${kind} ${JSON.stringify({ id, email, unsub })}`,
              send: () => run.soap(syncLeadXml({ id, email, unsub })),
              apply: (m, answer) => {
                const l = m.leads.get(id);
                // Deleted first: not found, nothing changed (and found only if not).
                expect(answer.body.includes('20103'), 'not found in this order').to.equal(!l);
                if (!l) return;
                const change = email === undefined ? { unsub } : { email, unsub };
                refusable(m, answer, (next) => next.update(next.leads.get(id)!, change, PATHS.web));
              },
            };
          }
          const email = run.anySpelling();
          if (kind === 'deleteByEmail')
            return {
              what: `deleteByEmail ${email}`,
              send: () => run.soap(deleteByEmailXml(email)),
              apply: (m, answer) => {
                // Every holder of the address when it runs; none: not found.
                const holders = m.holders(keyOf(email));
                expect(answer.body.includes('20103'), 'not found in this order').to.equal(
                  holders.length === 0,
                );
                for (const h of holders) m.leads.delete(h.id);
              },
            };
          if (kind === 'merge') {
            const [w, l] = [run.someLead(), run.someLead()];
            if (w && l && w.id !== l.id)
              return {
                what: `merge ${w.id} <- ${l.id}`,
                send: () => run.soap(mergeXml(w.id, [l.id])),
                apply: (m, answer) => {
                  const [winner, loser] = [m.leads.get(w.id), m.leads.get(l.id)];
                  expect(answer.body.includes('MERGED'), 'merged in this order').to.equal(
                    winner !== undefined && loser !== undefined,
                  );
                  if (winner && loser) m.merge(winner, [loser], PATHS.web);
                },
              };
          }
          if (kind === 'link')
            return {
              what: `oneClick ${email}`,
              send: () => oneClick(svc.linkUrl(email)),
              apply: (m) => void m.linkUnsubscribe(email, null),
            };
          if (kind === 'address') {
            const unsub = run.chance(0.5);
            return {
              what: `address ${JSON.stringify({ email, unsub })}`,
              send: async () => {
                const out = await svc.services.durableStatus.setAddressStatus({
                  address: email,
                  unsubscribed: unsub,
                  path: { reason: 'Address status', source: 'Address status', operator: true },
                  reason: 'Asked by phone',
                  confirmProtected: true,
                });
                return { status: 200, body: out.outcome };
              },
              apply: (m) => void m.addressStatus(email, unsub, 'Asked by phone', true),
            };
          }
          const unsub = run.pick([undefined, true, false]);
          const foreignId = `F-${run.seed}-${++run.fids}`;
          return {
            what: `create ${JSON.stringify({ email, unsub, foreignId })}`,
            send: () => run.soap(syncLeadXml({ email, foreignId, unsub })),
            apply: (m, answer) =>
              void m.create(idOf(answer.body), { email, unsub }, 'Default', PATHS.web, foreignId),
          };
        };
        for (let step = 1; step <= STEPS; step++) {
          const pair = [op(), op()] as const;
          run.log.push(`pair ${pair[0].what} | ${pair[1].what}`);
          run.model.step = step;
          const answers = await Promise.all(pair.map((p) => p.send()));
          for (const a of answers) expect(a.status, a.body).to.be.oneOf([200, 500]);
          const before = run.model;
          const failures: string[] = [];
          let matched = false;
          for (const order of [
            [0, 1],
            [1, 0],
          ] as const) {
            const m = before.clone();
            run.model = m;
            try {
              for (const i of order) pair[i].apply(m, answers[i]!);
              await run.check(step);
              matched = true;
              break;
            } catch (error) {
              failures.push((error as Error).message.split('\n').slice(0, 40).join('\n'));
            }
          }
          if (!matched) console.log(run.log.join('\n'), '\n', failures, JSON.stringify(answers));
          expect(matched, `${failures.join('\n----\n')}\n${JSON.stringify(answers)}`).to.equal(
            true,
          );
        }
      });
    }
  });
}
