/**
 * The operations of test/integration/durable-model.test.ts an operator runs: the command line's
 * `suppressions add|remove`, `suppressions import FILE` and an export imported back (run
 * in-process through the command's own entry, runSuppressionsCommand), the console's import
 * page, address form and person page over HTTP, with and without the tick that lifts a protected
 * suppression. The lists' lines give a source now and then, other paths' names too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runSuppressionsCommand } from '../../src/cli/suppressions.command.js';
import { AdminClient, importThroughPage, postPersonFlag } from '../admin/support.js';
import { isProtected, keyOf, type MPath } from './durable-model.js';
import type { ModelRun, Operation } from './durable-model-run.js';
import { lineCsv } from './suppression-list.js';

/** `suppressions ARGS` run in-process through the command's own entry: its code and output. */
export async function suppressionsCommand(
  services: Parameters<typeof runSuppressionsCommand>[1],
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const text = { out: '', err: '' };
  const stream = (name: 'out' | 'err') =>
    ({
      isTTY: false,
      write: (s: string) => {
        text[name] += s;
        return true;
      },
    }) as unknown as NodeJS.WriteStream;
  const code = await runSuppressionsCommand(args, services, {
    out: stream('out'),
    err: stream('err'),
  });
  return { code, ...text };
}

export function operatorPaths(run: ModelRun): Operation[] {
  const services = run.svc.services;
  const command = (args: string[]) => suppressionsCommand(services, args);
  let client: AdminClient | undefined;
  /** The console, logged in as ALICE once per run. */
  const operatorConsole = async () => {
    if (!client) {
      client = new AdminClient(run.svc.base);
      await client.logIn();
    }
    return client;
  };
  /** `suppressions import` of `csv` by "ops"; the file and its rejects removed after. */
  const importCsv = async (csv: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-model-cli-'));
    try {
      const file = path.join(dir, 'list.csv');
      fs.writeFileSync(file, csv);
      return await command(['import', file, '--actor', 'ops']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  return [
    [
      2,
      async () => {
        // `suppressions add|remove EMAIL --reason TEXT`: an operator's, lifting a complaint too.
        const email = run.anySpelling();
        const add = run.chance(0.5);
        const reason = run.pick(['complaint', 'Asked by phone', 'bounced']);
        run.log.push(`cli ${JSON.stringify({ add, email, reason })}`);
        const r = await command([
          add ? 'add' : 'remove',
          email,
          '--reason',
          reason,
          '--actor',
          'ops',
        ]);
        const outcome = run.model.addressStatus(email, add, reason, true, 'Command line');
        // A Salesforce opt-out found beneath: shown instead, one line and exit 1.
        expect(r.code, r.err).to.equal(outcome === 'salesforce_beneath' ? 1 : 0);
        if (outcome === 'salesforce_beneath') return;
        expect(r.out.includes('nothing changed'), r.out).to.equal(outcome === 'unchanged');
        if (outcome === 'unchanged') return;
        // The address's history names the command line, its operator and the reason given.
        const { status } = await services.durableStatus.explain(email);
        expect(status, r.out).to.include({ reason, source: 'Command line (ops)' });
      },
    ],
    [
      2,
      async () => {
        // `suppressions import FILE`: addresses held or not (a person may come later), a
        // repeat now and then (rejected unless its reason is protected), an old date sometimes.
        const list = run.suppressionList();
        run.log.push(`cliImport ${JSON.stringify(list)}`);
        const r = await importCsv(lineCsv(list));
        const seen = new Set<string>();
        const rejected = list.filter((l) => {
          const repeat = seen.has(keyOf(l.email)) && !isProtected(l.reason ?? null);
          seen.add(keyOf(l.email));
          return repeat;
        });
        expect(r.code, r.out + r.err).to.equal(rejected.length > 0 ? 1 : 0);
        run.suppressed(list);
      },
    ],
    [
      2,
      async () => {
        // The console's address form over HTTP: suppress or lift, a complaint's lift with the
        // tick or without it (asked for again, nothing changed).
        const email = run.anySpelling();
        const unsub = run.chance(0.5);
        const reason = run.pick(['complaint', 'Asked by phone']);
        const confirm = run.chance(0.5);
        run.log.push(`consoleAddress ${JSON.stringify({ email, unsub, reason, confirm })}`);
        const client = await operatorConsole();
        const reply = await client.post('/admin/address/status', {
          _csrf: client.csrf,
          email,
          unsubscribed: String(unsub),
          reason,
          ...(confirm ? { liftProtected: 'yes' } : {}),
        });
        const outcome = run.model.addressStatus(email, unsub, reason, confirm);
        if (outcome === 'confirm' || outcome === 'salesforce_beneath')
          expect(reply.status, reply.body).to.equal(409);
        else expect(reply.location, reply.body).to.match(new RegExp(`[?&]saved=${outcome}$`));
      },
    ],
    [
      1,
      async () => {
        // The console's import page over HTTP: the same lists, uploaded by the operator.
        const list = run.suppressionList();
        run.log.push(`consoleImport ${JSON.stringify(list)}`);
        await importThroughPage(await operatorConsole(), services, lineCsv(list));
        run.suppressed(list);
      },
    ],
    [
      1,
      async () => {
        // `suppressions export`, this run's addresses of it imported back (a restore): every
        // opt-out is one already, with its own reason and date; lifted lines are skipped.
        run.log.push('exportImport');
        const exported = await command(['export']);
        expect(exported.code, exported.err).to.equal(0);
        const [header, ...lines] = exported.out.split('\n');
        const ours = lines.filter((l) => run.ours(l.split(',')[0]!));
        const r = await importCsv([header, ...ours].join('\n'));
        expect(r.code, r.out + r.err).to.equal(0);
        run.model.suppress(
          [...run.model.master]
            .filter(([, s]) => s.unsub)
            .map(([key, s]) => ({
              email: key,
              ...(s.prot ? { reason: 'complaint' } : {}),
              at: s.at,
            })),
        );
      },
    ],
    [
      2,
      async () => {
        // The console's person page over HTTP, confirmed: the box, a reason, and the lift of a
        // protected suppression ticked or not. What the box says already changes nobody and
        // is not written, unless the opt-out it states must be kept (a complaint).
        const lead = run.someLead();
        if (!lead) return;
        const unsub = run.chance(0.5);
        const reason = run.reasonOrNone();
        const liftTicked = run.chance(0.5);
        run.log.push(`consolePerson ${JSON.stringify({ id: lead.id, unsub, reason, liftTicked })}`);
        const client = await operatorConsole();
        const reply = await postPersonFlag(client, lead.id, {
          unsubscribed: unsub,
          reason,
          liftProtected: liftTicked,
        });
        const path: MPath = {
          reason: 'Person detail',
          source: 'Person detail',
          operator: liftTicked,
        };
        const status = lead.key === null ? undefined : run.model.statusAt(lead.key);
        const kept =
          lead.key === null
            ? isProtected(reason ?? null) && !isProtected(lead.reason)
            : run.model.clone().acknowledge(lead.key, true, reason ?? null, path);
        if (lead.unsub === unsub && !(unsub && kept)) {
          expect(reply.location, reply.body).to.equal(`/admin/people/${lead.id}?saved=unchanged`);
          return;
        }
        // A complaint of the address, or of a person without one (its own reason keeps it).
        const protectedNow =
          lead.key === null ? lead.unsub && isProtected(lead.reason) : status?.unsub && status.prot;
        if (!unsub && protectedNow && !liftTicked) {
          // Asked for the tick again: nothing changed.
          expect(reply.status, reply.body).to.equal(200);
          return;
        }
        // A Salesforce opt-out beneath the address's suppression: shown instead (409).
        const revealed =
          !unsub &&
          lead.unsub &&
          lead.key !== null &&
          run.model.reveal(lead.key, path.operator === true);
        const ok =
          !revealed && run.attempt((m) => m.update(m.leads.get(lead.id)!, { unsub, reason }, path));
        expect(reply.status, reply.body).to.equal(ok ? 303 : 409);
      },
    ],
  ];
}
