import fs from 'node:fs';
import path from 'node:path';
import { parseNetwork, type Network } from './networks.js';
import { isPartitionName, type Permissions } from './domain/permissions.js';

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

/** Comma-separated addresses or CIDR blocks, IPv4 or IPv6. */
function networks(env: string) {
  return (raw: string): Network[] => {
    if (raw.trim() === '') return [];
    return raw.split(',').map((item) => {
      const network = parseNetwork(item);
      if (!network)
        throw new ConfigError(
          `${env}: "${item.trim().slice(0, 60)}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)`,
        );
      return network;
    });
  };
}

/** Express's names for the private ranges, accepted in TRUST_PROXY besides addresses. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: false, a hop count, or the proxies' addresses. `true` is refused: it trusted
 * the left-most X-Forwarded-For, which any client writes itself.
 */
function trustProxy(raw: string): false | number | string[] {
  const v = raw.trim().toLowerCase();
  if (['', 'false', 'no', 'off', '0'].includes(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) {
    throw new ConfigError(
      'TRUST_PROXY=true is not accepted (it trusted any client-written X-Forwarded-For): give the number of proxies in front of the service (e.g. TRUST_PROXY=1) or their addresses/CIDR blocks (e.g. TRUST_PROXY=10.0.0.0/8,loopback)',
    );
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 10) throw new ConfigError(`TRUST_PROXY must be 0 to 10 hops, got ${hops}`);
    return hops;
  }
  return raw.split(',').map((item) => {
    const name = item.trim().toLowerCase();
    if (PROXY_RANGE_NAMES.includes(name)) return name;
    const network = parseNetwork(item);
    if (!network)
      throw new ConfigError(
        `TRUST_PROXY: "${item.trim().slice(0, 60)}" is not a hop count, an IP address, a CIDR block or one of ${PROXY_RANGE_NAMES.join(', ')}`,
      );
    return `${network.address}/${network.prefix}`;
  });
}

/** A port, or null when empty / `off` (the listener is disabled). */
function optionalPort(env: string) {
  return (raw: string): number | null => {
    const v = raw.trim().toLowerCase();
    if (v === '' || v === 'off') return null;
    return integer(env, 0, 65535)(v);
  };
}

export interface UserCredential {
  userId: string;
  encryptionKey: string;
  /** Absent: full access. */
  permissions?: Permissions;
}

// A trailing ";read-only", ";no-delete" or ";partitions=A+B" of a MKTOWS_USERS entry. Only
// these exact words count as options, so a key that happens to hold a ';' still reads as before.
const USER_OPTION = /;\s*(read-only|no-delete|partitions=[^;]*)\s*$/;

function users(raw: string): UserCredential[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    let pair = entry;
    const options: string[] = [];
    for (let m = USER_OPTION.exec(pair); m; m = USER_OPTION.exec(pair)) {
      options.unshift(m[1]!);
      pair = pair.slice(0, m.index);
    }
    const at = pair.indexOf(':');
    const userId = pair.slice(0, at).trim();
    const encryptionKey = pair.slice(at + 1).trim();
    if (at < 1 || userId === '' || encryptionKey === '') {
      throw new ConfigError(
        'MKTOWS_USERS must be comma-separated userId:encryptionKey pairs, each optionally followed by ;read-only, ;no-delete or ;partitions=A+B',
      );
    }
    if (options.length === 0) return { userId, encryptionKey };
    const permissions: Permissions = { readOnly: false, mayDelete: true, partitions: null };
    for (const option of options) {
      if (option === 'read-only') permissions.readOnly = true;
      else if (option === 'no-delete') permissions.mayDelete = false;
      else {
        const names = option
          .slice('partitions='.length)
          .split('+')
          .map((p) => p.trim());
        if (names.some((p) => !isPartitionName(p))) {
          throw new ConfigError(
            `MKTOWS_USERS: ${userId}: partitions must be partition names joined by + (1-64 of A-Z a-z 0-9 space _ . @ -)`,
          );
        }
        permissions.partitions = names;
      }
    }
    if (permissions.readOnly) permissions.mayDelete = false;
    return { userId, encryptionKey, permissions };
  });
}

function publicUrl(raw: string): string {
  const v = raw.trim();
  if (v === '') return '';
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`PUBLIC_URL must be an absolute http(s) URL, got "${v.slice(0, 80)}"`);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || /["'<>\s]/.test(v)) {
    throw new ConfigError(
      'PUBLIC_URL must be an http(s) URL without query, fragment, quotes or spaces, e.g. https://soap.example.com',
    );
  }
  return v.replace(/\/+$/, '');
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

