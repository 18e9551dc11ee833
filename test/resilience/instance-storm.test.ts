/**
 * Every path at once on a few hot addresses, through several service processes on one database:
 * on PostgreSQL two instances with WORKERS=2 each, on SQLite one instance with WORKERS=2 (one
 * instance per DATA_DIR); the command line's imports in processes of their own. Rounds of
 * concurrent requests, spread over the instances: SOAP opt-outs and re-subscribes by id,
 * syncMultipleLeads doing both on two addresses, people moving between the hot addresses with
 * and without a flag (rules 5 and 6), people created on them (rule 3), deleted, merged,
 * Salesforce ticks and unticks, one-click links, `suppressions import`.
 *
 * Afterwards (rule 8): the invariant holds; each status is its newest history row; each
 * person's log tells its flag; each person holding an address from the start logged every
 * change of its status, in the history's (commit) order; and the address ends as the last round
 * that touched it says when that round's requests all pulled one way, so an acknowledged
 * opt-out that no later request could undo is in force.
 */
import { expect } from 'chai';
import { createServices } from '../../src/compose.js';
import type { Database } from '../../src/data-access/database.js';
import { cliImport } from '../support/cli-import.js';
import { testEngines, type TestEngine } from '../support/database.js';
import {
  deleteXml,
  mergeXml,
  syncLeadXml,
  syncManyXml,
} from '../support/durable-model-requests.js';
import { afterRestart, LINK_SETTINGS, linkTokens } from '../support/kill-while-calling.js';
import { expectFollowedEveryChange, expectLogsTellFlags } from '../support/log-chain.js';
import { seeded } from '../support/seeded.js';
import { getLeadByEmailXml, rawCall } from '../support/service.js';
import {
  spawnService,
  withFreshDatabase,
  type ServiceProcess,
} from '../support/service-process.js';
import { oneClick } from '../one-click/support.js';
import {
  leadRecordId,
  listenerUrl,
  notificationId,
  notificationsXml,
  ORG_ID,
  PATH_SECRET,
  send,
} from '../salesforce/support.js';

const SEED = Number(process.env.STORM_SEED ?? 20261205);
const ROUNDS = Number(process.env.STORM_ROUNDS ?? 14);
const PER_ROUND = Number(process.env.STORM_PER_ROUND ?? 8);
const HOT = ['storm-a@example.com', 'storm-b@example.com', 'storm-c@example.com'];

/** How a request pulls an address: a sure opt-out, a sure re-subscribe, or either. */
type Pull = 'out' | 'in' | 'maybe';
interface Sent {
  round: number;
  what: string;
  pulls: Array<[string, Pull]>;
  answer: Promise<{ ok: boolean; said: string }>;
}

const UNSUBSCRIBED_VALUE =
  /<attrName>Unsubscribed<\/attrName><attrType>boolean<\/attrType><attrValue>([01])<\/attrValue>/g;

const leadIds = (body: string) =>
  [...body.matchAll(/<leadId>(\d+)<\/leadId>/g)].map((m) => Number(m[1]));

interface Storm {
  instances: ServiceProcess[];
  env: Record<string, string>;
  random: () => number;
}

