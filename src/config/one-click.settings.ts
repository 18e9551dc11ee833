import {
  ConfigError,
  LINK_KEY_ID,
  type Setting,
  integer,
  nameSecretPairs,
  optionalInteger,
  publicBaseUrl,
} from './parse.js';

/** One-click unsubscribe links and their hosted page. */
/**
 * UNSUBSCRIBE_RATE_LIMIT, UNSUBSCRIBE_PAGE_RATE_LIMIT and UNSUBSCRIBE_LINK_RATE_LIMIT count
 * requests per minute.
 */
export const UNSUBSCRIBE_RATE_WINDOW_MS = 60000;

export const oneClickSettings = {
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
    parse: (raw: string): Array<{ id: string; secret: string }> =>
      nameSecretPairs(
        raw,
        (id, secret) => LINK_KEY_ID.test(id) && secret.length >= 32,
        'UNSUBSCRIBE_LINK_OLD_KEYS must be comma-separated keyId:secret pairs (id: 1 to 16 of A-Z a-z 0-9 _ -; secret: 32 or more characters)',
      ).map(([id, secret]) => ({ id, secret })),
  },
  unsubscribeBaseUrl: {
    env: 'UNSUBSCRIBE_BASE_URL',
    default: '',
    meaning:
      'Public https base URL of this service, for the links "durable-unsubscribe link" and "headers" print (empty: PUBLIC_URL, else http://localhost:PORT)',
    parse: publicBaseUrl('UNSUBSCRIBE_BASE_URL', 'https://unsubscribe.example.com'),
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
      "POSTs to /u/ (one-click unsubscribes, the page's buttons) one client address (IPv6: its /64) may make per minute, per instance (0: no limit; HTTP 429). Each counts; past it only an unsubscribe with an authentic link is admitted (bounded by UNSUBSCRIBE_LINK_RATE_LIMIT). Reads of the page count apart (UNSUBSCRIBE_PAGE_RATE_LIMIT), so link scanners never spend it",
    parse: integer('UNSUBSCRIBE_RATE_LIMIT', 0, 100000000),
  },
  unsubscribeLinkRateLimit: {
    env: 'UNSUBSCRIBE_LINK_RATE_LIMIT',
    default: '10',
    meaning:
      "Unsubscribe POSTs (one-click, the page's unsubscribe button) one link may receive per minute, per instance, from any client addresses (0: no limit; HTTP 429). An authentic link's unsubscribe is bounded by this, not by UNSUBSCRIBE_RATE_LIMIT: mailbox providers post from a few shared addresses",
    parse: integer('UNSUBSCRIBE_LINK_RATE_LIMIT', 0, 100000000),
  },
  unsubscribePageRateLimit: {
    env: 'UNSUBSCRIBE_PAGE_RATE_LIMIT',
    default: '',
    meaning:
      'GETs and HEADs of /u/ pages (what link scanners prefetch) one client address (IPv6: its /64) may make per minute, per instance, counted apart from the POSTs (empty: the value of UNSUBSCRIBE_RATE_LIMIT; 0: no limit; HTTP 429)',
    parse: optionalInteger('UNSUBSCRIBE_PAGE_RATE_LIMIT', 0, 100000000),
  },
  unsubscribeMaxBodyBytes: {
    env: 'UNSUBSCRIBE_MAX_BODY_BYTES',
    default: '8192',
    meaning: 'Largest body a POST to /u/ may carry (the one-click body is 26 bytes)',
    parse: integer('UNSUBSCRIBE_MAX_BODY_BYTES', 256, 1048576),
  },
  unsubscribeMaxFormFields: {
    env: 'UNSUBSCRIBE_MAX_FORM_FIELDS',
    default: '32',
    meaning:
      "Fields a POST to /u/ may carry (the one-click body has 1, the page's buttons 3); more is refused (HTTP 400), nothing stored",
    parse: integer('UNSUBSCRIBE_MAX_FORM_FIELDS', 3, 10000),
  },
  unsubscribeSenderName: {
    env: 'UNSUBSCRIBE_SENDER_NAME',
    default: '',
    meaning: 'Sender name shown on the unsubscribe page, up to 100 characters (empty: none)',
    parse: (raw: string): string => {
      const name = raw.trim();
      // Refused, not cut: a name cut short on every page is a mistake nobody is told of.
      const length = [...name].length;
      if (length > 100)
        throw new ConfigError(
          `UNSUBSCRIBE_SENDER_NAME has ${length} characters: the unsubscribe page shows 100 at most`,
        );
      if (/\p{Cc}/u.test(name))
        throw new ConfigError(
          'UNSUBSCRIBE_SENDER_NAME holds a control character (a tab, a line break…)',
        );
      return name;
    },
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

/** Hosts of this machine: a plain http link base there is someone trying the service. */
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * One line when UNSUBSCRIBE_BASE_URL (`raw`, as set) is plain http at a host other than this
 * machine: mailbox providers use one-click unsubscribe (RFC 8058) only over https, and the
 * tokens would travel unencrypted. Accepted all the same (a test relay may need it). With
 * `setting` PUBLIC_URL: the same of the PUBLIC_URL links are built on without UNSUBSCRIBE_BASE_URL.
 */
export function plainHttpLinkWarning(
  raw: string,
  setting: 'UNSUBSCRIBE_BASE_URL' | 'PUBLIC_URL' = 'UNSUBSCRIBE_BASE_URL',
): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' || LOOPBACK_HOSTS.test(url.hostname)) return null;
  const fallback =
    setting === 'PUBLIC_URL'
      ? ' (unsubscribe links are built on it: UNSUBSCRIBE_BASE_URL is not set)'
      : '';
  return `${setting} is http://, not https://${fallback}: mailbox providers use one-click unsubscribe (RFC 8058) only with an https URL, and the links would cross the network unencrypted; give the https address of the TLS proxy in front`;
}

