/**
 * Runs of test/integration/durable-model*.test.ts that start from opt-outs kept under joined
 * keys, as migration 20261206004000 (the key kept IDNA's 'ß', 'ς', 'ı' and 'İ' apart) left
 * them: recorded under `cy@…strasse.example` before, they count for `cy@…straße.example` too
 * while that has no status of its own (the model's statusAt). Their addresses, how a run
 * starts from them, and the check that no path changes them.
 */
import { expect } from 'chai';
import { keepJoinedOptOuts } from '../../migrations/20261206004000_idna_deviation_keys.js';
import { isProtected, keyOf } from './durable-model.js';
import type { ModelRun, SuppressionLine } from './durable-model-run.js';
import { lineRows } from './suppression-list.js';

/**
 * A local part, and the domains (after `s<seed>.`) of its mailboxes: first one with a letter
 * IDNA keeps apart ('ß', 'ı', 'ς'), then its joined spelling, then any other spelling of it
 * ('i̇', from 'İ').
 */
export const JOINED_ADDRESSES: ReadonlyArray<[string, string[]]> = [
  ['cy', ['stra\u00dfe.example', 'strasse.example']],
  ['dee', ['\u0131bm.example', 'ibm.example', 'i\u0307bm.example']],
  [
    'eve',
    [
      '\u03c3\u03bf\u03c6\u03b9\u03b1\u03c2.example',
      '\u03c3\u03bf\u03c6\u03b9\u03b1\u03c3.example',
    ],
  ],
];

/**
 * Some of the joined spellings opted out by a suppression list (a complaint, another reason or
 * none; dated or not), then kept by the migration's own step (keepJoinedOptOuts). The joined
 * key's own row stays, as the migration leaves it.
 */
export async function keepOptOuts(run: ModelRun): Promise<void> {
  const list: SuppressionLine[] = [];
  for (const [local, [, joined]] of JOINED_ADDRESSES)
    if (run.chance(0.8))
      list.push({
        email: `${local}@s${run.seed}.${joined}`,
        reason: run.pick([undefined, 'complaint', 'bounced']),
        date: run.chance(0.5) ? '2020-01-01' : undefined,
      });
  run.log.push(`kept ${JSON.stringify(list)}`);
  await run.svc.services.suppressions.import(lineRows(list));
  run.suppressed(list);
  const keys = list.map((l) => keyOf(l.email));
  await keepJoinedOptOuts(run.db, keys);
  for (const k of keys) run.model.kept.set(k, { ...run.model.master.get(k)! });
}

/** The run's opt-outs kept under joined keys: as they started, whatever any path did. */
export async function checkKept(run: ModelRun, where: string): Promise<void> {
  const rows = (await run
    .db('email_status_joined')
    .select('joined_key', 'unsubscribed', 'reason')) as Array<{
    joined_key: string;
    unsubscribed: unknown;
    reason: string | null;
  }>;
  const stored = rows
    .filter((k) => run.ours(k.joined_key))
    .map((k) => ({
      key: k.joined_key,
      unsub: Boolean(Number(k.unsubscribed)),
      prot: isProtected(k.reason),
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  expect(stored, `kept opt-outs, ${where}`).to.deep.equal(
    [...run.model.kept.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, s]) => ({ key, unsub: s.unsub, prot: s.prot })),
  );
}
