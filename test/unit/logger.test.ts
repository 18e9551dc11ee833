import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../../src/logger.js';

describe('log lines', () => {
  it('carry ISO-8601 UTC timestamps and never a key', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink as unknown as Parameters<typeof createLogger>[1]);
    logger.info({ userId: 'u1', encryptionKey: 'SECRET-KEY' }, 'hello');
    const line = JSON.parse(lines[0]!) as { time: unknown; encryptionKey: unknown };
    expect(line.time).to.be.a('string');
    expect(line.time).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(line.time as string) - Date.now())).to.be.below(60000);
    expect(lines[0]).to.not.contain('SECRET-KEY');
  });
});
