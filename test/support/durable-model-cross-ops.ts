/**
 * The operations of test/integration/durable-model-cross-pairs.test.ts: one operation of each
 * path that changes a master status (SOAP, Salesforce outbound messages, suppression imports
 * in-process and by the command line, the command line's add and remove, the console's person
 * page over HTTP and its bulk change, the address form, one-click links, the link page and its
 * undo), each as something sent and what it did applied to a model, in either order of a pair.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ChangePaths } from '../../src/domain/change-paths.js';
import { OPTED_OUT_SINCE } from '../../src/domain/opt-outs-since.js';
import { type AdminClient, postPersonFlag } from '../admin/support.js';
import { oneClick, postForm } from '../one-click/support.js';
import { listenerUrl, notificationId, notificationsXml, send } from '../salesforce/support.js';
import {
  isProtected,
  keyOf,
  PATHS,
  Refused,
  type MChange,
  type MPath,
  type Model,
} from './durable-model.js';
import { ModelRun, stateOf, type SuppressionLine } from './durable-model-run.js';
import { sfNotification, syncLeadXml } from './durable-model-requests.js';
import { suppressionsCommand } from './durable-model-operators.js';
import { lineCsv, lineRows } from './suppression-list.js';
import { faultCode } from './service.js';

/** What an operation got back: an HTTP answer, or an outcome told as one. */
export interface CrossAnswer {
  status: number;
  body: string;
  /** The person a Salesforce notification created or found (by its record id). */
  id?: number;
}

/** One operation of a pair: sent, then what it did applied to a model (either order). */
export interface CrossOp {
  what: string;
  send(): Promise<CrossAnswer>;
  /** The model after it; throws when the answer is not what this order gives. */
  apply(m: Model, answer: CrossAnswer): Model;
}

/**
 * What an order's check found different, for the failure of a step no order matched: the
 * check's first and last lines, and the values it compared.
 */
export function whatDiffered(error: unknown): string {
  const e = error as Error & { actual?: unknown; expected?: unknown };
  const said = e.message.split('\n');
  return `${said[0]} ${said[said.length - 1]!.slice(-300)}\n  actual   ${JSON.stringify(e.actual)}\n  expected ${JSON.stringify(e.expected)}`;
}

/**
 * Every model that some order of `ops` (their `answers` applied in that order) leaves equal to
 * the store, from each of `candidates`: each state once, at most `max`. What each order found
 * different is added to `failures`.
 */
export async function modelsMatching(
  run: ModelRun,
  step: number,
  candidates: readonly Model[],
  orders: readonly (readonly number[])[],
  ops: readonly CrossOp[],
  answers: readonly CrossAnswer[],
  failures: string[],
  max: number,
): Promise<Model[]> {
  const matched: Model[] = [];
  const seen = new Set<string>();
  for (const before of candidates)
    for (const order of orders) {
      if (matched.length >= max) break;
      try {
        let m = before.clone();
        m.step = step;
        for (const i of order) m = ops[i]!.apply(m, answers[i]!);
        run.model = m;
        const state = stateOf(m);
        if (seen.has(state)) continue;
        await run.check(step);
        seen.add(state);
        matched.push(m);
      } catch (error) {
        // The log once, by the caller; of each order what differed.
        failures.push(`${order.join('')}: ${whatDiffered(error)}`);
      }
    }
  return matched;
}

/**
 * Fails step `step` of `run` unless some order of its operations `matched`, telling the run's
 * log, what each order found different (`failures`) and what the operations got back.
 */
export function expectSomeOrderMatched(
  run: ModelRun,
  step: number,
  matched: boolean,
  failures: readonly string[],
  answers: readonly CrossAnswer[],
): void {
  const told = answers.map((a) => `${a.status} ${a.body.slice(0, 600)}`);
  expect(
    matched,
    `seed ${run.seed}, step ${step}:\n  ${run.log.join('\n  ')}\n${failures.join('\n----\n')}\n${told.join('\n')}`,
  ).to.equal(true);
}

/** `change` on a copy of `m`: the copy, or `m` itself and false when the model refuses it. */
function attempt(m: Model, change: (c: Model) => void): [Model, boolean] {
  const next = m.clone();
  try {
    change(next);
  } catch (error) {
    if (error instanceof Refused) return [m, false];
    throw error;
  }
  return [next, true];
}

const expectNoFault = (a: CrossAnswer) => expect(faultCode(a.body), a.body).to.equal(null);
const expectRefused = (a: CrossAnswer) => expect(faultCode(a.body), a.body).to.equal(20106);

