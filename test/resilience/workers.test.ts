import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { csrfOf } from '../admin/support.js';
import { LINK_SETTINGS, linkTokens } from '../support/kill-while-calling.js';
import { testEngines } from '../support/database.js';
import { connectionsHeldBy, postOnNewConnection, workersOf } from '../support/proc.js';
import {
  envelope,
  faultCode,
  rawCall,
  syncEmailXml,
  TEST_KEY_SECRET,
  TEST_USER,
} from '../support/service.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/index.ts');

const GET_LEAD =
  '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey></ns1:paramsGetLead>';

/** The lead GET_LEAD reads, so that its calls succeed. */
async function createLead(service: ServiceProcess): Promise<void> {
  const res = await rawCall(service.url, syncEmailXml('worker@example.com'));
  expect(res.body).to.match(/<leadId>1<\/leadId>/);
}

/** An RFC 8058 one-click on a connection of its own (the workers take connections in turn). */
function oneClickOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('List-Unsubscribe=One-Click');
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined, ms = 30000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 50) {
    const value = probe();
    if (value !== undefined) return value;
    await pause(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function metricsOf(service: ServiceProcess): Promise<string> {
  const port = /Metrics:\s+http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(service.output())?.[1];
  if (!port) throw new Error(`no metrics line in:\n${service.output()}`);
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
}

function sample(text: string, line: RegExp): number {
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

for (const engine of testEngines()) {
  describe(`WORKERS: worker processes of one instance (${engine.name})`, function () {
    this.timeout(120000);
    let db: Awaited<ReturnType<typeof freshServiceDatabase>>;
    let service: ServiceProcess | undefined;
    beforeEach(async () => (db = await freshServiceDatabase(engine)));
    afterEach(async () => {
      await service?.stop();
      service = undefined;
      await db.drop();
    });

    it('two workers both answer calls, and /metrics counts the calls of both', async () => {
      service = await spawnService({ ...db.env, WORKERS: '2' });
      expect(service.output()).to.match(/2 worker processes/);
      const workers = workersOf(service.pid);
      expect(workers).to.have.length(2);
      await createLead(service);
      // Four calls at once on four connections: the connections are dealt out to the workers.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const calls = 12;
      const answered = await Promise.all(
        Array.from({ length: calls }, () => callWith(agent, service!.url, envelope(GET_LEAD))),
      );
      expect(answered.every((status) => status === 200)).to.equal(true);
      const held = workers.map((pid) => connectionsHeldBy(pid, service!.port));
      agent.destroy();
      expect(
        held.every((n) => n > 0),
        `connections per worker: ${held.join(', ')}`,
      ).to.equal(true);

      const text = await metricsOf(service);
      const counted = sample(
        text,
        /^du_soap_calls_total\{operation="getLead",outcome="[^"]+"\} (\d+)/m,
      );
      expect(counted).to.equal(calls);
      expect(
        sample(text, /^du_soap_calls_total\{operation="syncLead",outcome="ok"\} (\d+)/m),
      ).to.equal(1);
      // One pool per worker, reported for the instance: both workers' free connections summed.
      expect(sample(text, /^du_db_pool_connections\{state="free"\} (\d+)/m)).to.be.at.least(2);
    });

    /** Two 300-lead calls in flight when `signal` is sent: both answered whole, then exit 0. */
    async function drainsWhenSignalled(
      prefix: string,
      signal: (running: ServiceProcess) => void,
    ): Promise<void> {
      const running = await spawnService({ ...db.env, WORKERS: '2' });
      service = running;
      const records = Array.from(
        { length: 300 },
        (_, i) => `<leadRecord><Email>${prefix}-${i}@example.com</Email></leadRecord>`,
      ).join('');
      const bulk = `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>`;
      const inFlight = [
        rawCall(running.url, bulk),
        postOnNewConnection(running.url, envelope(bulk)),
      ];
      await pause(30);
      signal(running);
      for (const res of await Promise.all(inFlight)) {
        expect(res.status, res.body.slice(0, 300)).to.equal(200);
        expect(res.body.match(/<syncStatus>/g)).to.have.length(300);
        expect(res.body).to.not.include('FAILED');
      }
      const { code } = await running.exited;
      expect(code, running.output()).to.equal(0);
      expect(workersOf(running.pid)).to.deep.equal([]);
    }

    it('SIGTERM to the primary: the workers finish the calls in flight, then it exits 0', () =>
      drainsWhenSignalled('drain', (running) => running.child.kill('SIGTERM')));

    it('SIGHUP to the primary and its workers (a closed terminal): the calls in flight finish, then it exits 0', () =>
      drainsWhenSignalled('hangup', (running) => {
        // The terminal's process group: every process of the instance is hung up at once.
        const workers = workersOf(running.pid);
        expect(workers).to.have.length(2);
        running.child.kill('SIGHUP');
        for (const pid of workers) process.kill(pid, 'SIGHUP');
      }));

    it('a worker killed outright is replaced, with one line saying so', async () => {
      service = await spawnService({ ...db.env, WORKERS: '2', LOG_LEVEL: 'warn' });
      await createLead(service);
      const [victim, survivor] = workersOf(service.pid);
      process.kill(victim!, 'SIGKILL');
      const replacement = await until('a replacement worker', () =>
        workersOf(service!.pid).find((pid) => pid !== victim && pid !== survivor),
      );
      expect(replacement).to.be.a('number');
      const lines = service
        .output()
        .split('\n')
        .filter((l) => l.includes(`${victim}`) && l.includes('SIGKILL'));
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/starting another in \d+ ms/);
      for (let i = 0; i < 4; i++) {
        expect((await postOnNewConnection(service.url, envelope(GET_LEAD))).status).to.equal(200);
      }
    });

    it('start-up notices are said once for the instance, not once per worker', async () => {
      service = await spawnService({ ...db.env, WORKERS: '2', ALLOW_ANONYMOUS: 'true' });
      expect(workersOf(service.pid)).to.have.length(2);
      const said = service
        .output()
        .split('\n')
        .filter((l) => l.includes('ALLOW_ANONYMOUS is on'));
      expect(said, service.output()).to.have.length(1);
    });

    it('the authentication-failure limit is one budget for the instance, not one per worker', async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        AUTH_FAILURE_LIMIT: '4',
        AUTH_FAILURE_WINDOW_SECONDS: '60',
      });
      const wrong = envelope(GET_LEAD, { user: { ...TEST_USER, encryptionKey: 'NOT-THE-KEY' } });
      const statuses: number[] = [];
      // Each attempt on a new connection: the primary deals them out to both workers in turn.
      for (let i = 0; i < 10; i++) {
        statuses.push((await postOnNewConnection(service.url, wrong)).status);
        await pause(50);
      }
      expect(statuses.slice(0, 4)).to.not.include(429);
      expect(statuses.slice(4), statuses.join(' ')).to.deep.equal(Array(6).fill(429));
    });

    it('failed /admin logins from one address are one budget for the instance', async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        ADMIN_USERS: 'alice:correct horse battery',
        ADMIN_LOGIN_MAX_FAILURES: '4',
      });
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        // The connections are dealt out in turn: one more on every other attempt sends the
        // posts (each attempt's second connection) to each worker in turn.
        if (i % 2 === 1) await fetchOnNewConnection(`${service.base}/healthz`);
        statuses.push(await loginOnNewConnections(service.base, `guess${i}`, 'wrong password'));
        await pause(50);
      }
      expect(statuses.slice(0, 4), statuses.join(' ')).to.deep.equal(Array(4).fill(401));
      expect(statuses.slice(4), statuses.join(' ')).to.deep.equal(Array(6).fill(429));
    });

    it("an address an operator logged in from is exempt from the account's wait on every worker", async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        TRUST_PROXY: '1',
        ADMIN_USERS: 'alice:correct horse battery',
        ADMIN_LOGIN_MAX_FAILURES: '100',
      });
      const office = '203.0.113.20';
      const guesser = '198.51.100.7';
      expect(
        await loginOnNewConnections(service.base, 'alice', 'correct horse battery', office),
      ).to.equal(303);
      // Eight wrong guesses from elsewhere, dealt to both workers: the account waits (8 s).
      for (let i = 0; i < 8; i++) {
        if (i % 2 === 1) await fetchOnNewConnection(`${service.base}/healthz`);
        const status = await loginOnNewConnections(service.base, 'alice', 'wrong', guesser);
        expect(status).to.be.oneOf([401, 429]);
      }
      await pause(300); // the primary's verdict reaches both workers
      expect(await loginOnNewConnections(service.base, 'alice', 'wrong', guesser)).to.equal(429);
      // The operator, from the office, through each worker in turn: only one of them saw the
      // first login, the other was told of it by the primary.
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) {
        if (i === 1) await fetchOnNewConnection(`${service.base}/healthz`);
        statuses.push(
          await loginOnNewConnections(service.base, 'alice', 'correct horse battery', office),
        );
      }
      expect(statuses).to.deep.equal([303, 303]);
    });

    it('POSTs to /u/ from one address are one budget for the instance, its page reads another', async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        UNSUBSCRIBE_LINK_SECRET: 'a link secret of thirty-two characters or more',
        UNSUBSCRIBE_RATE_LIMIT: '4',
        UNSUBSCRIBE_PAGE_RATE_LIMIT: '3',
      });
      // The reads first: spent, they leave every POST its budget.
      const reads: number[] = [];
      for (let i = 0; i < 8; i++) {
        reads.push((await fetchOnNewConnection(`${service.base}/u/not-a-token-${i}`)).status);
        await pause(60);
      }
      expect(reads.slice(0, 3), reads.join(' ')).to.not.include(429);
      expect(reads.slice(3), reads.join(' ')).to.deep.equal(Array(5).fill(429));
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        statuses.push((await postOnNewConnection(`${service.base}/u/not-a-token-${i}`, '')).status);
        await pause(60);
      }
      expect(statuses.slice(0, 4), statuses.join(' ')).to.not.include(429);
      expect(statuses.slice(4), statuses.join(' ')).to.deep.equal(Array(6).fill(429));
    });

    it("past the address's budget, authentic one-clicks are admitted, each link's budget one for the instance", async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        ...LINK_SETTINGS,
        UNSUBSCRIBE_RATE_LIMIT: '2',
        UNSUBSCRIBE_LINK_RATE_LIMIT: '3',
      });
      const tokens = linkTokens();
      const distinct: number[] = [];
      for (let i = 0; i < 6; i++) {
        const url = `${service.base}/u/${tokens.create(`w${i}@example.com`)}`;
        distinct.push(await oneClickOnNewConnection(url));
        await pause(60);
      }
      expect(distinct, distinct.join(' ')).to.deep.equal(Array(6).fill(200));
      const same = `${service.base}/u/${tokens.create('same@example.com')}`;
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        statuses.push(await oneClickOnNewConnection(same));
        await pause(60);
      }
      expect(statuses, statuses.join(' ')).to.deep.equal([
        ...Array(3).fill(200),
        ...Array(5).fill(429),
      ]);
    });

    it('the per-user rate limit is one budget for the instance', async () => {
      service = await spawnService({
        ...db.env,
        WORKERS: '2',
        RATE_LIMIT_CALLS: '6',
        RATE_LIMIT_WINDOW_SECONDS: '60',
      });
      const faults: Array<number | null> = [];
      for (let i = 0; i < 10; i++) {
        faults.push(faultCode((await postOnNewConnection(service.url, envelope(GET_LEAD))).body));
        await pause(60);
      }
      expect(faults.slice(0, 6)).to.not.include(20023);
      expect(faults.slice(6), faults.join(' ')).to.deep.equal(Array(4).fill(20023));
    });

    it('workers that keep dying at start stop the primary with an error', async () => {
      const harness = path.resolve(CLI, '../../../test/support/crashing-workers.ts');
      const run = spawnSync(process.execPath, ['--import', 'tsx', harness], {
        env: {
          ...process.env,
          PORT: '0',
          METRICS_PORT: '0',
          USER_KEY_SECRET: TEST_KEY_SECRET,
          ...db.env,
          WORKERS: '2',
        },
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(run.status, run.stdout + run.stderr).to.equal(1);
      expect(run.stdout).to.not.include('announced');
      const stopped = run.stdout.split('\n').filter((l) => l.includes('keep dying at start'));
      expect(stopped).to.have.length(1);
      expect(stopped[0]).to.include('code 3');
    });

    it('a taken port stops the primary with one line and exit 1, before any worker exists', async () => {
      const holder = net.createServer();
      await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
      const port = (holder.address() as net.AddressInfo).port;
      try {
        for (const env of [{ PORT: String(port) }, { METRICS_PORT: String(port) }]) {
          const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
            env: { ...process.env, PORT: '0', METRICS_PORT: '0', ...db.env, WORKERS: '2', ...env },
            encoding: 'utf8',
            timeout: 60000,
          });
          expect(run.status, run.stderr).to.equal(1);
          expect(run.stdout).to.equal('');
          const printed = run.stderr.split('\n').filter((l) => l.trim() !== '');
          expect(printed, run.stderr).to.have.length(1);
          expect(printed[0]).to.match(
            env.PORT ? /port \d+ is in use \(set PORT\)/ : /METRICS_PORT/,
          );
        }
      } finally {
        holder.close();
      }
    });
  });
}

function callWith(agent: http.Agent, url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'text/xml; charset=utf-8' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function fetchOnNewConnection(
  url: string,
): Promise<{ status: number; body: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, cookies: res.headers['set-cookie'] ?? [] }),
        );
      })
      .on('error', reject);
  });
}

/** One /admin login attempt, its page and its post each on a new connection. */
async function loginOnNewConnections(
  base: string,
  name: string,
  password: string,
  forwardedFor?: string,
): Promise<number> {
  const page = await fetchOnNewConnection(`${base}/admin/login`);
  const form = new URLSearchParams({ _csrf: csrfOf(page.body), name, password, next: '/admin/' });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/admin/login`,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: page.cookies.map((c) => c.split(';')[0]).join('; '),
          ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(form.toString());
  });
}
