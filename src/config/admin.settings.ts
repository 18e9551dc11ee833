import { ConfigError, type Setting, integer, nameSecretPairs } from './parse.js';

/** C0 and C1 control characters and DEL (Unicode's Cc), as "operators add" refuses them. */
const CONTROL = /\p{Cc}/u;

/** The operator console. */
export const adminSettings = {
  adminUsers: {
    env: 'ADMIN_USERS',
    default: '',
    meaning:
      'Comma-separated name:password pairs of /admin operators, besides those added with "operators add"',
    parse: (raw: string): Array<{ name: string; password: string }> =>
      nameSecretPairs(
        raw,
        // Same rules as operators stored with the CLI (src/domain/operator.service.ts).
        (name, password) =>
          /^[A-Za-z0-9_.@-]{1,64}$/.test(name) && password.length >= 12 && password.length <= 1024,
        'ADMIN_USERS must be comma-separated name:password pairs (name: 1-64 of A-Z a-z 0-9 _ . @ -; password: 12 to 1024 characters)',
      ).map(([name, password]) => {
        // Nobody types one at the login page: such a password could never log in. The
        // message names the operator, never the password.
        if (CONTROL.test(password))
          throw new ConfigError(
            `ADMIN_USERS: the password of ${name} holds a control character (a tab, a line break, NUL, an escape…), which the login page cannot take`,
          );
        return { name, password };
      }),
  },
  adminSessionHours: {
    env: 'ADMIN_SESSION_HOURS',
    default: '8',
    meaning: 'How long an /admin login lasts before the operator must log in again',
    parse: integer('ADMIN_SESSION_HOURS', 1, 720),
  },
  adminSessionIdleMinutes: {
    env: 'ADMIN_SESSION_IDLE_MINUTES',
    default: '30',
    meaning:
      'Minutes without a request after which an /admin login ends (the operator logs in again), within ADMIN_SESSION_HOURS',
    parse: integer('ADMIN_SESSION_IDLE_MINUTES', 1, 43200),
  },
  adminSessionsPerOperator: {
    env: 'ADMIN_SESSIONS_PER_OPERATOR',
    default: '5',
    meaning:
      "Live /admin logins one operator may hold at once; a login past them ends that operator's oldest session (the earliest login)",
    parse: integer('ADMIN_SESSIONS_PER_OPERATOR', 1, 1000),
  },
  adminLoginMaxFailures: {
    env: 'ADMIN_LOGIN_MAX_FAILURES',
    default: '10',
    meaning:
      'Failed /admin logins one client address may make in 15 minutes, per instance, before being refused (HTTP 429)',
    parse: integer('ADMIN_LOGIN_MAX_FAILURES', 1, 100000),
  },
  adminLoginConcurrency: {
    env: 'ADMIN_LOGIN_CONCURRENCY',
    default: '2',
    meaning:
      "/admin login passwords one process checks at once (each an scrypt on node's 4-thread pool, shared with compression and file access); a login beyond them is refused at once (HTTP 429)",
    parse: integer('ADMIN_LOGIN_CONCURRENCY', 1, 64),
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
  consolePastedMax: {
    env: 'CONSOLE_PASTED_MAX',
    default: '10000',
    meaning:
      'Ids and addresses one /admin Change Data Value may take as a pasted list; a longer list is refused with a message (select by a search instead)',
    parse: integer('CONSOLE_PASTED_MAX', 1, 1000000),
  },
} satisfies Record<string, Setting<unknown>>;
