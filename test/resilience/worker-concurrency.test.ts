import path from 'node:path';
import net from 'node:net';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import knexFactory from 'knex';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import { connectionsHeldBy, workersOf } from '../support/proc.js';
import { envelope, faultCode, syncEmailXml } from '../support/service.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';

const LIMIT = 6;

const syncLead = (i: number) => envelope(syncEmailXml(`held-${i}@example.com`));

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection of its own, and the worker process it was dealt to (read from /proc). */
async function connectionTo(service: ServiceProcess, workers: number[]) {
  const before = workers.map((pid) => connectionsHeldBy(pid, service.port));
  const socket = net.connect(service.port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (let waited = 0; waited < 10000; waited += 10) {
    const worker = workers.find((pid, i) => connectionsHeldBy(pid, service.port) > before[i]!);
    if (worker !== undefined) return { socket, worker };
    await pause(10);
  }
  throw new Error('no worker took the connection');
}

/** One SOAP call on `socket`, in plain HTTP/1.1; settles with the answer's status and body. */
function call(socket: net.Socket, url: string, body: string) {
  let settled = false;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('end', () => {
      settled = true;
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text });
    });
  });
  socket.write(
    `POST ${new URL(url).pathname} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n` +
      `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return { answer, settled: () => settled };
}

/** Holds the database's write lock (writes wait behind it) until the returned function runs. */
async function holdWrites(env: Record<string, string>): Promise<() => Promise<void>> {
  if (!env.DATABASE_URL) {
    const blocker = new Database(path.join(env.DATA_DIR!, SQLITE_FILE_NAME));
    blocker.exec('BEGIN IMMEDIATE');
    return async () => {
      blocker.exec('COMMIT');
      blocker.close();
    };
  }
  const knex = knexFactory({
    client: 'pg',
    connection: env.DATABASE_URL,
    pool: { min: 1, max: 1 },
  });
  const trx = await knex.transaction();
  await trx.raw('LOCK TABLE leads IN EXCLUSIVE MODE');
  return async () => {
    await trx.commit();
    await knex.destroy();
  };
}

for (const engine of testEngines()) {
  describe(`WORKERS: a set concurrency limit is the instance's (${engine.name})`, function () {
    this.timeout(120000);
    let db: Awaited<ReturnType<typeof freshServiceDatabase>>;
    let service: ServiceProcess | undefined;
    const sockets: net.Socket[] = [];
    beforeEach(async () => (db = await freshServiceDatabase(engine)));
    afterEach(async () => {
      for (const s of sockets.splice(0)) s.destroy();
      await service?.stop();
      service = undefined;
      await db.drop();
    });

    it('admits the limit in flight over connections skewed to one worker, and refuses one more', async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        CONCURRENCY_LIMIT: String(LIMIT),
        SQLITE_BUSY_TIMEOUT_MS: '60000',
        DB_STATEMENT_TIMEOUT_MS: '60000',
        REQUEST_TIMEOUT_MS: '60000',
      });
      const workers = workersOf(service.pid);
      expect(workers).to.have.length(2);
      // Connections until one worker holds LIMIT - 1 of them and the other 2: each worker's
      // share is LIMIT / 2, so the first needs slots of the second's.
      const byWorker = new Map<number, net.Socket[]>(workers.map((pid) => [pid, []]));
      const enough = () => {
        const counts = [...byWorker.values()].map((s) => s.length).sort((a, b) => b - a);
        return counts[0]! >= LIMIT - 1 && counts[1]! >= 2;
      };
      while (!enough()) {
        const { socket, worker } = await connectionTo(service, workers);
        sockets.push(socket);
        byWorker.get(worker)!.push(socket);
      }
      const [busy, other] = [...byWorker.values()].sort((a, b) => b.length - a.length);

      const url = service.url;
      const release = await holdWrites(db.env);
      let released = false;
      try {
        const held = [
          ...busy!.slice(0, LIMIT - 1).map((s, i) => call(s, url, syncLead(i))),
          call(other![0]!, url, syncLead(LIMIT)),
        ];
        // The calls reach their workers and wait behind the lock (a refusal would answer).
        await pause(1000);
        const answered = await Promise.all(
          held.filter((c) => c.settled()).map(async (c) => faultCode((await c.answer).body)),
        );
        expect(answered, 'answered while the limit was in flight').to.deep.equal([]);

        const beyond = await call(other![1]!, url, syncLead(LIMIT + 1)).answer;
        expect(faultCode(beyond.body), beyond.body).to.equal(20024);

        await release();
        released = true;
        const statuses = await Promise.all(held.map(async (c) => (await c.answer).status));
        expect(statuses).to.deep.equal(Array(LIMIT).fill(200));
      } finally {
        if (!released) await release();
      }
    });
  });
}
