import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { TEST_USER } from './service.js';

/** The service started in-process, its log kept as written: what a log reader would see. */
export interface LoggedService {
  running: Running;
  /** Everything logged so far, as written (JSON lines). */
  text(): string;
  /** The lines logged so far, empty ones left out. */
  lines(): string[];
}

/**
 * The service in this process on an in-memory SQLite database, TEST_USER its one SOAP user, its
 * log at `level` kept for the test to read; `env` adds settings.
 */
export async function startLoggedService(
  level: string,
  env: Record<string, string> = {},
): Promise<LoggedService> {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const config = loadConfig({
    DATABASE_URL: '',
    DATA_DIR: ':memory:',
    PORT: '0',
    METRICS_PORT: '0',
    HOST: '127.0.0.1',
    MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
    ...env,
  });
  const running = await start(config, createLogger(level, sink));
  return {
    running,
    text: () => text,
    lines: () => text.split('\n').filter((line) => line !== ''),
  };
}