/**
 * Empty (the embedded SQLite database) or a postgres:// URL with a host. The message never
 * repeats the value: it may hold a password.
 */
function databaseUrl(raw: string): string {
  const url = raw.trim();
  if (url === '') return url;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite' || scheme === 'file')
    throw new ConfigError(
      'DATABASE_URL: leave it empty for the embedded SQLite database (its directory is DATA_DIR)',
    );
  if (scheme === undefined)
    throw new ConfigError(
      'DATABASE_URL is not a URL: expected postgres://user:password@host:5432/database, or empty for SQLite',
    );
  if (scheme !== 'postgres' && scheme !== 'postgresql')
    throw new ConfigError(
      `DATABASE_URL: "${scheme}" is not supported; use postgres://user:password@host:5432/database, or empty for SQLite`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL is not a valid postgres:// URL');
  }
  if (!parsed.hostname && !parsed.searchParams.has('host'))
    throw new ConfigError(
      'DATABASE_URL names no host: postgres://user:password@host:5432/database',
    );
  return url;
}
const LINK_KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

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
    parse: databaseUrl,
  },
  dataDir: {
    env: 'DATA_DIR',
    default: './data',
    meaning: 'Directory of the embedded SQLite database (`:memory:` keeps it in memory, for tests)',
    parse: (raw: string) => (raw.trim() === ':memory:' ? ':memory:' : path.resolve(raw.trim())),
  },
  databaseReadUrl: {
    env: 'DATABASE_READ_URL',
    default: '',
    meaning:
      'Optional PostgreSQL URL of a streaming standby for read-only operations (getLead, getMultipleLeads, getLeadActivity, getLeadChanges, /admin search); empty: every read goes to DATABASE_URL',
    parse: text,
  },
  databaseReadMaxLagMs: {
    env: 'DATABASE_READ_MAX_LAG_MS',
    default: '1000',
    meaning:
      'Reads go to DATABASE_READ_URL only while it has replayed everything the primary had written this many ms ago (checked every 200 ms); otherwise to the primary',
    parse: integer('DATABASE_READ_MAX_LAG_MS', 0, 3600000),
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
      'Comma-separated userId:encryptionKey pairs, added to the users stored in the database; each may end in ;read-only, ;no-delete or ;partitions=A+B (docs/security.md)',
    parse: users,
  },
  userKeySecret: {
    env: 'USER_KEY_SECRET',
    default: '',
    meaning:
      'Secret that seals stored SOAP user keys (AES-256-GCM, bound to the user id). Empty: SQLite makes one in DATA_DIR; PostgreSQL refuses to start (see ALLOW_UNSEALED_KEYS)',
    parse: text,
  },
  userKeySecretFile: {
    env: 'USER_KEY_SECRET_FILE',
    default: '',
    meaning:
      'File holding USER_KEY_SECRET (e.g. a container secret), read at start; set one of the two',
    parse: text,
  },
  allowUnsealedKeys: {
    env: 'ALLOW_UNSEALED_KEYS',
    default: 'false',
    meaning:
      'Development only: on PostgreSQL without USER_KEY_SECRET, store SOAP user keys unsealed instead of refusing to start',
    parse: bool('ALLOW_UNSEALED_KEYS'),
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
    meaning:
      'How far requestTimestamp may be from the server clock, either way (60 to 86400); a captured request can be replayed within it',
    parse: integer('SIGNATURE_WINDOW_SECONDS', 60, 86400),
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
    default: '20000',
    meaning:
      'SOAP calls one user may make per RATE_LIMIT_WINDOW_SECONDS, per instance (0: no limit; fault 20023). The default, 1,000 calls/s, is 20 times a bulk feed at the benchmark rate',
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
    default: '',
    meaning:
      'SOAP calls one user may have in flight at once, per instance (empty: DB_POOL_MAX, so one user cannot hold every connection of the pool; 0: no limit; fault 20024)',
    parse: (raw: string): number | null =>
      raw.trim() === '' ? null : integer('CONCURRENCY_LIMIT', 0, 1000000)(raw),
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
    meaning:
      'PostgreSQL statement_timeout of each write transaction (SET LOCAL, so it suits PgBouncer transaction pooling), and the longest a COMMIT waits for a synchronous standby (then fault 20011); plain reads run under the role default (docs/operations.md)',
    parse: integer('DB_STATEMENT_TIMEOUT_MS', 0, 3600000),
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    default: 'false',
    meaning:
      'Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: false, the number of proxies in front (e.g. 1), or their comma-separated addresses/CIDR blocks (loopback, linklocal, uniquelocal also accepted); true is refused',
    parse: trustProxy,
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
      'Secret path of the Salesforce listener, required with SFDC_ORG_IDS: it answers only at /soap/salesforce/outbound/<secret>, anything else is 404 (16 to 128 of A-Z a-z 0-9 - _ . ~)',
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
  salesforceAllowedNetworks: {
    env: 'SFDC_ALLOWED_NETWORKS',
    default: '',
    meaning:
      'Optional comma-separated CIDR blocks (IPv4, IPv6) the Salesforce listener accepts messages from, checked against the client address TRUST_PROXY resolves; empty: any address',
    parse: networks('SFDC_ALLOWED_NETWORKS'),
  },
  protectedReasons: {
    env: 'PROTECTED_REASONS',
    default: 'complaint',
    meaning:
      'Comma-separated words: a suppression whose reason contains one (whole words, any case) is lifted only by an operator (person page, CLI); other paths get fault 20106',
    parse: (raw: string): string[] =>
      raw
        .split(',')
        .map((r) => r.trim().toLowerCase())
        .filter((r) => r !== ''),
  },
  metricsPort: {
    env: 'METRICS_PORT',
    default: '9464',
    meaning:
      'Port of the separate /metrics listener (on METRICS_HOST, never the public port); empty or off: no metrics listener; 0: any free port',
    parse: optionalPort('METRICS_PORT'),
  },
  metricsHost: {
    env: 'METRICS_HOST',
    default: '127.0.0.1',
    meaning: 'Interface of the /metrics listener (loopback unless a scraper must reach it)',
    parse: text,
  },
  maxAttributesPerElement: {
    env: 'MAX_ATTRIBUTES_PER_ELEMENT',
    default: '100',
    meaning:
      'Most attributes (namespace declarations included) one element of a SOAP request may carry (fault 20012)',
    parse: integer('MAX_ATTRIBUTES_PER_ELEMENT', 8, 100000),
  },
  authFailureLimit: {
    env: 'AUTH_FAILURE_LIMIT',
    default: '20',
    meaning:
      'SOAP authentication failures one client address may cause per AUTH_FAILURE_WINDOW_SECONDS, per instance; then HTTP 429 with Retry-After until the window ends (0: no limit)',
    parse: integer('AUTH_FAILURE_LIMIT', 0, 1000000),
  },
  authFailureWindowSeconds: {
    env: 'AUTH_FAILURE_WINDOW_SECONDS',
    default: '60',
    meaning: 'Length of the authentication-failure window',
    parse: integer('AUTH_FAILURE_WINDOW_SECONDS', 1, 86400),
  },
  getLeadMaxResults: {
    env: 'GET_LEAD_MAX_RESULTS',
    default: '100',
    meaning:
      'Most people one getLead answers with, the most recently updated first (count says how many the answer holds); for every person of a key, use getMultipleLeads',
    parse: integer('GET_LEAD_MAX_RESULTS', 1, 100000),
  },
  activityScanLimit: {
    env: 'ACTIVITY_SCAN_LIMIT',
    default: '20000',
    meaning:
      'Most activities one getLeadChanges or getLeadActivity call reads past its start; a call that finds fewer than its batch answers with the position to continue from',
    parse: integer('ACTIVITY_SCAN_LIMIT', 1000, 10000000),
  },
  publicUrl: {
    env: 'PUBLIC_URL',
    default: '',
    meaning:
      "Base URL clients reach the service at (e.g. https://soap.example.com); when set, the WSDLs' soap:address uses it instead of the request's Host",
    parse: publicUrl,
  },
  unsubscribeLinkSecret: {
    env: 'UNSUBSCRIBE_LINK_SECRET',
    default: '',
    meaning:
      'Secret of the current unsubscribe-link key (32 or more characters). Empty: SQLite makes one in DATA_DIR; PostgreSQL turns /u/ links off. See docs/one-click.md',
    parse: (raw: string): string => {
      const secret = raw.trim();
      if (secret !== '' && secret.length < 32)
        throw new ConfigError('UNSUBSCRIBE_LINK_SECRET must be 32 or more characters');
      return secret;
    },
  },
  unsubscribeLinkKeyId: {
    env: 'UNSUBSCRIBE_LINK_KEY_ID',
    default: 'k1',
    meaning:
      'Key id of UNSUBSCRIBE_LINK_SECRET, written into every new link (1 to 16 of A-Z a-z 0-9 _ -)',
    parse: (raw: string): string => {
      const id = raw.trim();
      if (!LINK_KEY_ID.test(id))
        throw new ConfigError('UNSUBSCRIBE_LINK_KEY_ID must be 1 to 16 of A-Z a-z 0-9 _ -');
      return id;
    },
  },
  unsubscribeLinkOldKeys: {
    env: 'UNSUBSCRIBE_LINK_OLD_KEYS',
    default: '',
    meaning:
      'Retired unsubscribe-link keys still accepted, comma-separated keyId:secret pairs (links already sent keep working after a rotation)',
    parse: (raw: string): Array<{ id: string; secret: string }> => {
      if (raw.trim() === '') return [];
      return raw.split(',').map((pair) => {
        const at = pair.indexOf(':');
        const id = pair.slice(0, at).trim();
        const secret = pair.slice(at + 1).trim();
        if (at < 1 || !LINK_KEY_ID.test(id) || secret.length < 32) {
          throw new ConfigError(
            'UNSUBSCRIBE_LINK_OLD_KEYS must be comma-separated keyId:secret pairs (id: 1 to 16 of A-Z a-z 0-9 _ -; secret: 32 or more characters)',
          );
        }
        return { id, secret };
      });
    },
  },
  unsubscribeBaseUrl: {
    env: 'UNSUBSCRIBE_BASE_URL',
    default: '',
    meaning:
      'Public https base URL of this service, for the links "durable-unsubscribe link" and "headers" print (empty: PUBLIC_URL, else http://localhost:PORT)',
    parse: (raw: string): string => {
      const url = raw.trim().replace(/\/+$/, '');
      if (url === '') return '';
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ConfigError(`UNSUBSCRIBE_BASE_URL is not a URL: "${url.slice(0, 80)}"`);
      }
      if (!['https:', 'http:'].includes(parsed.protocol) || parsed.search || parsed.hash)
        throw new ConfigError('UNSUBSCRIBE_BASE_URL must be an http(s) URL without ? or #');
      return url;
    },
  },
  unsubscribeLinkMaxAgeDays: {
    env: 'UNSUBSCRIBE_LINK_MAX_AGE_DAYS',
    default: '365',
    meaning: 'Days an unsubscribe link keeps working after it was issued (90 at least)',
    parse: integer('UNSUBSCRIBE_LINK_MAX_AGE_DAYS', 90, 36500),
  },
  unsubscribeUndoMinutes: {
    env: 'UNSUBSCRIBE_UNDO_MINUTES',
    default: '15',
    meaning:
      'How long the unsubscribe page offers "resubscribe" after its own unsubscribe (0: never)',
    parse: integer('UNSUBSCRIBE_UNDO_MINUTES', 0, 1440),
  },
  unsubscribeRateLimit: {
    env: 'UNSUBSCRIBE_RATE_LIMIT',
    default: '600',
    meaning:
      'Requests to /u/ one client address (IPv6: its /64) may make per minute, per instance (0: no limit; HTTP 429). Mailbox providers post from shared addresses: keep it generous',
    parse: integer('UNSUBSCRIBE_RATE_LIMIT', 0, 100000000),
  },
  unsubscribeMaxBodyBytes: {
    env: 'UNSUBSCRIBE_MAX_BODY_BYTES',
    default: '8192',
    meaning: 'Largest body a POST to /u/ may carry (the one-click body is 26 bytes)',
    parse: integer('UNSUBSCRIBE_MAX_BODY_BYTES', 256, 1048576),
  },
  unsubscribeSenderName: {
    env: 'UNSUBSCRIBE_SENDER_NAME',
    default: '',
    meaning: 'Sender name shown on the unsubscribe page (empty: none)',
    parse: (raw: string): string => raw.trim().slice(0, 100),
  },
  unsubscribeLogoUrl: {
    env: 'UNSUBSCRIBE_LOGO_URL',
    default: '',
    meaning: 'https URL of a logo shown on the unsubscribe page (empty: none)',
    parse: (raw: string): string => {
      const url = raw.trim();
      if (url === '') return '';
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        // reported below
      }
      if (!parsed || parsed.protocol !== 'https:')
        throw new ConfigError('UNSUBSCRIBE_LOGO_URL must be an https URL');
      return parsed.toString();
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
  return checkCombinations({ ...(out as Config), ...overrides });
}

/** Rules between settings, checked once each is valid on its own. */
function checkCombinations(config: Config): Config {
  if (config.databaseReadUrl && !config.databaseUrl)
    throw new ConfigError('DATABASE_READ_URL needs DATABASE_URL (a PostgreSQL primary)');
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