/**
 * `plainHttpLinkWarning` of the base links are built on: UNSUBSCRIBE_BASE_URL, else PUBLIC_URL
 * when links are on (an embedded install makes its own key; PostgreSQL needs
 * UNSUBSCRIBE_LINK_SECRET). A PUBLIC_URL on http is otherwise only the WSDLs' address.
 */
export function linkBaseWarning(env: NodeJS.ProcessEnv): string | null {
  const base = env.UNSUBSCRIBE_BASE_URL?.trim() ?? '';
  if (base !== '') return plainHttpLinkWarning(base);
  return linksOn(env) ? plainHttpLinkWarning(env.PUBLIC_URL ?? '', 'PUBLIC_URL') : null;
}

/** Whether /u/ links are on: an embedded install makes its own key; PostgreSQL needs one set. */
function linksOn(env: NodeJS.ProcessEnv): boolean {
  return (
    (env.UNSUBSCRIBE_LINK_SECRET?.trim() ?? '') !== '' || (env.DATABASE_URL?.trim() ?? '') === ''
  );
}

/**
 * The request line and headers a one-click POST of the longest link may take: its token alone
 * is up to 1,450 characters (MAX_TOKEN_LENGTH of one-click/link-token.ts, which a test keeps
 * within this), beside a base URL's path, a mailbox provider's headers and a proxy's.
 */
export const LINK_REQUEST_HEADER_BYTES = 4096;

/**
 * A MAX_HEADER_BYTES below LINK_REQUEST_HEADER_BYTES while links are on: the one-click of a
 * long link (a long address in another script) would be refused 431 before it is read, and a
 * mailbox provider does not post it again.
 */
export function linkHeaderLimitWarning(env: NodeJS.ProcessEnv): string | null {
  const bytes = Number(env.MAX_HEADER_BYTES?.trim() || NaN);
  if (!Number.isInteger(bytes) || bytes >= LINK_REQUEST_HEADER_BYTES || !linksOn(env)) return null;
  return `MAX_HEADER_BYTES is ${bytes}, under ${LINK_REQUEST_HEADER_BYTES}: the one-click unsubscribe of a long link (a long address in another script makes a token of up to 1,450 characters) may be refused 431 with a mailbox provider's headers, and its opt-out lost`;
}
