import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'durable-unsubscribe' },
    // Keys and signatures must never reach a log line, whatever gets logged by mistake.
    redact: {
      paths: ['*.encryptionKey', '*.requestSignature', 'encryptionKey', 'requestSignature'],
      censor: '[redacted]',
    },
  });
}