/** Runs the rounds; what was sent, each with its round, pulls and answer. */
async function storm({ instances, env, random }: Storm): Promise<{
  sent: Sent[];
  holders: Map<string, number[]>;
  oneWay: number;
}> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const soap = async (xml: string) => {
    const res = await rawCall(pick(instances).url, xml);
    return { ok: res.status === 200 && !res.body.includes('Fault>'), said: res.body };
  };
  let note = 0;
  const notify = async (i: number, optedOut: boolean) => {
    const res = await send(
      listenerUrl(pick(instances).base),
      notificationsXml([
        {
          id: notificationId(++note),
          type: 'Lead',
          recordId: leadRecordId(9100 + i),
          fields: { Email: HOT[i]!, HasOptedOutOfEmail: String(optedOut) },
        },
      ]),
    );
    return { ok: res.status === 200 && res.body.includes('<Ack>true</Ack>'), said: res.body };
  };
  const tokens = linkTokens();

  // Holders from the start: two people per address (one spelled otherwise), the Salesforce
  // record's person; two movers on addresses of their own.
  const holders = new Map<string, number[]>();
  for (const [i, email] of HOT.entries()) {
    const made = await soap(syncManyXml([{ email }, { email: ` ${email.toUpperCase()} ` }], false));
    expect(made.ok, made.said).to.equal(true);
    const sf = await notify(i, false);
    expect(sf.ok, sf.said).to.equal(true);
    holders.set(email, leadIds(made.said));
  }
  const movers: number[] = [];
  for (const home of ['storm-m1@example.com', 'storm-m2@example.com']) {
    const made = await soap(syncLeadXml({ email: home }));
    expect(made.ok, made.said).to.equal(true);
    movers.push(leadIds(made.said)[0]!);
  }
  const created: Array<{ id: number; email: string }> = [];

  const sent: Sent[] = [];
  const oneWay: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batch: Sent[] = [];
    const moving = new Set<number>();
    const gone = new Set<number>();
    const add = (what: string, pulls: Sent['pulls'], call: () => Sent['answer']) =>
      batch.push({
        round,
        what,
        pulls,
        answer: call().catch((e: Error) => ({ ok: false, said: e.message })),
      });
    const flagOf = (x: string, unsub: boolean) =>
      add(`soap ${unsub ? 'out' : 'in'}`, [[x, unsub ? 'out' : 'in']], () =>
        soap(syncLeadXml({ id: pick(holders.get(x)!), unsub })),
      );
    const move = (x: string, unsub: boolean | undefined) => {
      const mover = pick(movers);
      if (moving.has(mover)) return;
      moving.add(mover);
      const pull: Pull = unsub === true ? 'out' : unsub === false ? 'in' : 'maybe';
      add(`move flag ${unsub}`, [[x, pull]], () =>
        soap(
          syncLeadXml({ id: mover, emailAttribute: x, ...(unsub === undefined ? {} : { unsub }) }),
        ),
      );
    };
    const tick = (x: string, optedOut: boolean) =>
      add(`salesforce ${optedOut}`, [[x, optedOut ? 'out' : 'maybe']], () =>
        notify(HOT.indexOf(x), optedOut),
      );
    const link = (x: string) =>
      add('link', [[x, 'out']], async () => {
        const res = await oneClick(`${pick(instances).base}/u/${tokens.create(x)}`);
        return { ok: res.status === 200, said: res.body };
      });
    const suppress = (x: string) =>
      add('import', [[x, 'out']], async () => {
        await cliImport(env, [x]);
        return { ok: true, said: '' };
      });
    if (round % 4 === 3) {
      // A round where each address is pulled one way only, by several paths at once: once all
      // have answered, every person of the address reads that way (checked below).
      for (const x of HOT) {
        const out = random() < 0.5;
        oneWay.push(`${round} ${x} ${out}`);
        if (out) {
          flagOf(x, true);
          link(x);
          tick(x, true);
          if (random() < 0.3) suppress(x);
        } else {
          flagOf(x, false);
          flagOf(x, false);
          move(x, false);
        }
      }
      await Promise.all(batch.map((b) => b.answer));
      sent.push(...batch);
      for (const entry of oneWay.filter((w) => w.startsWith(`${round} `))) {
        const [, x, out] = entry.split(' ');
        const res = await rawCall(pick(instances).url, getLeadByEmailXml(x!));
        const flags = [...res.body.matchAll(UNSUBSCRIBED_VALUE)].map((m) => m[1] === '1');
        expect(flags.length, res.body).to.be.greaterThan(1);
        expect(flags, `${x} after round ${round}`).to.deep.equal(flags.map(() => out === 'true'));
      }
      continue;
    }
    for (let k = 0; k < PER_ROUND; k++) {
      const x = pick(HOT);
      const y = pick(HOT.filter((e) => e !== x));
      const r = random();
      if (r < 0.28) flagOf(x, r < 0.14);
      else if (r < 0.36)
        add(
          'multiple',
          [
            [x, 'out'],
            [y, 'in'],
          ],
          () =>
            soap(
              syncManyXml([
                { id: pick(holders.get(x)!), unsub: true },
                { id: pick(holders.get(y)!), unsub: false },
              ]),
            ),
        );
      else if (r < 0.48) {
        const flag = random();
        move(x, flag < 0.33 ? true : flag < 0.66 ? false : undefined);
      } else if (r < 0.56) {
        const unsub = random() < 0.3;
        add(`create unsub ${unsub}`, unsub ? [[x, 'out']] : [], async () => {
          const a = await soap(
            // A new person beside the address's others, not one of them updated.
            syncManyXml([{ email: random() < 0.5 ? x : ` ${x.toUpperCase()}`, unsub }], false),
          );
          if (a.ok) created.push({ id: leadIds(a.said)[0]!, email: x });
          return a;
        });
      } else if (r < 0.62) {
        const live = created.filter((c) => !gone.has(c.id));
        if (live.length === 0) continue;
        const victim = pick(live);
        gone.add(victim.id);
        created.splice(created.indexOf(victim), 1);
        add('delete', [], () => soap(deleteXml(victim.id)));
      } else if (r < 0.67) {
        const live = created.filter((c) => !gone.has(c.id));
        const winner = live.length > 1 ? pick(live) : undefined;
        const loser = winner && live.find((c) => c !== winner && c.email === winner.email);
        if (!winner || !loser) continue;
        gone.add(winner.id).add(loser.id);
        created.splice(created.indexOf(loser), 1);
        add('merge', [[winner.email, 'maybe']], () => soap(mergeXml(winner.id, [loser.id])));
      } else if (r < 0.77) tick(x, random() < 0.5);
      else if (r < 0.93) link(x);
      else suppress(x);
    }
    // All of a round at once; the next round starts when every one of them has answered.
    await Promise.all(batch.map((b) => b.answer));
    sent.push(...batch);
  }
  return { sent, holders, oneWay: oneWay.length };
}

