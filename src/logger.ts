import { pino, stdSerializers, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines for machines; readable lines when a person watches a terminal. Keys and
 * signatures must never reach a log line, whatever gets logged by mistake.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    serializers: { err: errWithoutValues },
    base: { service: 'durable-unsubscribe' },
    // "time":"2026-03-01T12:00:00.000Z": what log shippers and people read without converting.
    timestamp: stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'encryptionKey',
        'requestSignature',
        '*.encryptionKey',
        '*.requestSignature',
        'password',
        '*.password',
      ],
      censor: '[redacted]',
    },
  };
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && level !== 'silent') {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' },
      },
    });
  }
  return pino(options);
}

/**
 * An error as pino writes it, less a database error's `detail`: PostgreSQL puts the values of
 * the row there ("Key (email_key)=(ann@example.com) already exists", "Failing row contains
 * (…)"), and email addresses are never logged. Its code, message and stack stay.
 */
function errWithoutValues(err: unknown): unknown {
  const serialized = stdSerializers.err(err as Error) as unknown;
  if (serialized && typeof serialized === 'object' && 'detail' in serialized)
    delete (serialized as { detail?: unknown }).detail;
  return serialized;
}
