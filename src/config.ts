import fs from 'node:fs';
import { ConfigError, type Setting, usersWithOptionLookalikes } from './config/parse.js';
import { lookalikeLine, settingLookalikes } from './config/lookalikes.js';
import { defaultWorkers, listenerSettings } from './config/listener.settings.js';
import { databaseSettings } from './config/database.settings.js';
import { mktowsSettings } from './config/mktows.settings.js';
import { adminSettings } from './config/admin.settings.js';
import { cliSettings } from './config/cli.settings.js';
import { salesforceSettings } from './config/salesforce.settings.js';
import {
  linkBaseWarning,
  linkHeaderLimitWarning,
  oneClickSettings,
} from './config/one-click.settings.js';
import { sslModeWarning } from './config/ssl-mode.js';

export {
  ConfigError,
  type CustomFieldDeclaration,
  type CustomFieldType,
  type UserCredential,
} from './config/parse.js';

/**
 * Every setting, by topic (src/config/*.settings.ts): where it comes from, its default and what
 * it means. The README table is kept in step with it by a test.
 */
export const settings = {
  ...listenerSettings,
  ...databaseSettings,
  ...mktowsSettings,
  ...adminSettings,
  ...salesforceSettings,
  ...oneClickSettings,
  ...cliSettings,
} satisfies Record<string, Setting<unknown>>;

type Settings = typeof settings;
export type Config = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> };

/** Reads and validates every setting; throws ConfigError naming the first bad one. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const out: Partial<Record<keyof Settings, unknown>> = {};
  for (const key of Object.keys(settings) as (keyof Settings)[]) {
    const setting: Setting<unknown> = settings[key];
    const raw = env[setting.env];
    out[key] = setting.parse(raw === undefined ? setting.default : raw);
  }
  const config = { ...(out as Config), ...overrides };
  if (config.workers === 0)
    config.workers = defaultWorkers(config.databaseUrl ? 'postgres' : 'sqlite');
  // A quarter: one address (a proxy aside) never holds the port alone.
  config.maxConnectionsPerAddress ??= Math.floor(config.maxConnections / 4);
  // The page reads' budget as large as the POSTs' unless set: a configuration made when one
  // budget counted both still admits at least what it admitted then.
  config.unsubscribePageRateLimit ??= config.unsubscribeRateLimit;
  return checkCombinations(config);
}

/** Rules between settings, checked once each is valid on its own. */
function checkCombinations(config: Config): Config {
  if (config.databaseReadUrl && !config.databaseUrl)
    throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL (a PostgreSQL primary)');
  // A call queued for a busy pool must be shed (20024, "try again") before the call itself
  // times out (10001, outcome unknown to the caller).
  if (config.dbAcquireTimeoutMs >= config.requestTimeoutMs) {
    throw new ConfigError(
      `DB_ACQUIRE_TIMEOUT_MS (${config.dbAcquireTimeoutMs}) must be below REQUEST_TIMEOUT_MS (${config.requestTimeoutMs})`,
    );
  }
  // Two listeners on one port: the second would fail as if another program held it.
  if (config.metricsPort !== null && config.metricsPort !== 0 && config.metricsPort === config.port)
    throw new ConfigError(
      `METRICS_PORT (${config.metricsPort}) must differ from PORT (${config.port}): set another METRICS_PORT, or METRICS_PORT=off`,
    );
  // An empty host is every interface to node: a blank line in an env file would serve the
  // metrics on the public network instead of loopback.
  if (config.metricsPort !== null && config.metricsHost === '')
    throw new ConfigError(
      'METRICS_HOST is empty: leave it unset for 127.0.0.1 (this machine only), give the interface a scraper reaches (0.0.0.0: every one), or set METRICS_PORT=off',
    );
  const keyIds = new Set([config.unsubscribeLinkKeyId]);
  for (const { id } of config.unsubscribeLinkOldKeys) {
    if (keyIds.has(id))
      throw new ConfigError(
        id === config.unsubscribeLinkKeyId
          ? `UNSUBSCRIBE_LINK_OLD_KEYS holds ${id}, the id of the current key (UNSUBSCRIBE_LINK_KEY_ID): give the new key a new id`
          : `UNSUBSCRIBE_LINK_OLD_KEYS holds ${id} twice: each retired key keeps its own id`,
      );
    keyIds.add(id);
  }
  if (config.salesforceOrgIds.length > 0 && config.salesforcePathSecret === '') {
    throw new ConfigError(
      'SFDC_ORG_IDS is set but SFDC_PATH_SECRET is not: the Salesforce listener needs a secret path (16 to 128 of A-Z a-z 0-9 - _ . ~); set SFDC_PATH_SECRET or clear SFDC_ORG_IDS',
    );
  }
  if (config.userKeySecretFile !== '') {
    if (config.userKeySecret !== '')
      throw new ConfigError('Set USER_KEY_SECRET or USER_KEY_SECRET_FILE, not both');
    let secret: string;
    try {
      secret = fs.readFileSync(config.userKeySecretFile, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `USER_KEY_SECRET_FILE: cannot read ${config.userKeySecretFile} (${(error as { code?: string }).code ?? 'error'})`,
      );
    }
    if (secret === '')
      throw new ConfigError(`USER_KEY_SECRET_FILE: ${config.userKeySecretFile} is empty`);
    return { ...config, userKeySecret: secret };
  }
  return config;
}

/**
 * What an operator should hear of the settings, one line each (values never shown): variables
 * that look like a setting but are not one, a MKTOWS_USERS option mistyped (the user id named,
 * never the key), an sslmode that pg checks more than its name says.
 */
export function settingWarnings(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = Object.values(settings).map((s) => s.env);
  const lines = settingLookalikes(env, known).map(lookalikeLine);
  for (const userId of usersWithOptionLookalikes(env.MKTOWS_USERS ?? ''))
    lines.push(
      `MKTOWS_USERS: the key of ${userId} ends in what looks like a mistyped option; only ;read-only, ;no-delete and ;partitions=A+B are options, so ${userId} has full access with that ending as part of its key`,
    );
  for (const setting of ['DATABASE_URL', 'DATABASE_READ_URL']) {
    const line = sslModeWarning(setting, env[setting]?.trim() ?? '');
    if (line) lines.push(line);
  }
  const plainLinks = linkBaseWarning(env);
  if (plainLinks) lines.push(plainLinks);
  const shortHeaders = linkHeaderLimitWarning(env);
  if (shortHeaders) lines.push(shortHeaders);
  return lines;
}
