/**
 * A client-side workload for the topology: each worker owns a few people and sends, one call
 * at a time, a mix of unsubscribes, re-subscribes, address changes and creates. A call that
 * fails (fault, HTTP error, lost connection: its outcome unknown) is retried with the same
 * content until it is acknowledged, as an integration would; every acknowledgement goes into
 * a log that `verify` then checks against the database.
 */
import { openDatabase, type Database } from '../../src/data-access/database.js';
import { createServices } from '../../src/compose.js';
import { envelope, faultCode } from '../support/service.js';

export interface CallFailure {
  at: number;
  /** `fault 20011`, `HTTP 503`, `network: …` */
  kind: string;
  /** How long the failed call took (ms). */
  ms: number;
}

interface Worker {
  flipEmail: string;
  flipped: boolean;
  ackedFlips: number;
  historyBefore: number;
  moveLeadId: number;
  moveEmail: string;
  ackedMoves: number;
  created: string[];
  /** The token (FirstName) of every acknowledged flip and address change, per lead id. */
  tokens: Map<number, string[]>;
  flipLeadId: number;
  seq: number;
}

export interface WorkloadReport {
  acknowledged: number;
  byKind: Record<string, number>;
  failures: CallFailure[];
  /** Failures a client would not retry (anything but 20011, 10001, a 502/503 or a lost connection). */
  unretryable: CallFailure[];
  /** Acknowledgement times (epoch ms), in order. */
  ackTimes: number[];
  /** When each acknowledged attempt was sent and answered (epoch ms), in order of answer. */
  acks: Array<{ sent: number; at: number }>;
}

export interface Verification {
  violations: number;
  /**
   * Acknowledged calls with no trace on the database: each flip and address change carries a
   * unique FirstName, whose change the activity log must hold; each create its own address.
   */
  missingAcknowledged: string[];
  /** Acknowledged creates with no lead on the database. */
  missingCreates: string[];
  /** Acknowledged creates that made more than one lead (a retry that was not idempotent). */
  duplicateCreates: string[];
  /** Acknowledged status changes with no trace in the address's history. */
  missingStatusChanges: number;
  /** Status changes recorded more often than acknowledged (a retry wrote twice). */
  extraStatusChanges: number;
  /** Workers whose person does not hold the last acknowledged address or status. */
  wrongFinalState: string[];
  /** Acknowledged calls that are not there (missingAcknowledged's length). */
  lost: number;
}

const attrs = (pairs: Array<[string, string]>) =>
  `<leadAttributeList>${pairs
    .map(([n, v]) => `<attribute><attrName>${n}</attrName><attrValue>${v}</attrValue></attribute>`)
    .join('')}</leadAttributeList>`;
