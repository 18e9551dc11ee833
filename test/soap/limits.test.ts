import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE_NAME } from '../../src/data-access/database.js';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  getLeadByEmailXml,
  rawCall,
  startTestService,
  syncEmailXml,
} from '../support/service.js';

const GET = getLeadByEmailXml('x@example.com');

const SYNC = syncEmailXml('held@example.com');

describe('call limits over HTTP (sqlite)', () => {
  const engine = testEngines()[0]!;

  it('answers the call over the rate limit with 20023', async () => {
    const service = await startTestService(engine, {
      rateLimitCalls: 3,
      rateLimitWindowSeconds: 60,
    });
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push(faultCode((await rawCall(service.url, GET)).body));
      expect(codes).to.deep.equal([20103, 20103, 20103, 20023, 20023]);
    } finally {
      await service.stop();
    }
  });

  it('answers a call over the concurrency limit with 20024 while another is in flight', async () => {
    const service = await startTestService(engine, {
      concurrencyLimit: 1,
      sqliteBusyTimeoutMs: 500,
    });
    // Another connection holds SQLite's write lock, so the first call stays in flight (its
    // retries leave the event loop free between short busy waits).
    const blocker = new Database(path.join(service.config.dataDir, SQLITE_FILE_NAME));
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const first = rawCall(service.url, SYNC);
      await new Promise((r) => setTimeout(r, 300));
      const second = await rawCall(service.url, GET);
      expect(faultCode(second.body)).to.equal(20024);
      blocker.exec('COMMIT');
      expect((await first).status).to.equal(200);
      expect(faultCode((await rawCall(service.url, GET)).body)).to.equal(20103);
    } finally {
      blocker.close();
      await service.stop();
    }
  });
});
