import {
  ConfigError,
  type Setting,
  bool,
  customFields,
  integer,
  optionalInteger,
  partitionName,
  text,
  users,
  workspaces,
} from './parse.js';
import {
  DEFAULT_PROTECTED_REASONS,
  NO_PROTECTED_REASONS,
  parseProtectedReasons,
} from '../domain/status-reasons.js';

/**
 * PROTECTED_REASONS: the words, or `none`. Set but empty (a blank `PROTECTED_REASONS=` line in
 * an env file) is refused: it used to turn complaint protection off without a word.
 */
function protectedReasons(raw: string): string[] {
  const words = parseProtectedReasons(raw);
  if (raw.trim().toLowerCase() === NO_PROTECTED_REASONS) return words;
  if (words.length === 0)
    throw new ConfigError(
      `PROTECTED_REASONS is empty: leave it unset to protect complaints as mail providers name them (${DEFAULT_PROTECTED_REASONS.join(',')}), list the words to protect (e.g. complaint,legal hold), or write none to protect no reason`,
    );
  if (words.includes(NO_PROTECTED_REASONS))
    throw new ConfigError(
      'PROTECTED_REASONS: none stands alone (no reason protected); list the words to protect without it',
    );
  return words;
}

/** The mktows SOAP API: users and keys, signatures, call limits, leads and partitions. */
export const mktowsSettings = {
  mktowsUsers: {
    env: 'MKTOWS_USERS',
    default: '',
    meaning:
      'Comma-separated userId:encryptionKey pairs, added to the users stored in the database; each may end in ;read-only, ;no-delete or ;partitions=A+B (docs/security.md)',
    parse: users,
  },
  mktowsUserCacheSeconds: {
    env: 'MKTOWS_USER_CACHE_SECONDS',
    default: '2',
    meaning:
      'How long each instance answers SOAP authentication from its copy of the stored users (0 to 300; 0: the database on every call): a user removed, re-keyed or changed with the CLI or on another instance is refused within this time; on the instance that made the change, at once',
    parse: integer('MKTOWS_USER_CACHE_SECONDS', 0, 300),
  },
  userKeySecret: {
    env: 'USER_KEY_SECRET',
    default: '',
    meaning:
      'Secret that seals stored SOAP user keys (AES-256-GCM, bound to the user id), 16 or more characters (a shorter one is refused at start unless stored keys are sealed with it already). Empty: SQLite makes one in DATA_DIR; PostgreSQL refuses to start (see ALLOW_UNSEALED_KEYS)',
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
    meaning:
      'Development only: accept SOAP calls that give no credentials (no AuthenticationHeader, or one naming no user) as anonymous, with full access; a header that names a user is still authenticated as that user or refused',
    parse: bool('ALLOW_ANONYMOUS'),
  },
  signatureWindowSeconds: {
    env: 'SIGNATURE_WINDOW_SECONDS',
    default: '900',
    meaning:
      'How far requestTimestamp may be from the server clock, either way (60 to 86400); a captured request can be replayed within it',
    parse: integer('SIGNATURE_WINDOW_SECONDS', 60, 86400),
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
      'SOAP calls one user may have in flight at once, per instance: with several WORKERS each process admits its share at once and borrows unused share from the others beyond it, so at most the limit + WORKERS − 1 (empty: DB_POOL_MAX in each process, so one user cannot hold every connection of a pool; 0: no limit; fault 20024)',
    parse: optionalInteger('CONCURRENCY_LIMIT', 0, 1000000),
  },
  maxBatchSize: {
    env: 'MAX_BATCH_SIZE',
    default: '300',
    meaning: 'Most lead records in one syncMultipleLeads call',
    parse: integer('MAX_BATCH_SIZE', 1, 100000),
  },
  mergeLeadsMaxLosers: {
    env: 'MERGE_LEADS_MAX_LOSERS',
    default: '100',
    meaning: 'Most losing leads one mergeLeads call may name (fault 20110 beyond, nothing merged)',
    parse: integer('MERGE_LEADS_MAX_LOSERS', 1, 10000),
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
    parse: partitionName('DEFAULT_PARTITION'),
  },
  workspacePartitions: {
    env: 'WORKSPACE_PARTITIONS',
    default: '',
    meaning:
      'Comma-separated workspace:partition pairs: the primary partition of each targetWorkspace (names match in any case)',
    parse: workspaces,
  },
  protectedReasons: {
    env: 'PROTECTED_REASONS',
    default: DEFAULT_PROTECTED_REASONS.join(','),
    meaning:
      'Comma-separated words: a suppression whose reason contains one (whole words, any case, also within a CamelCase name: SpamComplaint, ISPComplaint; at the end of a name written as one word: SPAMCOMPLAINT; a phrase with its words apart or run together: spam_report, spamreport; full-width letters read as the letters they stand for) is lifted only by an operator (person page, CLI); other paths get fault 20106 (the default: complaints as mail providers and feedback loops name them; none: no reason protected; empty is refused)',
    parse: protectedReasons,
  },
  authFailureLimit: {
    env: 'AUTH_FAILURE_LIMIT',
    default: '20',
    meaning:
      'SOAP authentication failures (and /admin session cookies that open no session) one client address may cause per AUTH_FAILURE_WINDOW_SECONDS, per instance; then HTTP 429 with Retry-After until the window ends (0: no limit)',
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
  pageMaxBytes: {
    env: 'PAGE_MAX_BYTES',
    default: '8388608',
    meaning:
      'About the most bytes of records one getMultipleLeads or getLeadChanges page, or one getLead answer, holds (64 KiB at least): past them a page holds fewer than batchSize, at least one, its remainingCount and position going on from there; getLead the first people that fit, count saying how many',
    parse: integer('PAGE_MAX_BYTES', 65536, 1073741824),
  },
  activityScanLimit: {
    env: 'ACTIVITY_SCAN_LIMIT',
    default: '20000',
    meaning:
      'Most activities one getLeadChanges call filtered by type or lead reads past its first match (sought through an index); a call that finds fewer than its batch answers with the position to continue from',
    parse: integer('ACTIVITY_SCAN_LIMIT', 1000, 10000000),
  },
} satisfies Record<string, Setting<unknown>>;
