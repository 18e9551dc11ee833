import { parseNetwork, type Network } from '../http/networks.js';
import { quoted } from './quoted.js';
import { isPartitionName, MAX_PARTITION_LENGTH, type Permissions } from '../domain/permissions.js';
import {
  CUSTOM_FIELD_TYPES,
  LEAD_RECORD_MEMBER_FIELDS,
  STANDARD_FIELDS,
  type CustomFieldDeclaration,
  type CustomFieldType,
} from '../domain/field-catalogue.js';

export type { CustomFieldDeclaration, CustomFieldType };

// The parsers settings are read with: each throws ConfigError naming the setting.

/** One setting: where it comes from, its default and what it means (the README table is built from this). */
export interface Setting<T> {
  env: string;
  default: string;
  meaning: string;
  parse: (raw: string) => T;
}

export { quoted };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function integer(env: string, min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim()))
      throw new ConfigError(`${env} must be a whole number, got ${quoted(raw)}`);
    const n = Number(raw);
    if (n < min || n > max)
      throw new ConfigError(`${env} must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

/** A whole number in [min, max], or null when the setting is empty (its default then derives from another). */
export function optionalInteger(env: string, min: number, max: number) {
  const parse = integer(env, min, max);
  return (raw: string): number | null => (raw.trim() === '' ? null : parse(raw));
}

/**
 * Comma-separated name:secret pairs, each split at its first colon and both sides trimmed; a
 * pair with no name before a colon, or that `sound` refuses, is the ConfigError `message`.
 */
export function nameSecretPairs(
  raw: string,
  sound: (name: string, secret: string) => boolean,
  message: string,
): Array<[name: string, secret: string]> {
  if (raw.trim() === '') return [];
  return raw.split(',').map((pair) => {
    const at = pair.indexOf(':');
    const name = pair.slice(0, at).trim();
    const secret = pair.slice(at + 1).trim();
    if (at < 1 || !sound(name, secret)) throw new ConfigError(message);
    return [name, secret];
  });
}

export function bool(env: string) {
  return (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
    throw new ConfigError(`${env} must be true or false, got ${quoted(raw)}`);
  };
}

export const text = (raw: string): string => raw.trim();

/** One of `values`, exactly (surrounding spaces aside). */
export function oneOf<T extends string>(env: string, values: readonly T[]) {
  return (raw: string): T => {
    const found = values.find((v) => v === raw.trim());
    if (found === undefined)
      throw new ConfigError(`${env} must be one of ${values.join(', ')}, got ${quoted(raw)}`);
    return found;
  };
}

/** Comma-separated addresses or CIDR blocks, IPv4 or IPv6. */
export function networks(env: string) {
  return (raw: string): Network[] => {
    if (raw.trim() === '') return [];
    return raw.split(',').map((item) => {
      const network = parseNetwork(item);
      if (!network)
        throw new ConfigError(
          `${env}: ${quoted(item)} is not an IP address or CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)`,
        );
      return network;
    });
  };
}

/** Express's names for the private ranges, accepted in TRUST_PROXY besides addresses. */
export const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: false, a hop count, or the proxies' addresses. `true` is refused: it trusted
 * the left-most X-Forwarded-For, which any client writes itself.
 */
export function trustProxy(raw: string): false | number | string[] {
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
        `TRUST_PROXY: ${quoted(item)} is not a hop count, an IP address, a CIDR block or one of ${PROXY_RANGE_NAMES.join(', ')}`,
      );
    return `${network.address}/${network.prefix}`;
  });
}

/** A port, or null when empty / `off` (the listener is disabled). */
export function optionalPort(env: string) {
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
export const USER_OPTION = /;\s*(read-only|no-delete|partitions=[^;]*)\s*$/;

/** The end of a key after its last ';' when it reads like a mistyped option (";readonly"). */
const OPTION_LOOKALIKE = /;\s*(read[-_ ]?only|no[-_ ]?delete|partitions?\s*[=:].*)\s*$/i;

/**
 * The users of MKTOWS_USERS whose key ends in what looks like a mistyped option: it is read as
 * part of the key (a key may hold a ';'), so the user has full access. Never the keys.
 */
export function usersWithOptionLookalikes(raw: string): string[] {
  const found: string[] = [];
  for (const entry of raw.split(',')) {
    let pair = entry;
    for (let m = USER_OPTION.exec(pair); m; m = USER_OPTION.exec(pair))
      pair = pair.slice(0, m.index);
    const at = pair.indexOf(':');
    if (at >= 1 && OPTION_LOOKALIKE.test(pair.slice(at + 1))) found.push(pair.slice(0, at).trim());
  }
  return found;
}

export function users(raw: string): UserCredential[] {
  if (raw.trim() === '') return [];
  const seen = new Set<string>();
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
    // One entry would set the user's key and permissions without a word (the last one read).
    if (seen.has(userId))
      throw new ConfigError(
        `MKTOWS_USERS names user ${userId} twice: keep one entry with its key and options`,
      );
    seen.add(userId);
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

/**
 * Whether a URL's user and password were read as something else: a character of theirs that
 * must be percent-encoded (`/`, `?`, `#`) ends the authority early, so that what follows, the
 * password and the host with it, became the path, the query or the fragment
 * (postgres://du:12/xY@db/du is host "du", port 12, database "xY@db/du"), or the URL has no
 * `//` at all (postgres:du:pw@db/du). pg reads such a URL the same way. The sign: no user or
 * password, and an `@` in the path, the fragment or a parameter's name.
 */
export function credentialsMisread(url: URL): boolean {
  if (url.username || url.password) return false;
  if (url.pathname.includes('@') || url.hash.includes('@')) return true;
  return [...url.searchParams.keys()].some((name) => name.includes('@'));
}

/** A URL every client is shown (a WSDL's soap:address, a List-Unsubscribe header) holds no credentials. */
export function refuseCredentials(setting: string, url: URL): void {
  if (url.username || url.password || credentialsMisread(url))
    throw new ConfigError(
      `${setting} must not hold a user or password: every client is shown it; give the address only (e.g. https://soap.example.com)`,
    );
}

/**
 * A public http(s) base URL as written, its trailing slashes aside ('' when empty): every
 * client is shown it (a WSDL's soap:address, a link in a List-Unsubscribe header or on a page),
 * so it holds no credentials, query, fragment, quotes, angle brackets or spaces.
 */
export function publicBaseUrl(setting: string, example: string): (raw: string) => string {
  return (raw) => {
    const v = raw.trim();
    if (v === '') return '';
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      // Not echoed when it may hold a password (user:password@…) that made it no URL.
      throw new ConfigError(
        `${setting} must be an absolute http(s) URL${v.includes('@') ? '' : `, got ${quoted(v)}`}`,
      );
    }
    refuseCredentials(setting, url);
    if (!/^https?:$/.test(url.protocol) || url.search || url.hash || /["'<>\s]/.test(v)) {
      throw new ConfigError(
        `${setting} must be an http(s) URL without query, fragment, quotes or spaces, e.g. ${example}`,
      );
    }
    return v.replace(/\/+$/, '');
  };
}

export const publicUrl = publicBaseUrl('PUBLIC_URL', 'https://soap.example.com');

export function customFields(raw: string): CustomFieldDeclaration[] {
  if (raw.trim() === '') return [];
  const seen = new Set<string>();
  return raw.split(',').map((item) => {
    const [name = '', type = 'string'] = item.split(':').map((s) => s.trim());
    if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) {
      throw new ConfigError(`CUSTOM_FIELDS: ${quoted(name)} is not a valid field name`);
    }
    if (!(CUSTOM_FIELD_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(
        `CUSTOM_FIELDS: type of ${name} must be one of ${CUSTOM_FIELD_TYPES.join(', ')}`,
      );
    }
    // Field names match in any case (the legacy API's rule): checked here, where the message
    // can name the setting, rather than when the services are built.
    const key = name.toLowerCase();
    if (STANDARD_FIELDS.some((f) => f.name.toLowerCase() === key))
      throw new ConfigError(`CUSTOM_FIELDS: ${name} is a standard field; choose another name`);
    if (LEAD_RECORD_MEMBER_FIELDS.some((m) => m.toLowerCase() === key))
      throw new ConfigError(
        `CUSTOM_FIELDS: ${name} is a LeadRecord member, never a lead attribute; choose another name`,
      );
    if (seen.has(key)) throw new ConfigError(`CUSTOM_FIELDS: ${name} is declared twice`);
    seen.add(key);
    return { name, type: type as CustomFieldType };
  });
}

/**
 * A partition a setting names: 1 to MAX_PARTITION_LENGTH characters, surrounding spaces aside.
 * A lead is refused a partition name the domain does not take, so a setting naming one is
 * refused at start instead of failing every call that falls back on it.
 */
export function partitionName(env: string) {
  return (raw: string): string => {
    const name = raw.trim();
    if (name === '' || name.length > MAX_PARTITION_LENGTH)
      throw new ConfigError(
        `${env}: a partition name has 1 to ${MAX_PARTITION_LENGTH} characters, got ${name === '' ? 'none' : `${name.length} (${quoted(name)})`}`,
      );
    return name;
  };
}

export function workspaces(raw: string): Record<string, string> {
  const map: Record<string, string> = {};
  if (raw.trim() === '') return map;
  for (const item of raw.split(',')) {
    const [workspace = '', partition = ''] = item.split(':').map((s) => s.trim());
    if (workspace === '' || partition === '') {
      throw new ConfigError(
        'WORKSPACE_PARTITIONS must be comma-separated workspace:partition pairs',
      );
    }
    // Workspace names match in any case (src/mktows/workspaces.ts): two that differ only in
    // case would be one workspace with two partitions.
    partitionName(`WORKSPACE_PARTITIONS: ${workspace}`)(partition);
    const lower = workspace.toLowerCase();
    if (Object.keys(map).some((w) => w.toLowerCase() === lower))
      throw new ConfigError(`WORKSPACE_PARTITIONS names workspace ${workspace} twice`);
    Object.defineProperty(map, workspace, { value: partition, enumerable: true, writable: true });
  }
  return map;
}

/**
 * Empty (the embedded SQLite database) or a postgres:// URL with a host. The message never
 * repeats the value: it may hold a password.
 */
export function databaseUrl(raw: string): string {
  return postgresUrl('DATABASE_URL', raw, 'or empty for SQLite');
}

/** DATABASE_READ_URL: the same checks, so a wrong one stops the start instead of each read. */
export function databaseReadUrl(raw: string): string {
  return postgresUrl('DATABASE_READ_URL', raw, 'or empty to read from DATABASE_URL');
}

function postgresUrl(env: string, raw: string, orEmpty: string): string {
  const url = raw.trim();
  if (url === '') return url;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (env === 'DATABASE_URL' && (scheme === 'sqlite' || scheme === 'file'))
    throw new ConfigError(
      'DATABASE_URL: leave it empty for the embedded SQLite database (its directory is DATA_DIR)',
    );
  if (scheme === undefined)
    throw new ConfigError(
      `${env} is not a URL: expected postgres://user:password@host:5432/database, ${orEmpty}`,
    );
  if (scheme !== 'postgres' && scheme !== 'postgresql')
    throw new ConfigError(
      `${env}: "${scheme}" is not supported; use postgres://user:password@host:5432/database, ${orEmpty}`,
    );
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${env} is not a valid postgres:// URL`);
  }
  if (credentialsMisread(parsed))
    throw new ConfigError(
      `${env}: its user or password holds a character that must be percent-encoded (/ as %2F, ? as %3F, # as %23, @ as %40): postgres://user:password@host:5432/database`,
    );
  if (!parsed.hostname && !parsed.searchParams.has('host'))
    throw new ConfigError(`${env} names no host: postgres://user:password@host:5432/database`);
  return url;
}
export const LINK_KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
