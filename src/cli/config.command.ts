import { ConfigError, loadConfig, settings, type Config } from '../config.js';
import { redactedUrl } from '../data-access/connection-problem.js';
import { keyCipher } from '../data-access/key-cipher.js';
import { dataDirShapeProblem } from '../data-access/sqlite-thread/open.js';
import { MIN_USER_KEY_SECRET_LENGTH } from '../data-access/user.repository.js';

export const CONFIG_HELP = `Usage: durable-unsubscribe config [--defaults]

Lists every setting with the value this process would use (from the environment, or the
default), and where it came from; secrets are masked. Exits 1 if any value is invalid, or
if settings disagree as the service would refuse them at start (INVALID: naming them).
--defaults lists the defaults and what each setting means instead.`;

// Settings holding secrets: their values are never printed (those of later settings too,
// by their names).
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|(^|_)KEY($|_)/;
const CREDENTIAL_LISTS = new Set(['MKTOWS_USERS', 'ADMIN_USERS', 'UNSUBSCRIBE_LINK_OLD_KEYS']);
// Named like a secret, but not one: the key id is written into every link it issues.
const NOT_SECRET = new Set(['UNSUBSCRIBE_LINK_KEY_ID']);
// Settings whose default depends on others (WORKERS on the engine, MAX_CONNECTIONS_PER_ADDRESS
// on MAX_CONNECTIONS, UNSUBSCRIBE_PAGE_RATE_LIMIT on UNSUBSCRIBE_RATE_LIMIT): shown as the start
// resolves them, not as their empty default.
const RESOLVED: ReadonlyArray<keyof Config> = [
  'workers',
  'maxConnectionsPerAddress',
  'unsubscribePageRateLimit',
];

/** A value as it may be shown: passwords, keys and secrets masked. */
function maskedValue(env: string, raw: string): string {
  if (raw === '') return raw;
  if (env === 'DATABASE_URL' || env === 'DATABASE_READ_URL') return redactedUrl(raw) ?? '***';
  // Refused when they hold a password, but shown beside the refusal: never the password.
  if (env === 'PUBLIC_URL' || env === 'UNSUBSCRIBE_BASE_URL')
    return redactedUrl(raw) ?? (raw.includes('@') ? '***' : raw);
  if (CREDENTIAL_LISTS.has(env)) {
    // The names are not secret; the keys and passwords after the colon are.
    return raw
      .split(',')
      .map((pair) => `${pair.slice(0, Math.max(pair.indexOf(':'), 0)).trim()}:***`)
      .join(',');
  }
  if (SECRET_NAME.test(env) && !NOT_SECRET.has(env)) return `*** (${raw.length} characters)`;
  return raw;
}

/** `config`: the effective configuration; returns the exit code. */
export function runConfigCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): number {
  const all = Object.values(settings);
  const width = Math.max(...all.map((s) => s.env.length)) + 2;
  if (args.includes('--defaults')) {
    for (const s of all)
      out.write(
        `${s.env.padEnd(width)} default: ${JSON.stringify(s.default).padEnd(12)} ${s.meaning}\n`,
      );
    return 0;
  }
  let resolved: Config | null = null;
  try {
    resolved = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  const resolvedEnvs = new Map(RESOLVED.map((key) => [settings[key].env, key]));
  let invalid = 0;
  for (const s of all) {
    const given = env[s.env];
    const raw = given ?? s.default;
    let problem = '';
    let effective = raw;
    try {
      const parsed = (s.parse as (raw: string) => unknown)(raw);
      // What the service will use: a resolved DATA_DIR, a trimmed value.
      if (['string', 'number', 'boolean'].includes(typeof parsed)) effective = String(parsed);
      const key = resolvedEnvs.get(s.env);
      if (key && resolved) effective = String(resolved[key]);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problem = `  INVALID: ${error.message}`;
      invalid++;
    }
    const shown = maskedValue(s.env, effective);
    out.write(
      `${s.env.padEnd(width)}${JSON.stringify(shown).padEnd(24)} ${given === undefined ? '(default)' : '(environment)'}${problem}\n`,
    );
  }
  if (invalid > 0) return 1;
  // The rules between settings, as the service checks them at start (DB_ACQUIRE_TIMEOUT_MS
  // below REQUEST_TIMEOUT_MS, SFDC_ORG_IDS with SFDC_PATH_SECRET…): each setting valid on its
  // own, "config" said OK and "serve" refused.
  let secret: string;
  try {
    const config = loadConfig(env);
    secret = config.userKeySecret;
    // PostgreSQL without a secret (nor ALLOW_UNSEALED_KEYS) is refused whatever it holds; the
    // embedded database makes its own at the first start, so it is not asked for here.
    if (config.databaseUrl)
      keyCipher({ secret, dataDir: '', embedded: false, allowUnsealed: config.allowUnsealedKeys });
    // A file where the embedded database's directory should be: the start's first step refuses it.
    const dataDirProblem = config.databaseUrl ? null : dataDirShapeProblem(config.dataDir);
    if (dataDirProblem) throw dataDirProblem;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.write(`INVALID: ${error.message}\n`);
    return 1;
  }
  // Whether the start refuses it depends on the database (refuseShortUserKeySecret), which
  // "config" does not open.
  if (secret !== '' && secret.length < MIN_USER_KEY_SECRET_LENGTH)
    out.write(
      `WARNING: the key-sealing secret has ${secret.length} characters, fewer than ${MIN_USER_KEY_SECRET_LENGTH}: the start refuses it unless stored SOAP user keys are sealed with it already\n`,
    );
  return 0;
}
