/**
 * sslmode in a PostgreSQL URL. pg 8 takes `prefer`, `require` and `verify-ca` as `verify-full`
 * (the server's certificate must be trusted and name its host), where libpq's `require` encrypts
 * without checking, and says so on its first connection in a warning of eight lines. Here the
 * URL handed to pg spells the mode it gets (verify-full: no warning, and no weaker checking
 * when a later pg adopts libpq's meaning), and the operator reads one line naming the setting.
 */

/** The modes pg checks as verify-full; uselibpqcompat=true gives them libpq's meaning instead. */
const TAKEN_AS_VERIFY_FULL = new Set(['prefer', 'require', 'verify-ca']);

function sslModeParameter(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.searchParams.has('uselibpqcompat')) return null;
  const mode = parsed.searchParams.get('sslmode');
  return mode !== null && TAKEN_AS_VERIFY_FULL.has(mode) ? mode : null;
}

/** One line for `setting` (DATABASE_URL, DATABASE_READ_URL) when its sslmode is checked as verify-full. */
export function sslModeWarning(setting: string, url: string): string | null {
  const mode = sslModeParameter(url);
  if (mode === null) return null;
  return `${setting}: sslmode=${mode} is taken as sslmode=verify-full (the server's certificate must be trusted, or its CA given with sslrootcert=FILE, and name the host): write sslmode=verify-full to say so, or sslmode=no-verify to encrypt without checking`;
}

/** The URL as pg is given it: a mode pg checks as verify-full spelled so. */
export function pgConnectionString(url: string): string {
  if (sslModeParameter(url) === null) return url;
  return url.replace(/([?&]sslmode=)(?:prefer|require|verify-ca)(?=[&#]|$)/g, '$1verify-full');
}
