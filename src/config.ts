import path from 'node:path';

/** One setting: where it comes from, its default and what it means (the README table is built from this). */
interface Setting<T> {
  env: string;
  default: string;
  meaning: string;
  parse: (raw: string) => T;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function integer(env: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim()))
      throw new ConfigError(`${env} must be a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max)
      throw new ConfigError(`${env} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function bool(env: string) {
  return (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    throw new ConfigError(`${env} must be true or false, got "${raw}"`);
  };
}

const text = (raw: string): string => raw.trim();

export interface UserCredential {
  userId: string;
  encryptionKey: string;
}

function users(raw: string): UserCredential[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    const userId = pair.slice(0, at).trim();
    const encryptionKey = pair.slice(at + 1).trim();
    if (at < 1 || userId === '' || encryptionKey === '') {
      throw new ConfigError('MKTOWS_USERS must be comma-separated userId:encryptionKey pairs');
    }
    return { userId, encryptionKey };
  });
}

export type CustomFieldType =
  'string' | 'text' | 'integer' | 'float' | 'boolean' | 'date' | 'datetime';
const CUSTOM_FIELD_TYPES: readonly CustomFieldType[] = [
  'string',
  'text',
  'integer',
  'float',
  'boolean',
  'date',
  'datetime',
];

export interface CustomFieldDeclaration {
  name: string;
  type: CustomFieldType;
}

function customFields(raw: string): CustomFieldDeclaration[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((item) => {
    const [name = '', type = 'string'] = item.split(':').map((s) => s.trim());
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) {
      throw new ConfigError(`CUSTOM_FIELDS: "${name}" is not a valid field name`);
    }
    if (!(CUSTOM_FIELD_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(
        `CUSTOM_FIELDS: type of ${name} must be one of ${CUSTOM_FIELD_TYPES.join(', ')}`,
      );
    }
    return { name, type: type as CustomFieldType };
  });
}

function workspaces(raw: string): Record<string, string> {
  const map: Record<string, string> = {};
  if (raw.trim() === '') return map;
  for (const item of raw.split(',')) {
    const [workspace = '', partition = ''] = item.split(':').map((s) => s.trim());
    if (workspace === '' || partition === '') {
      throw new ConfigError(
        'WORKSPACE_PARTITIONS must be comma-separated workspace:partition pairs',
      );
    }
    map[workspace] = partition;
  }
  return map;
}

