import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { envelope, rawCall, TEST_USER } from '../support/service.js';

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
      body: envelope(
        '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>secret.person@example.com</keyValue></leadKey></ns1:paramsGetLead>',
      ),
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
    await rawCall(
      url,
      '<ns1:paramsSyncLead><leadRecord><Email>m@example.com</Email></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
    );
    await rawCall(
      url,
      '<ns1:paramsSyncLead><leadRecord><Email>m@example.com</Email><leadAttributeList><attribute><attrName>Unsubscribed</attrName><attrValue>true</attrValue></attribute></leadAttributeList></leadRecord><returnLead>false</returnLead></ns1:paramsSyncLead>',
    );
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).to.match(/du_soap_calls_total\{operation="syncLead",outcome="ok"\} 2/);
    expect(text).to.match(/du_soap_calls_total\{operation="getLead",outcome="20103"\} 1/);
    expect(text).to.match(/du_soap_call_duration_seconds_count\{operation="syncLead"\} 2/);
    expect(text).to.match(/du_propagation_people_count 1/);
    expect(text).to.match(/du_db_pool_connections\{state="used"\}/);
  });
});