/**
 * The store after the storm: the invariant, each status its newest history row, each log its
 * flag, each holder from the start every change of its address's status in history order, and
 * the last round's sure outcome.
 */
async function expectSettled(
  database: Database,
  sent: Sent[],
  holders: Map<string, number[]>,
): Promise<void> {
  const services = createServices(database, { customFields: [], defaultPartition: 'Default' });
  expect(await services.durableStatus.findViolations()).to.deep.equal([]);
  const sure: string[] = [];
  for (const email of HOT) {
    const report = await services.durableStatus.explain(email);
    const master = report.status?.unsubscribed ?? false;
    for (const l of report.leads) expect(l.unsubscribed, `lead ${l.id}`).to.equal(master);
    const last = report.history[report.history.length - 1]!;
    expect(report.status).to.include({
      unsubscribed: last.unsubscribed,
      changedAt: last.changedAt,
    });
    await expectLogsTellFlags(services, report.leads);
    await expectFollowedEveryChange(services, report.history, holders.get(email)!);
    // The last round that touched the address: if its requests all pulled one way, that way.
    const rounds = sent.filter((s) => s.pulls.some(([e]) => e === email)).map((s) => s.round);
    if (rounds.length === 0) continue;
    const lastRound = Math.max(...rounds);
    const pulls = sent
      .filter((s) => s.round === lastRound)
      .flatMap((s) => s.pulls.filter(([e]) => e === email).map(([, p]) => ({ p, what: s.what })));
    const kinds = new Set(pulls.map((x) => x.p));
    if (kinds.size === 1 && !kinds.has('maybe')) {
      sure.push(`${email}: ${[...kinds][0]} after round ${lastRound}`);
      expect(master, `${email} after round ${lastRound}: ${JSON.stringify(pulls)}`).to.equal(
        kinds.has('out'),
      );
    }
  }
  console.log(`      the last round's sure outcome checked: ${sure.join('; ') || 'none'}`);
}

async function expectAnswered(sent: Sent[]): Promise<void> {
  const answers = await Promise.all(sent.map(async (s) => ({ s, a: await s.answer })));
  const failed = answers
    .filter(({ a }) => !a.ok)
    .map(({ s, a }) => `round ${s.round} ${s.what}: ${a.said.slice(0, 600)}`);
  expect(failed, failed.join('\n')).to.deep.equal([]);
}

function runStorm(engine: TestEngine, instanceCount: number): Mocha.AsyncFunc {
  return async function () {
    const seed = SEED + instanceCount;
    console.log(`      seed ${seed} (STORM_SEED=${SEED} to replay)`);
    const settings = {
      WORKERS: '2',
      ...LINK_SETTINGS,
      SFDC_ORG_IDS: ORG_ID,
      SFDC_PATH_SECRET: PATH_SECRET,
    };
    await withFreshDatabase(engine, async (env) => {
      const instances: ServiceProcess[] = [];
      try {
        for (let i = 0; i < instanceCount; i++)
          instances.push(await spawnService({ ...env, ...settings }, { built: true }));
        const { sent, holders, oneWay } = await storm({ instances, env, random: seeded(seed) });
        console.log(
          `      ${sent.length} requests in ${ROUNDS} rounds, ${oneWay} one-way outcomes read back`,
        );
        await expectAnswered(sent);
        const kinds = new Map<string, number>();
        for (const s of sent) {
          kinds.set(s.what, (kinds.get(s.what) ?? 0) + 1);
        }
        console.log(`      ${JSON.stringify(Object.fromEntries(kinds))}`);
        for (const s of instances) {
          const logged = s
            .output()
            .split('\n')
            .filter((l) => l.startsWith('{'));
          console.log(`      instance ${s.port} logged: ${logged.join('\n') || 'nothing'}`);
        }
        for (const s of instances) await s.stop();
        await afterRestart(env, async (database) => {
          if (engine.name === 'postgres') {
            const stats = (await database.knex.raw(
              'SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()',
            )) as { rows: Array<{ deadlocks: string }> };
            console.log(`      deadlocks PostgreSQL detected: ${stats.rows[0]?.deadlocks}`);
          }
          await expectSettled(database, sent, holders);
        });
      } finally {
        for (const s of instances) await s.stop();
      }
    });
  };
}

for (const engine of testEngines()) {
  describe(`every path at once on hot addresses, several processes (${engine.name})`, function () {
    this.timeout(240000);
    if (engine.name === 'postgres')
      it(
        'two instances of two workers each: rule 8 and every acknowledged opt-out hold',
        runStorm(engine, 2),
      );
    else it('one instance of two workers over one file: the same', runStorm(engine, 1));
  });
}