export const settings = {
  port: {
    env: 'PORT',
    default: '8080',
    meaning: 'HTTP port of the SOAP endpoint',
    parse: integer('PORT', 0, 65535),
  },
  host: { env: 'HOST', default: '0.0.0.0', meaning: 'Interface to listen on', parse: text },
  databaseUrl: {
    env: 'DATABASE_URL',
    default: '',
    meaning: 'PostgreSQL connection URL; empty selects the embedded SQLite database',
    parse: text,
  },
  dataDir: {
    env: 'DATA_DIR',
    default: './data',
    meaning: 'Directory of the embedded SQLite database (`:memory:` keeps it in memory, for tests)',
    parse: (raw: string) => (raw.trim() === ':memory:' ? ':memory:' : path.resolve(raw.trim())),
  },
  sqliteBusyTimeoutMs: {
    env: 'SQLITE_BUSY_TIMEOUT_MS',
    default: '5000',
    meaning: 'How long an SQLite writer waits for another process holding the write lock',
    parse: integer('SQLITE_BUSY_TIMEOUT_MS', 0, 600000),
  },
  dbPoolMax: {
    env: 'DB_POOL_MAX',
    default: '10',
    meaning: 'Maximum PostgreSQL connections per process',
    parse: integer('DB_POOL_MAX', 1, 1000),
  },
  mktowsUsers: {
    env: 'MKTOWS_USERS',
    default: '',
    meaning:
      'Comma-separated userId:encryptionKey pairs, added to the users stored in the database',
    parse: users,
  },
  userKeySecret: {
    env: 'USER_KEY_SECRET',
    default: '',
    meaning:
      'Secret that seals stored SOAP user keys (AES-256-GCM). Empty: SQLite makes one in DATA_DIR; PostgreSQL stores keys unsealed (a warning is logged)',
    parse: text,
  },
  allowAnonymous: {
    env: 'ALLOW_ANONYMOUS',
    default: 'false',
    meaning: 'Development only: accept SOAP calls without a valid AuthenticationHeader',
    parse: bool('ALLOW_ANONYMOUS'),
  },
  signatureWindowSeconds: {
    env: 'SIGNATURE_WINDOW_SECONDS',
    default: '900',
    meaning: 'How far requestTimestamp may be from the server clock, either way',
    parse: integer('SIGNATURE_WINDOW_SECONDS', 1, 31536000),
  },
  maxBodyBytes: {
    env: 'MAX_BODY_BYTES',
    default: '1048576',
    meaning: 'Largest request body accepted, after decompression',
    parse: integer('MAX_BODY_BYTES', 1024, 1073741824),
  },
  requestTimeoutMs: {
    env: 'REQUEST_TIMEOUT_MS',
    default: '30000',
    meaning: 'Longest a SOAP call may take before it is answered with a fault',
    parse: integer('REQUEST_TIMEOUT_MS', 100, 3600000),
  },
  rateLimitCalls: {
    env: 'RATE_LIMIT_CALLS',
    default: '0',
    meaning:
      'SOAP calls one user may make per RATE_LIMIT_WINDOW_SECONDS, per instance (0: no limit; fault 20023)',
    parse: integer('RATE_LIMIT_CALLS', 0, 100000000),
  },
  rateLimitWindowSeconds: {
    env: 'RATE_LIMIT_WINDOW_SECONDS',
    default: '20',
    meaning: 'Length of the rate-limit window',
    parse: integer('RATE_LIMIT_WINDOW_SECONDS', 1, 86400),
  },
  concurrencyLimit: {
    env: 'CONCURRENCY_LIMIT',
    default: '100',
    meaning:
      'SOAP calls one user may have in flight at once, per instance (0: no limit; fault 20024)',
    parse: integer('CONCURRENCY_LIMIT', 0, 1000000),
  },
  bodyTimeoutMs: {
    env: 'BODY_TIMEOUT_MS',
    default: '30000',
    meaning:
      'Longest a client may take to send a request body (slow senders get fault 20012, HTTP 408)',
    parse: integer('BODY_TIMEOUT_MS', 100, 3600000),
  },
  dbStatementTimeoutMs: {
    env: 'DB_STATEMENT_TIMEOUT_MS',
    default: '15000',
    meaning: 'PostgreSQL statement_timeout, so a stuck query cannot hold a connection forever',
    parse: integer('DB_STATEMENT_TIMEOUT_MS', 0, 3600000),
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    default: 'false',
    meaning: 'Honour X-Forwarded-Proto/Host (only behind a trusted reverse proxy)',
    parse: bool('TRUST_PROXY'),
  },
  maxBatchSize: {
    env: 'MAX_BATCH_SIZE',
    default: '300',
    meaning: 'Most lead records in one syncMultipleLeads call',
    parse: integer('MAX_BATCH_SIZE', 1, 100000),
  },
  batchConcurrency: {
    env: 'BATCH_CONCURRENCY',
    default: '2',
    meaning:
      'syncMultipleLeads batches written at once, per instance; the others wait their turn (bounds memory under concurrent batches)',
    parse: integer('BATCH_CONCURRENCY', 1, 1000),
  },
  customFields: {
    env: 'CUSTOM_FIELDS',
    default: '',
    meaning:
      'Custom lead fields, comma-separated Name:type (string, text, integer, float, boolean, date, datetime)',
    parse: customFields,
  },
  defaultPartition: {
    env: 'DEFAULT_PARTITION',
    default: 'Default',
    meaning: 'Partition of leads created without a target workspace',
    parse: text,
  },
  workspacePartitions: {
    env: 'WORKSPACE_PARTITIONS',
    default: '',
    meaning:
      'Comma-separated workspace:partition pairs: the primary partition of each targetWorkspace',
    parse: workspaces,
  },
  logLevel: {
    env: 'LOG_LEVEL',
    default: 'info',
    meaning: 'Log level (fatal, error, warn, info, debug, trace, silent)',
    parse: (raw: string) => {
      const v = raw.trim();
      if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)) {
        throw new ConfigError(
          `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`,
        );
      }
      return v;
    },
  },
  adminUsers: {
    env: 'ADMIN_USERS',
    default: '',
    meaning:
      'Comma-separated name:password pairs of /admin operators, besides those added with "operators add"',
    parse: (raw: string): Array<{ name: string; password: string }> => {
      if (raw.trim() === '') return [];
      return raw.split(',').map((pair) => {
        const at = pair.indexOf(':');
        const name = pair.slice(0, at).trim();
        const password = pair.slice(at + 1).trim();
        // Same rules as operators stored with the CLI (src/domain/operator.service.ts).
        if (at < 1 || !/^[A-Za-z0-9_.@-]{1,64}$/.test(name) || password.length < 12) {
          throw new ConfigError(
            'ADMIN_USERS must be comma-separated name:password pairs (name: 1-64 of A-Z a-z 0-9 _ . @ -; password: 12 or more characters)',
          );
        }
        return { name, password };
      });
    },
  },
  adminSessionHours: {
    env: 'ADMIN_SESSION_HOURS',
    default: '8',
    meaning: 'How long an /admin login lasts before the operator must log in again',
    parse: integer('ADMIN_SESSION_HOURS', 1, 720),
  },
  adminLoginMaxFailures: {
    env: 'ADMIN_LOGIN_MAX_FAILURES',
    default: '10',
    meaning:
      'Failed /admin logins one client address may make in 15 minutes, per instance, before being refused (HTTP 429)',
    parse: integer('ADMIN_LOGIN_MAX_FAILURES', 1, 100000),
  },
  adminUploadMaxMb: {
    env: 'ADMIN_UPLOAD_MAX_MB',
    default: '50',
    meaning: 'Largest suppression CSV the /admin import page accepts, in MiB (HTTP 413 beyond)',
    parse: integer('ADMIN_UPLOAD_MAX_MB', 1, 4096),
  },
  consoleBatchSize: {
    env: 'CONSOLE_BATCH_SIZE',
    default: '500',
    meaning:
      'People per transaction of an /admin Change Data Value run (each batch is applied and recorded at once)',
    parse: integer('CONSOLE_BATCH_SIZE', 1, 10000),
  },
  salesforceOrgIds: {
    env: 'SFDC_ORG_IDS',
    default: '',
    meaning:
      'Comma-separated Salesforce organisation ids (15 or 18 characters) whose outbound messages are accepted; empty refuses every message',
    parse: (raw: string): string[] => {
      if (raw.trim() === '') return [];
      return raw.split(',').map((item) => {
        const id = item.trim();
        // Organisation ids always start 00D; the 15-character form is case-sensitive.
        if (!/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(id)) {
          throw new ConfigError(
            `SFDC_ORG_IDS: "${id.slice(0, 40)}" is not a 15- or 18-character organisation id (00D…)`,
          );
        }
        return id;
      });
    },
  },
  salesforcePathSecret: {
    env: 'SFDC_PATH_SECRET',
    default: '',
    meaning:
      'Optional shared secret: the Salesforce listener then answers only at /soap/salesforce/outbound/<secret> (16 to 128 of A-Z a-z 0-9 - _ . ~)',
    parse: (raw: string): string => {
      const secret = raw.trim();
      if (secret !== '' && !/^[A-Za-z0-9._~-]{16,128}$/.test(secret)) {
        throw new ConfigError(
          'SFDC_PATH_SECRET must be 16 to 128 characters of A-Z a-z 0-9 - _ . ~',
        );
      }
      return secret;
    },
  },
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
  return { ...(out as Config), ...overrides };
}
