/**
 * Rule 8 across paths, against the reference model: two random operations of any two paths that
 * change a master status, sent at once on the same few addresses and people (SOAP syncLead,
 * Salesforce outbound notifications ticking, unticking and arriving late, suppression imports
 * in-process and by the command line, the command line's add and remove, the console's person
 * page over HTTP and its bulk change, the address form, one-click links, the link page and its
 * undo; test/support/durable-model-cross-ops.ts). The store is then compared with the model
 * after the two in each order: every person's flag, reason and address key, every master status
 * (and who made it), the invariant and every person's log. An acknowledged opt-out kept by
 * neither order, or undone by a path not entitled to, fails both. Every model an order leaves
 * equal to the store is kept (up to MAX_CANDIDATES), and the next pair is tried on them all.
 *
 * Deterministic choices, a fixed list of seeds; DURABLE_CROSS_SEEDS=N runs 1-N,
 * DURABLE_CROSS_SEED=N seed N alone, DURABLE_CROSS_STEPS=M pairs per seed; DURABLE_CROSS_SPELLINGS=joined starts each
 * seed from opt-outs kept under joined keys and uses those addresses too (ModelRun.keepOptOuts).
 */
import { config } from 'chai';
import { AdminClient } from '../admin/support.js';
import type { LinkService } from '../one-click/support.js';
import { testEngines } from '../support/database.js';
import {
  crossOp,
  expectSomeOrderMatched,
  modelsMatching,
} from '../support/durable-model-cross-ops.js';
import type { Model } from '../support/durable-model.js';
import { ModelRun, startModelService } from '../support/durable-model-run.js';

const SEEDS = process.env.DURABLE_CROSS_SEED
  ? [Number(process.env.DURABLE_CROSS_SEED)]
  : Array.from({ length: Number(process.env.DURABLE_CROSS_SEEDS ?? 6) }, (_, i) => i + 1);
const STEPS = Number(process.env.DURABLE_CROSS_STEPS ?? 15);
const JOINED = process.env.DURABLE_CROSS_SPELLINGS === 'joined';
// A failure shows the people and statuses that differ, not an ellipsis.
config.truncateThreshold = 0;

/** At most so many models kept that the store agrees with (each is checked every step). */
const MAX_CANDIDATES = 24;

for (const engine of testEngines()) {
  describe(`two operations of any paths at once against the reference model (${engine.name})`, function () {
    this.timeout(300000);
    let svc: LinkService;
    let client: Promise<AdminClient> | undefined;
    /**
     * The console, logged in as ALICE once: the log-in's promise is shared, so that a second
     * console operation of the same pair waits for it rather than sending without a session.
     */
    const operatorConsole = () => {
      client ??= (async () => {
        const c = new AdminClient(svc.base);
        await c.logIn();
        return c;
      })();
      return client;
    };

    before(async () => {
      svc = await startModelService(engine, { east: false });
    });
    after(() => svc?.stop());

    for (const seed of SEEDS) {
      it(`seed ${seed}: ${STEPS} pairs of paths, each as if one ran after the other`, async () => {
        const run = await ModelRun.open(svc, seed + 9000, false, JOINED);
        if (JOINED) await run.keepOptOuts();
        // Every model an order of the pairs so far leaves equal to the store. Two orders can end
        // alike in all the store shows and still differ in what later rules read (when a
        // Salesforce record was last reported against when its address was last subscribed:
        // salesforce-beneath), and a later pair may match only one of them; taking the first
        // that matched, as this suite did, failed runs whose store had taken the other. Each
        // model is still one order of every pair so far: no outcome is accepted that no
        // serial order gives.
        let candidates: Model[] = [run.model];
        for (let step = 1; step <= STEPS; step++) {
          run.model = candidates[0]!;
          const pair = [crossOp(run, operatorConsole), crossOp(run, operatorConsole)] as const;
          run.log.push(`pair ${pair[0].what} | ${pair[1].what}`);
          // DURABLE_CROSS_SERIAL=1: one after the other (a failure then is no race).
          const answers = process.env.DURABLE_CROSS_SERIAL
            ? [await pair[0].send(), await pair[1].send()]
            : await Promise.all(pair.map((p) => p.send()));
          const failures: string[] = [];
          const matched = await modelsMatching(
            run,
            step,
            candidates,
            [
              [0, 1],
              [1, 0],
            ],
            pair,
            answers,
            failures,
            MAX_CANDIDATES,
          );
          expectSomeOrderMatched(run, step, matched.length > 0, failures, answers);
          candidates = matched;
        }
        run.model = candidates[0]!;
        await run.checkChangeStream();
      });
    }
  });
}
