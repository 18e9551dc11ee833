/** Why the PostgreSQL of DATABASE_URL cannot be reached, in one line for an operator. */
import { credentialsMisread } from '../config/parse.js';

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  '57P03', // the database system is starting up
]);

/**
 * A Unix socket that is not there (`connect ENOENT …/.s.PGSQL.5432`): what a server reached
 * through its socket directory (`?host=/var/run/postgresql`) gives while it is stopped, as
 * ECONNREFUSED is over TCP. Only a connect's: a file pg reads for TLS (sslrootcert) missing
 * is a setting to fix, not a server down.
 */
export function isSocketMissing(error: unknown): boolean {
  const e = error as { code?: unknown; syscall?: unknown } | null;
  return e?.code === 'ENOENT' && e.syscall === 'connect';
}

/** Parameters of a PostgreSQL URL that hold a secret (?password=, ?sslpassword=, ...). */
const SECRET_PARAMETER = /pass|secret|token|key/i;

/**
 * A PostgreSQL URL as it may be shown (the start banner, "config"): its password masked, and
 * any parameter holding one, which pg reads as well as the password before the host
 * (postgres://du@db/du?password=...), and a password misread as something else
 * (credentialsMisread); null when it is not a URL.
 */
export function redactedUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  // A password read as the path, query or fragment (a character of it not percent-encoded):
  // all of it up to the last @ is masked.
  if (credentialsMisread(u)) return `${u.protocol}//***@${url.slice(url.lastIndexOf('@') + 1)}`;
  if (u.password) u.password = '***';
  for (const name of new Set(u.searchParams.keys()))
    if (SECRET_PARAMETER.test(name)) u.searchParams.set(name, '***');
  return u.toString();
}

/**
 * host:port of a PostgreSQL URL, for messages (never its user or password). A `host` parameter
 * (a Unix socket's directory, `?host=/var/run/postgresql`) is where pg connects, whatever the
 * URL's host says, so it is what the message names.
 */
export function databaseHost(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get('host') || u.hostname || 'localhost';
    return `${host}:${u.searchParams.get('port') || u.port || '5432'}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

/**
 * One line saying why the database cannot be reached, naming DATABASE_URL's host and never
 * its password; null when `error` is not about reaching it (a bug, a constraint, …).
 */
export function connectionProblem(error: unknown, databaseUrl: string): string | null {
  if (!databaseUrl) return null;
  const host = databaseHost(databaseUrl);
  const e = error as { code?: string; name?: string; message?: string };
  if (e?.name === 'KnexTimeoutError')
    return `PostgreSQL at ${host} (DATABASE_URL) did not accept a connection in time`;
  if (e?.code && (UNREACHABLE.has(e.code) || isSocketMissing(error)))
    return `PostgreSQL at ${host} (DATABASE_URL) is unreachable (${e.code})`;
  if (e?.code === '28P01' || e?.code === '28000')
    return `PostgreSQL at ${host} refused the user or password of DATABASE_URL (${e.code})`;
  // pg's error when the other end closes before answering (no code): not a PostgreSQL server,
  // or a pooler or proxy without a backend.
  if (!e?.code && e?.message === 'timeout expired')
    return `PostgreSQL at ${host} (DATABASE_URL) did not answer the connection attempt in time`;
  if (!e?.code && e?.message === 'Connection terminated unexpectedly')
    return `PostgreSQL at ${host} (DATABASE_URL) closed the connection before answering`;
  // The server ended the session: shut down, restarted, or the process terminated by an
  // administrator (pg_terminate_backend) while the command ran.
  if (e?.code === '57P01' || e?.code === '57P02')
    return `PostgreSQL at ${host} (DATABASE_URL) ended the connection (${e.code}): it was shut down, restarted or the session terminated`;
  if (e?.code === '3D000')
    return `PostgreSQL at ${host}: the database named in DATABASE_URL does not exist (${e.code})`;
  return null;
}

/** node's codes for a server certificate it did not accept. */
const CERTIFICATE_REFUSED =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_[A-Z_]+)$/;

/**
 * One line when TLS with DATABASE_URL's server fails (it offers none, or its certificate is
 * refused), naming the setting; null otherwise. Not a reason to wait and retry, as for an
 * unreachable server: the URL or the server needs changing.
 */
export function tlsProblem(error: unknown, databaseUrl: string): string | null {
  if (!databaseUrl) return null;
  const host = databaseHost(databaseUrl);
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.message === 'The server does not support SSL connections')
    return `PostgreSQL at ${host} does not accept SSL connections, which DATABASE_URL asks for (sslmode): remove sslmode from DATABASE_URL, or turn ssl on in the server`;
  if (typeof e?.code === 'string' && CERTIFICATE_REFUSED.test(e.code))
    return `PostgreSQL at ${host}: its certificate was refused (${e.code}) under DATABASE_URL's sslmode: give its CA with sslrootcert=FILE, or sslmode=no-verify to encrypt without checking`;
  return null;
}