const syncByEmail = (email: string, inner = '') =>
  `<ns1:paramsSyncLead><leadRecord><Email>${email}</Email>${inner}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;
const syncById = (id: number, inner: string) =>
  `<ns1:paramsSyncLead><leadRecord><Id>${id}</Id>${inner}</leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>`;

function retryable(kind: string): boolean {
  return /^(fault 20011|fault 10001|HTTP 50[23]|network: )/.test(kind);
}

export class Workload {
  private readonly workers: Worker[] = [];
  private readonly failures: CallFailure[] = [];
  private readonly acks: Array<{ sent: number; at: number }> = [];
  private readonly byKind: Record<string, number> = {};
  private stopping = false;

  constructor(
    private readonly url: string,
    private readonly tag: string,
    private readonly workerCount = 6,
    /** Longest one call is retried before the run fails (ms). */
    private readonly giveUpMs = 60000,
  ) {}

  /** One call until acknowledged; the answer's body. */
  private async call(kind: string, body: string): Promise<string> {
    const first = Date.now();
    for (;;) {
      const started = Date.now();
      let failure: string;
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'Content-Type': 'text/xml; charset=utf-8' },
          body: envelope(body),
          signal: AbortSignal.timeout(30000),
        });
        const text = await res.text();
        if (res.status === 200) {
          this.acks.push({ sent: started, at: Date.now() });
          this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
          return text;
        }
        const code = faultCode(text);
        failure = code === null ? `HTTP ${res.status}` : `fault ${code}`;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        failure = `network: ${cause?.code ?? (error as Error).name}`;
      }
      this.failures.push({ at: started, kind: failure, ms: Date.now() - started });
      if (!retryable(failure) || Date.now() - first > this.giveUpMs)
        throw new Error(`${kind} gave up after ${failure}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Creates each worker's two people. */
  async seed(): Promise<void> {
    for (let w = 0; w < this.workerCount; w++) {
      const flipEmail = `flip-${this.tag}-${w}@example.com`;
      const moveEmail = `move-${this.tag}-${w}-0@example.com`;
      const leadId = (answer: string) => Number(/<leadId>(\d+)<\/leadId>/.exec(answer)?.[1]);
      const flipLeadId = leadId(await this.call('seed', syncByEmail(flipEmail)));
      const id = leadId(await this.call('seed', syncByEmail(moveEmail)));
      this.workers.push({
        flipEmail,
        flipped: false,
        ackedFlips: 0,
        historyBefore: 0,
        moveLeadId: id,
        moveEmail,
        ackedMoves: 0,
        created: [],
        tokens: new Map([
          [flipLeadId, []],
          [id, []],
        ]),
        flipLeadId,
        seq: 0,
      });
    }
  }

  /** The history length of each worker's address before the run (status changes since). */
  async baseline(databaseUrl: string): Promise<void> {
    await withServices(databaseUrl, async (s) => {
      for (const w of this.workers)
        w.historyBefore = (await s.durableStatus.explain(w.flipEmail)).history.length;
    });
  }

  private async step(w: Worker): Promise<void> {
    const which = w.seq++ % 4;
    const worker = this.workers.indexOf(w);
    const token = `op-${this.tag}-${worker}-${w.seq}`;
    if (which === 0 || which === 2) {
      const next = !w.flipped;
      await this.call(
        next ? 'unsubscribe' : 'resubscribe',
        syncByEmail(
          w.flipEmail,
          attrs([
            ['Unsubscribed', String(next)],
            ['FirstName', token],
          ]),
        ),
      );
      w.flipped = next;
      w.ackedFlips++;
      w.tokens.get(w.flipLeadId)!.push(token);
    } else if (which === 1) {
      const email = w.moveEmail.replace(/-(\d+)@/, (_, n: string) => `-${Number(n) + 1}@`);
      await this.call(
        'address change',
        syncById(w.moveLeadId, `<Email>${email}</Email>${attrs([['FirstName', token]])}`),
      );
      w.moveEmail = email;
      w.ackedMoves++;
      w.tokens.get(w.moveLeadId)!.push(token);
    } else {
      const email = `new-${this.tag}-${worker}-${w.seq}@example.com`;
      await this.call('create', syncByEmail(email, attrs([['FirstName', 'Created']])));
      w.created.push(email);
    }
  }

  /** Runs every worker until `stop()`; resolves when all have finished their last call. */
  async run(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        while (!this.stopping) await this.step(w);
      }),
    );
  }

  stop(): void {
    this.stopping = true;
  }

  report(): WorkloadReport {
    return {
      acknowledged: this.acks.length,
      byKind: { ...this.byKind },
      failures: [...this.failures],
      unretryable: this.failures.filter((f) => !retryable(f.kind)),
      ackTimes: this.acks.map((a) => a.at),
      acks: [...this.acks],
    };
  }

  /** Checks the client-side log against the database at `databaseUrl`. */
  async verify(databaseUrl: string): Promise<Verification> {
    return withServices(databaseUrl, async (s, database) => {
      const out: Verification = {
        violations: (await s.durableStatus.findViolations()).length,
        missingAcknowledged: [],
        missingCreates: [],
        duplicateCreates: [],
        missingStatusChanges: 0,
        extraStatusChanges: 0,
        wrongFinalState: [],
        lost: 0,
      };
      for (const [i, w] of this.workers.entries()) {
        const found = await s.leads.findMany('EMAIL', w.created);
        for (const email of w.created) {
          const n = found.filter((l) => l.email === email).length;
          if (n === 0) {
            out.missingCreates.push(email);
            out.missingAcknowledged.push(`create ${email}`);
          }
          if (n > 1) out.duplicateCreates.push(email);
        }
        for (const [leadId, tokens] of w.tokens) {
          const logged = new Set(
            (
              (await database
                .knex('activities')
                .where({ lead_id: leadId, attribute_name: 'First Name' })
                .select('new_value')) as Array<{ new_value: string }>
            ).map((r) => r.new_value),
          );
          for (const token of tokens)
            if (!logged.has(token)) out.missingAcknowledged.push(`lead ${leadId} ${token}`);
        }
        const report = await s.durableStatus.explain(w.flipEmail);
        const recorded = report.history.length - w.historyBefore;
        out.missingStatusChanges += Math.max(0, w.ackedFlips - recorded);
        out.extraStatusChanges += Math.max(0, recorded - w.ackedFlips);
        if ((report.status?.unsubscribed ?? false) !== w.flipped)
          out.wrongFinalState.push(`worker ${i}: ${w.flipEmail} unsubscribed≠${w.flipped}`);
        const [moved] = await s.leads.findMany('IDNUM', [String(w.moveLeadId)]);
        if (moved?.email !== w.moveEmail)
          out.wrongFinalState.push(`worker ${i}: lead ${w.moveLeadId} at ${moved?.email}`);
      }
      out.lost = out.missingAcknowledged.length;
      return out;
    });
  }
}

async function withServices<T>(
  databaseUrl: string,
  work: (s: ReturnType<typeof createServices>, database: Database) => Promise<T>,
): Promise<T> {
  const database = openDatabase({
    databaseUrl,
    dataDir: '',
    sqliteBusyTimeoutMs: 0,
    dbPoolMax: 2,
  });
  try {
    return await work(
      createServices(database, { customFields: [], defaultPartition: 'Default' }),
      database,
    );
  } finally {
    await database.close();
  }
}