/** The suppressions command run in-process: its exit code and what it wrote. */
const command = (run: ModelRun, args: string[]) => suppressionsCommand(run.svc.services, args);

const asImported = (list: readonly SuppressionLine[]) =>
  list.map((r) => ({
    email: r.email,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.date ? { at: Date.parse(`${r.date}T00:00:00Z`) } : {}),
  }));

/** A random operation of any path, on the run's few addresses and people. */
export function crossOp(run: ModelRun, console: () => Promise<AdminClient>): CrossOp {
  const svc = run.svc;
  const lead = run.someLead();
  const kind = run.pick([
    'soapFlag',
    'soapCreate',
    'salesforce',
    'salesforce',
    'import',
    'cli',
    'cliImport',
    'person',
    'bulk',
    'address',
    'link',
    'linkPage',
    'undo',
  ] as const);
  if (kind === 'soapFlag' && lead) {
    const { id } = lead;
    const unsub = run.chance(0.5);
    const reason = run.reasonOrNone();
    return {
      what: `soapFlag ${JSON.stringify({ id, unsub, reason })}`,
      send: () => run.soap(syncLeadXml({ id, unsub, reason })),
      apply: (m, a) => {
        const [next, ok] = attempt(m, (c) =>
          c.update(c.leads.get(id)!, { unsub, reason }, PATHS.web),
        );
        if (ok) expectNoFault(a);
        else expectRefused(a);
        return next;
      },
    };
  }
  if (kind === 'salesforce') {
    const recordId = run.pick(run.sfRecords);
    const fields: Record<string, string> = run.chance(0.2) ? {} : { Email: run.anySpelling() };
    fields.Unsubscribed = run.chance(0.5) ? 'true' : 'false';
    // A late arrival now and then: a modstamp before every change made while the test runs.
    const stamp = run.pick([null, null, '2019-06-01T00:00:00Z', '2021-06-01T00:00:00Z']);
    const sent: Record<string, string> = fields.Email ? { Email: fields.Email } : {};
    sent.HasOptedOutOfEmail = fields.Unsubscribed;
    if (stamp) sent.SystemModstamp = stamp;
    const note = notificationId(++run.notes);
    return {
      what: `salesforce ${JSON.stringify({ recordId, fields, stamp })}`,
      send: async () => {
        const res = await send(
          listenerUrl(svc.base),
          notificationsXml([sfNotification(note, recordId, sent)]),
        );
        const [row] = (await run
          .db('leads')
          .where('foreign_sys_person_id', recordId)
          .select('id')) as Array<{ id: number }>;
        return { ...res, ...(row ? { id: Number(row.id) } : {}) };
      },
      apply: (m, a) => {
        const [next, ok] = attempt(m, (c) => {
          const found = c.salesforceChange(recordId, fields, stamp ? Date.parse(stamp) : null);
          if ('stale' in found) return;
          if (found.lead) c.update(found.lead, found.change, PATHS.salesforce);
          else c.create(a.id ?? -1, found.change, 'Default', PATHS.salesforce, recordId);
          c.markSalesforceOptOut(recordId);
        });
        if (!ok) expectRefused(a);
        else expect(a.status, a.body).to.equal(200);
        return next;
      },
    };
  }
  if (kind === 'import' || kind === 'cliImport') {
    // One or two lines: a list's lines are written in one transaction.
    const list = run.suppressionList().slice(0, 2);
    if (kind === 'import')
      return {
        what: `import ${JSON.stringify(list)}`,
        send: async () => {
          await svc.services.suppressions.import(lineRows(list));
          return { status: 200, body: '' };
        },
        apply: (m) => {
          const next = m.clone();
          next.suppress(asImported(list));
          return next;
        },
      };
    return {
      what: `cliImport ${JSON.stringify(list)}`,
      send: async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-cross-cli-'));
        try {
          const file = path.join(dir, 'list.csv');
          fs.writeFileSync(file, lineCsv(list));
          const r = await command(run, ['import', file, '--actor', 'ops']);
          return { status: r.code, body: r.out + r.err };
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      },
      apply: (m, a) => {
        // A repeat of an address is rejected (exit 1) unless its reason is protected.
        const repeat =
          list.length === 2 &&
          keyOf(list[0]!.email) === keyOf(list[1]!.email) &&
          !isProtected(list[1]!.reason ?? null);
        expect(a.status, a.body).to.equal(repeat ? 1 : 0);
        const next = m.clone();
        next.suppress(asImported(list));
        return next;
      },
    };
  }
  if (kind === 'cli') {
    const email = run.anySpelling();
    const add = run.chance(0.5);
    const reason = run.pick(['complaint', 'Asked by phone', 'bounced']);
    return {
      what: `cli ${JSON.stringify({ add, email, reason })}`,
      send: async () => {
        const r = await command(run, [
          add ? 'add' : 'remove',
          email,
          '--reason',
          reason,
          '--actor',
          'ops',
        ]);
        return { status: r.code, body: r.out + r.err };
      },
      apply: (m, a) => {
        const next = m.clone();
        const outcome = next.addressStatus(email, add, reason, true, 'Command line');
        // A Salesforce opt-out found beneath: shown instead, one line and exit 1.
        expect(a.status, a.body).to.equal(outcome === 'salesforce_beneath' ? 1 : 0);
        expect(a.body.includes('nothing changed'), a.body).to.equal(outcome === 'unchanged');
        return next;
      },
    };
  }
  if (kind === 'person' && lead) {
    // The console's person page over HTTP, confirmed, the lift of a complaint ticked or not.
    const { id } = lead;
    const unsub = run.chance(0.5);
    const reason = run.reasonOrNone();
    const liftTicked = run.chance(0.5);
    return {
      what: `consolePerson ${JSON.stringify({ id, unsub, reason, liftTicked })}`,
      send: async () => {
        const client = await console();
        const reply = await postPersonFlag(client, id, {
          unsubscribed: unsub,
          reason,
          liftProtected: liftTicked,
        });
        return { status: reply.status, body: `${reply.location ?? ''} ${reply.body}` };
      },
      apply: (m, a) => personPage(m, a, id, unsub, reason ?? null, liftTicked),
    };
  }
  if (kind === 'bulk' && lead) {
    // The console's Change Data Value over one person (one transaction). Re-subscribing is
    // always confirmed: refused at its start or not depends on a state read before its run.
    const { id } = lead;
    const unsub = run.chance(0.5);
    const reason = unsub ? run.reasonOrNone() : undefined;
    const confirm = !unsub || run.chance(0.5);
    const bulk = svc.services.bulkChanges;
    const path: MPath = {
      reason: 'Change Data Value flow step',
      source: 'Smart campaign',
      operator: confirm,
    };
    return {
      what: `bulk ${JSON.stringify({ id, unsub, reason, confirm })}`,
      send: async () => {
        const change = {
          field: 'Unsubscribed',
          value: String(unsub),
          ...(reason ? { reason } : {}),
        };
        const job = await bulk.start({ ids: [id] }, change, 'alice', { confirmProtected: confirm });
        if (!(await bulk.run(job)))
          while ((await bulk.status(job)).job.state !== 'done')
            await new Promise((r) => setTimeout(r, 10));
        const { failures } = await bulk.status(job);
        const since = failures.some((f) => f.why === OPTED_OUT_SINCE);
        return { status: 200, body: JSON.stringify({ failed: failures.map((f) => f.id), since }) };
      },
      apply: (m, a) => {
        const lead = m.leads.get(id)!;
        const told = JSON.parse(a.body) as { failed: number[]; since: boolean };
        // An opt-out of the person's address committed after the job started (by an operation
        // beside it) is not lifted: valid in an order where the address is unsubscribed when
        // the job runs; nothing changes.
        if (told.since) {
          expect(lead.unsub && lead.key !== null, 'unsubscribed in this order').to.equal(true);
          expect(m.statusOf(lead.key!), 'its address unsubscribed in this order').to.equal(true);
          return m;
        }
        // A Salesforce opt-out beneath the person's address: shown instead, the person failed.
        const shown = m.clone();
        if (
          !unsub &&
          lead.unsub &&
          lead.key !== null &&
          shown.reveal(lead.key, path.operator === true)
        ) {
          expect(told.failed, 'failed in this order').to.deep.equal([id]);
          return shown;
        }
        const [next, ok] = attempt(m, (c) => c.update(c.leads.get(id)!, { unsub, reason }, path));
        expect(told.failed, 'failed in this order').to.deep.equal(ok ? [] : [id]);
        return next;
      },
    };
  }
  if (kind === 'address') {
    const email = run.anySpelling();
    const unsub = run.chance(0.5);
    const reason = run.pick(['complaint', 'Asked by phone']);
    const confirm = run.chance(0.5);
    return {
      what: `address ${JSON.stringify({ email, unsub, reason, confirm })}`,
      send: async () => {
        const out = await svc.services.durableStatus.setAddressStatus({
          address: email,
          unsubscribed: unsub,
          path: ChangePaths.addressStatus('alice'),
          reason,
          confirmProtected: confirm,
        });
        return { status: 200, body: out.outcome };
      },
      apply: (m, a) => {
        const next = m.clone();
        expect(a.body).to.equal(next.addressStatus(email, unsub, reason, confirm));
        return next;
      },
    };
  }
  if (kind === 'linkPage') {
    const email = run.anySpelling();
    const url = svc.linkUrl(email);
    return {
      what: `linkPage ${email}`,
      send: async () => {
        const res = await postForm(url, { 'List-Unsubscribe': 'One-Click', via: 'page' });
        const code = /name="resubscribe" value="([^"]+)"/.exec(res.body)?.[1];
        // Offered: a page the next pairs may undo.
        if (code) run.pages.push({ email, ref: { url, code } });
        return res;
      },
      apply: (m, a) => {
        expect(a.status, a.body).to.equal(200);
        const code = /name="resubscribe" value="([^"]+)"/.exec(a.body)?.[1];
        const ref = code ? run.pages.find((p) => p.ref.code === code)!.ref : null;
        const next = m.clone();
        expect(next.linkUnsubscribe(email, ref, true), 'undo offered').to.equal(ref !== null);
        return next;
      },
    };
  }
  if (kind === 'undo' && run.pages.length > 0) {
    const { email, ref } = run.pick(run.pages);
    return {
      what: `undo ${JSON.stringify({ email, url: ref.url.slice(-12) })}`,
      send: () => postForm(ref.url, { resubscribe: ref.code }),
      apply: (m, a) => {
        const next = m.clone();
        const outcome = next.undo(email, ref);
        expect(a.status, a.body).to.equal(outcome === 'refused' ? 403 : 200);
        return next;
      },
    };
  }
  if (kind === 'link') {
    const email = run.anySpelling();
    return {
      what: `oneClick ${email}`,
      send: () => oneClick(svc.linkUrl(email)),
      apply: (m, a) => {
        expect(a.status, a.body).to.equal(200);
        const next = m.clone();
        next.linkUnsubscribe(email, null);
        return next;
      },
    };
  }
  const email = run.anySpelling();
  const unsub = run.pick([undefined, true, false]);
  const foreignId = `F-${run.seed}-${++run.fids}`;
  return {
    what: `create ${JSON.stringify({ email, unsub, foreignId })}`,
    send: () => run.soap(syncLeadXml({ email, foreignId, unsub })),
    apply: (m, a) => {
      expectNoFault(a);
      const next = m.clone();
      next.create(run.idOf(a.body), { email, unsub }, 'Default', PATHS.web, foreignId);
      return next;
    },
  };
}

