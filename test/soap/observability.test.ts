import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import {
  envelope,
  getLeadByEmailXml,
  rawCall,
  syncEmailXml,
  syncUnsubscribedXml,
  TEST_USER,
} from '../support/service.js';

describe('logs and metrics of SOAP calls', () => {
  let running: Running;
  let url: string;
  let base: string;
  let drop: () => Promise<void>;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    const made = await testEngines()[0]!.create();
    await made.db.close();
    drop = made.drop;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const config = loadConfig({
      DATA_DIR: made.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
      METRICS_PORT: '0',
    });
    running = await start(config, createLogger('info', sink));
    base = `http://127.0.0.1:${running.port}`;
    url = `${base}/soap/mktows/2_9`;
  });
  after(async () => {
    await running.close();
    await drop();
  });

  it('logs one line per call with request id, operation, user, outcome and duration, and no secrets or addresses', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml', 'X-Request-Id': 'req-123' },
      body: envelope(getLeadByEmailXml('secret.person@example.com')),
    });
    expect(res.headers.get('x-request-id')).to.equal('req-123');
    const line = lines.find((l) => l.requestId === 'req-123');
    expect(line, JSON.stringify(lines)).to.include({
      operation: 'getLead',
      userId: TEST_USER.userId,
      outcome: '20103',
    });
    expect(line?.ms).to.be.a('number');
    const all = JSON.stringify(lines);
    expect(all).to.not.contain(TEST_USER.encryptionKey);
    expect(all).to.not.contain('secret.person@example.com');
  });

  it('counts calls by operation and outcome, times them, and reports pool and propagation figures', async () => {
    await rawCall(url, syncEmailXml('m@example.com'));
    await rawCall(url, syncUnsubscribedXml('m@example.com', 'true'));
    const text = await (await fetch(`http://127.0.0.1:${running.metricsPort}/metrics`)).text();
    expect(text).to.match(/du_soap_calls_total\{operation="syncLead",outcome="ok"\} 2/);
    expect(text).to.match(/du_soap_calls_total\{operation="getLead",outcome="20103"\} 1/);
    expect(text).to.match(/du_soap_call_duration_seconds_count\{operation="syncLead"\} 2/);
    expect(text).to.match(/du_propagation_people_count 1/);
    // The second syncLead changed the person the first created, planned on its read (SQLite).
    expect(text).to.match(/du_checked_writes_total\{kind="syncLead",outcome="written"\} 1/);
    expect(text).to.match(/du_db_pool_connections\{state="used"\}/);
    // Both syncLeads went through the fast request reader, and it never failed.
    expect(text).to.match(/du_soap_fast_reads_total\{outcome="read"\} [2-9]/);
    expect(text).to.match(/du_soap_fast_reads_total\{outcome="failed"\} 0/);
  });

  it('serves metrics only on their own listener, never on the public port', async () => {
    expect(running.metricsPort).to.be.a('number').and.not.equal(running.port);
    const pub = await fetch(`${base}/metrics`);
    expect(pub.status).to.equal(404);
    expect(await pub.text()).to.not.contain('du_');
    const own = `http://127.0.0.1:${running.metricsPort}`;
    expect((await fetch(`${own}/metrics`)).status).to.equal(200);
    expect((await fetch(`${own}/`)).status).to.equal(404);
    // A method /metrics does not serve is refused as such, saying which it does.
    const posted = await fetch(`${own}/metrics`, { method: 'POST' });
    expect(posted.status).to.equal(405);
    expect(posted.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
  });
});

describe('the metrics listener settings', () => {
  it('is off with METRICS_PORT=off, and a port in use stops the start naming METRICS_PORT', async () => {
    const made = await testEngines()[0]!.create();
    await made.db.close();
    const base = {
      DATA_DIR: made.dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
    };
    const off = await start(loadConfig({ ...base, METRICS_PORT: 'off' }), createLogger('silent'));
    let taken: Running | null = null;
    try {
      expect(off.metricsPort).to.equal(null);
      taken = await start(loadConfig({ ...base, METRICS_PORT: '0' }), createLogger('silent'));
      let error: unknown;
      try {
        await start(
          loadConfig({ ...base, METRICS_PORT: String(taken.metricsPort) }),
          createLogger('silent'),
        );
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(
        /^METRICS_PORT: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
      );
    } finally {
      await off.close();
      await taken?.close();
      await made.drop();
    }
  });
});
