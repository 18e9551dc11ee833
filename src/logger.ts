import {
  pino,
  stdSerializers,
  stdTimeFunctions,
  symbols,
  type DestinationStream,
  type Logger,
} from 'pino';

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
 * Characters a JSON log line carries as they are but that a reader of the log may not see as
 * text: DEL and the C1 controls (U+009B is a terminal's CSI, U+0085 a line end to some), the
 * line and paragraph separators (a new line to some log tools), and the bidirectional controls
 * (U+202E shows the rest of the line reversed). pino escapes the C0 controls (CR, LF, ESC) itself.
 */
const UNSEEN_IN_LOGS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A value a client sent (a user id a refused header gave), as a log line may carry it: each
 * character of UNSEEN_IN_LOGS written as its escape, `\u009b`, so that it reaches no terminal
 * or log viewer as a control. Anything else is kept as sent.
 */
export function loggedText(value: string): string {
  return value.replace(
    UNSEEN_IN_LOGS,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * An error as pino writes it, less a database error's `detail`: PostgreSQL puts the values of
 * the row there ("Key (email_key)=(ann@example.com) already exists", "Failing row contains
 * (…)"), and email addresses are never logged. Its code, message and stack stay, less the value
 * a data exception quotes in its message (below).
 */
function errWithoutValues(err: unknown): unknown {
  const serialized = stdSerializers.err(err as Error) as unknown;
  if (!serialized || typeof serialized !== 'object') return serialized;
  const fields = serialized as { detail?: unknown; message?: unknown; stack?: unknown };
  if ('detail' in fields) delete fields.detail;
  if (isDataException(err)) {
    if (typeof fields.message === 'string') fields.message = withoutQuotedValues(fields.message);
    if (typeof fields.stack === 'string') fields.stack = withoutQuotedValues(fields.stack);
  }
  return serialized;
}

/**
 * Whether `err` or an error it was caused by is a PostgreSQL data exception (SQLSTATE class
 * 22), whose message quotes the value it could not take: `invalid input syntax for type
 * integer: "ann@example.com"`, `value "…" is out of range for type integer`.
 */
function isDataException(err: unknown): boolean {
  let at: unknown = err;
  for (let depth = 0; depth < 8 && at && typeof at === 'object'; depth++) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('22')) return true;
    at = (at as { cause?: unknown }).cause;
  }
  return false;
}

/** A data exception's text with the values it quotes as PostgreSQL quotes them left out. */
function withoutQuotedValues(text: string): string {
  return text.replace(/(: |\bvalue )"(?:[^"]|"")*"/g, '$1"…"');
}

/**
 * Ends the process with `code` once the lines logged so far are written. pino writes stdout
 * asynchronously: a process.exit() while a line is being written sends the lines still queued
 * synchronously, ahead of it, so a stop's last line could come out before the one it follows.
 * A stdout nobody reads does not hold the exit past a second.
 */
let exiting = false;

export function exitOnceLogged(logger: Logger, code: number): void {
  // The first exit decided stands (a drain that ends just after its time ran out).
  if (exiting) return;
  exiting = true;
  process.exitCode = code;
  const exit = () => process.exit(code);
  setTimeout(exit, 1000);
  // pino's flush() answers at once on its stdout stream (it buffers nothing), though a line may
  // still be on its way: wait for that write to end ('drain': nothing left to write).
  const stream = (logger as unknown as Record<symbol, unknown>)[symbols.streamSym] as
    { _writing?: boolean; once?: (event: string, listener: () => void) => void } | undefined;
  if (stream?._writing === true && stream.once) stream.once('drain', exit);
  else logger.flush(exit);
}