/** The person page's answer in this order, and the model after it (durable-model-operators). */
function personPage(
  m: Model,
  a: CrossAnswer,
  id: number,
  unsub: boolean,
  reason: string | null,
  liftTicked: boolean,
): Model {
  const lead = m.leads.get(id)!;
  const path: MPath = { reason: 'Person detail', source: 'Person detail', operator: liftTicked };
  const status = lead.key === null ? undefined : m.statusAt(lead.key);
  const kept =
    lead.key === null
      ? isProtected(reason) && !isProtected(lead.reason)
      : m.clone().acknowledge(lead.key, true, reason, path);
  const change: MChange = { unsub, reason: reason ?? undefined };
  if (lead.unsub === unsub && !(unsub && kept)) {
    // Nothing to change in this order: nothing written (decided under the person's lock).
    expect(a.body, a.body).to.include(`/admin/people/${id}?saved=unchanged`);
    return m;
  }
  const protectedNow =
    lead.key === null ? lead.unsub && isProtected(lead.reason) : status?.unsub && status.prot;
  if (!unsub && protectedNow && !liftTicked) {
    // Asked for the tick: by the page (200), or by the write that found the complaint once
    // the page had looked (409, the same page): nothing changed either way.
    expect(a.status, 'asked for the tick in this order').to.be.oneOf([200, 409]);
    return m;
  }
  // A Salesforce opt-out beneath the address's suppression: shown instead (409).
  const shown = m.clone();
  if (!unsub && lead.unsub && lead.key !== null && shown.reveal(lead.key, path.operator === true)) {
    expect(a.status, a.body).to.equal(409);
    return shown;
  }
  const [next, ok] = attempt(m, (c) => c.update(c.leads.get(id)!, change, path));
  expect(a.status, a.body).to.equal(ok ? 303 : 409);
  // Its banner tells what its own write did in this order.
  const told = lead.unsub === unsub ? 'recorded' : unsub ? 'unsubscribed' : 'resubscribed';
  if (ok) expect(a.body, a.body).to.include(`/admin/people/${id}?saved=${told}`);
  return next;
}
