#!/usr/bin/env node
import { OPERATORS_HELP, runOperatorsCommand } from './operators.command.js';
import { ConfigError, loadConfig, settingWarnings, type Config } from '../config.js';
import { connectionProblem, openDatabase, tlsProblem } from '../data-access/database.js';
import { dataDirWriteProblem, lockWaitProblem } from '../data-access/data-dir-problems.js';
import {
  MigrationFailed,
  MigrationRefused,
  migrateLatest as migrateSchema,
} from '../data-access/migrator.js';
import { OperatorSessionRepository } from '../data-access/operator-session.repository.js';
import { OperatorRepository } from '../data-access/operator.repository.js';
import { openUserRepositoryFor } from '../data-access/user.repository.js';
import { OperatorService } from '../domain/operator.service.js';
import { createServices } from '../compose.js';
import { UserService } from '../domain/user.service.js';
import { AppError, isAppError } from '../errors.js';
import { CONFIG_HELP, runConfigCommand } from './config.command.js';
import { formatAddressReport } from './explain.command.js';
import { plural, printable } from './printable.js';
import {
  BACKUP_HELP,
  MIGRATE_HELP,
  RESTORE_HELP,
  runBackupCommand,
  runMigrateCommand,
  runRestoreCommand,
} from './operations.command.js';
import {
  importsStandardInput,
  runSuppressionsCommand,
  SUPPRESSIONS_HELP,
} from './suppressions.command.js';
import { spoolStandardInput } from './stdin-spool.js';
import { finished, stopCommandOnSignals } from './stop-signals.js';
import { InvalidIndexLeft } from '../data-access/invalid-indexes.js';
import { runUsersCommand, USERS_HELP } from './users.command.js';
import { commandUsageError } from './command-usage.js';
import { StartError } from '../http/service-ports.js';
import { VERSION } from '../package-info.js';
import { runServe } from './serve.command.js';
import { checkedLinkTokens, linkKeysAreChecked } from '../startup/link-key-check.js';
import { linkTokensFromConfig } from '../one-click/link-token.js';
import { LINK_HELP, LINK_KEY_HELP, runLinkCommand, runLinkKeyCommand } from './link.command.js';
import { type ArgumentSpec, unexpectedArgument } from './arguments.js';
import {
  embeddedWriteRefused,
  exportReadOnly,
  noDatabaseYet,
  readingCommand,
  refuseUnappliedMigrations,
} from './read-only.js';

const HELP: Record<string, string> = {
  '': `Usage: durable-unsubscribe <command> [options]

Commands:
  serve                       start the SOAP service (applies pending migrations first)
  migrate [latest|status|rollback]
                              manage the database schema (default: latest)
  users add [--id ID] [--description TEXT] [PERMISSIONS] | update ID PERMISSIONS
        | list | remove ID | seal
                              manage SOAP API users and what they may do
  operators add NAME [--password PASSWORD] | password NAME | list | remove NAME | logout NAME
                              manage operators of the /admin pages
  suppressions import FILE|- [--dry-run] [--rejects FILE] [--actor NAME]
             | export [--since DATE]
             | add EMAIL --reason TEXT [--actor NAME] | remove EMAIL --reason TEXT [--actor NAME]
                              load, dump, suppress or lift master email statuses
                              (remove lifts protected reasons too: an operator's path)
  explain EMAIL               why an address is (un)subscribed: status, history, people
  verify                      check the durable-unsubscribe invariant; exit 1 on any violation
  config [--defaults]         the settings in effect (secrets masked), or defaults and meanings
  backup FILE                 copy the SQLite database while it runs (PostgreSQL: pg_dump)
  restore FILE                put an SQLite backup in place (service stopped)
  link EMAIL|- [--list NAME]  print the signed one-click unsubscribe URL of an address
                              (-: addresses from standard input, CSV out)
  headers EMAIL [--list NAME] print its List-Unsubscribe and List-Unsubscribe-Post lines
  link-key accept             record the configured link key when the one links were issued
                              under is truly lost (links already sent then stay broken)
  --version                   print the version

Run "durable-unsubscribe <command> --help" for a command's help. An option or argument a
command does not take is refused (exit 2), never ignored.`,
  serve:
    'Usage: durable-unsubscribe serve\n\nStarts the service on PORT (default 8080), in WORKERS processes (default: on PostgreSQL one per usable core, on SQLite one). Configuration comes from the environment: see "durable-unsubscribe config".',
  migrate: MIGRATE_HELP,
  users: USERS_HELP,
  operators: OPERATORS_HELP,
  suppressions: SUPPRESSIONS_HELP,
  explain:
    'Usage: durable-unsubscribe explain EMAIL\n\nShows the master email status of the address, its full history (when, which path, which\nperson), and every person holding the address in every partition.',
  verify:
    'Usage: durable-unsubscribe verify\n\nChecks that every person with an address agrees with its master email status. Exits 1 and lists violations if any.',
  config: CONFIG_HELP,
  backup: BACKUP_HELP,
  restore: RESTORE_HELP,
  link: LINK_HELP,
  headers: LINK_HELP,
  'link-key': LINK_KEY_HELP,
};

/** What the commands without actions take after their name (the others check their own). */
const COMMAND_ARGUMENTS: Record<string, ArgumentSpec> = {
  explain: { words: 1 },
  verify: { words: 0 },
  config: { switches: ['--defaults'], words: 0 },
  link: { valued: ['--list'], words: 1 },
  headers: { valued: ['--list'], words: 1 },
  'link-key': { words: 1 },
  migrate: { switches: ['--yes-destroy-data'], valued: ['--backup'], words: 1 },
  backup: { words: 1 },
  restore: { words: 1 },
};

/** A command as its stop line names it: "suppressions export", "migrate", "explain". */
function commandName(command: string, args: readonly string[]): string {
  const action = args[0];
  const withAction = ['suppressions', 'users', 'operators'].includes(command);
  return withAction && action && !action.startsWith('-')
    ? `${command} ${printable(action)}`
    : command;
}

/** Pending migrations first, as the service does; what an operator should hear, on stderr. */
function migrateLatest(db: ReturnType<typeof openDatabase>): Promise<string[]> {
  return migrateSchema(db, (line) => process.stderr.write(`${line}\n`));
}

/**
 * The schema a command works on: this version's migrations applied first, as the service does;
 * a command that only reads (`reading`) applies none (read-only.ts).
 */
async function schemaFor(
  db: ReturnType<typeof openDatabase>,
  reading: string | null,
): Promise<void> {
  if (reading) await refuseUnappliedMigrations(db, reading);
  await migrateLatest(db);
}

async function withDatabase<T>(
  config: Config,
  work: (db: ReturnType<typeof openDatabase>) => Promise<T>,
): Promise<T> {
  const db = openDatabase(config);
  try {
    return await work(db);
  } catch (error) {
    // A full or read-only DATA_DIR, or a write lock another process kept past the busy
    // timeout: one line saying so, not the failed write's stack trace.
    const embedded = !config.databaseUrl && config.dataDir !== ':memory:';
    const locked = embedded && lockWaitProblem(error, config.sqliteBusyTimeoutMs);
    if (locked)
      throw new AppError(
        locked.code,
        `${locked.message}; the write that waited stored nothing: run the command again, or with a larger SQLITE_BUSY_TIMEOUT_MS`,
      );
    throw (embedded && dataDirWriteProblem(config.dataDir, error)) || error;
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** A command's work on the database: once it has its exit code, a signal does not change it. */
function commandOnDatabase(
  config: Config,
  work: (db: ReturnType<typeof openDatabase>) => Promise<number>,
): Promise<number> {
  return withDatabase(config, async (db) => {
    const code = await work(db);
    finished(code);
    return code;
  });
}

/**
 * The link keys of `link` and `headers` (which issue links) and `link-key accept`, checked
 * against the database's (src/startup/link-key-check.ts); the database is open only while they are.
 */
async function keysOfDatabase(config: Config, mode: 'start' | 'accept') {
  if (!linkKeysAreChecked(config)) return linkTokensFromConfig(config);
  return withDatabase(config, async (db) => {
    await migrateLatest(db);
    return checkedLinkTokens(config, db, mode);
  });
}

async function main(argv: string[]): Promise<number> {
  const [command = '', ...args] = argv;
  if (command === '--version' || command === '-V' || command === 'version') {
    process.stdout.write(`durable-unsubscribe ${VERSION}\n`);
    return 0;
  }
  if (command === '' || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP['']! + '\n');
    return command === '' ? 2 : 0;
  }
  if (!Object.hasOwn(HELP, command)) {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP['']}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP[command]! + '\n');
    return 0;
  }
  if (command === 'serve' && args.length > 0) {
    // "serve --port 9000" must not start on 8080 as if it had been understood.
    process.stderr.write(
      `serve takes no arguments: its settings come from the environment (e.g. PORT=9000 durable-unsubscribe serve; "durable-unsubscribe config --defaults" lists them).\n`,
    );
    return 2;
  }
  const spec = COMMAND_ARGUMENTS[command];
  const unexpected =
    (spec && unexpectedArgument(command, args, spec)) || commandUsageError(command, args);
  if (unexpected) {
    process.stderr.write(`${unexpected}\n`);
    return 2;
  }
  // `export | head`, or a consumer that died: stop quietly, as Unix tools do (128 + SIGPIPE), not
  // with an unhandled EPIPE's stack trace; a script checking the pipeline still sees a failure.
  // The service's own log stream is left as it was.
  if (command !== 'serve') {
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(141);
      // Its terminal closed (SIGHUP follows): the command still ends as it would have.
      if (error.code === 'EIO') return;
      throw error;
    });
    process.stderr.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EIO' && error.code !== 'EPIPE') throw error;
    });
    stopCommandOnSignals(
      commandName(command, args),
      command === 'migrate'
        ? 'the database undoes the change in progress; running the same command again finishes it'
        : undefined,
    );
  }
  // serve logs them (JSON); the commands say them on stderr, before their own output.
  if (command !== 'serve')
    for (const line of settingWarnings()) process.stderr.write(`warning: ${line}\n`);
  if (command === 'config') return runConfigCommand(args, process.env, process.stdout);
  const config = loadConfig();
  const reading = readingCommand(command, args);
  const missing = reading && noDatabaseYet(config, reading);
  if (missing) throw new ConfigError(missing);
  switch (command) {
    case 'link':
    case 'headers':
      return runLinkCommand(
        command,
        args,
        config,
        { in: process.stdin, out: process.stdout, err: process.stderr },
        () => keysOfDatabase(config, 'start'),
      );
    case 'link-key':
      return runLinkKeyCommand(args, config, { out: process.stdout, err: process.stderr }, () =>
        keysOfDatabase(config, 'accept'),
      );
    case 'serve':
      await runServe(config);
      return -1;
    case 'migrate':
      return commandOnDatabase(config, (db) =>
        runMigrateCommand(args, db, config, { out: process.stdout, err: process.stderr }),
      );
    case 'backup':
      return runBackupCommand(args, config, { out: process.stdout, err: process.stderr });
    case 'restore':
      return runRestoreCommand(args, config, { out: process.stdout, err: process.stderr });
    case 'users':
      return commandOnDatabase(config, async (db) => {
        await schemaFor(db, reading);
        const users = new UserService(
          await openUserRepositoryFor(db, config, args[0]),
          config.mktowsUsers,
        );
        return runUsersCommand(
          users,
          args,
          (t) => process.stdout.write(t),
          (t) => process.stderr.write(t),
        );
      });
    case 'operators':
      return commandOnDatabase(config, async (db) => {
        await schemaFor(db, reading);
        const operators = new OperatorService(
          new OperatorRepository(db.knex),
          new OperatorSessionRepository(db.knex),
          config.adminUsers,
          {
            sessionHours: config.adminSessionHours,
            idleMinutes: config.adminSessionIdleMinutes,
            sessionsPerOperator: config.adminSessionsPerOperator,
          },
        );
        return runOperatorsCommand(args, operators);
      });
    case 'suppressions': {
      const refused = args[0] === 'export' ? embeddedWriteRefused(config) : null;
      if (refused)
        return exportReadOnly(config, args, refused, { out: process.stdout, err: process.stderr });
      // `import -`: standard input is read to its end before the database is opened.
      const piped = importsStandardInput(args)
        ? await spoolStandardInput(process.stdin, config.importStdinMaxMb)
        : undefined;
      if (piped && 'refused' in piped) {
        process.stderr.write(`${piped.refused}\n`);
        return piped.code;
      }
      return commandOnDatabase(config, async (db) => {
        await schemaFor(db, reading);
        return runSuppressionsCommand(args, createServices(db, config), {
          out: process.stdout,
          err: process.stderr,
          standardInput: piped?.file,
          maxRowChars: config.importMaxRowChars,
          lockWait: (error) =>
            config.databaseUrl ? null : lockWaitProblem(error, config.sqliteBusyTimeoutMs),
        });
      }).finally(() => piped?.remove());
    }
    case 'explain':
      if (!args[0]) {
        process.stderr.write(HELP.explain + '\n');
        return 2;
      }
      return commandOnDatabase(config, async (db) => {
        await schemaFor(db, reading);
        process.stdout.write(
          formatAddressReport(await createServices(db, config).durableStatus.explain(args[0]!)),
        );
        return 0;
      });
    case 'verify':
      return commandOnDatabase(config, async (db) => {
        await schemaFor(db, reading);
        const violations = await createServices(db, config).durableStatus.findViolations(1000);
        if (violations.length === 0) {
          process.stdout.write(
            'OK: every person with an address agrees with its master email status.\n',
          );
          return 0;
        }
        for (const v of violations) {
          process.stdout.write(
            `lead ${v.leadId} <${v.emailKey}>: Unsubscribed=${v.leadUnsubscribed}, master=${v.masterUnsubscribed ?? 'none'}\n`,
          );
        }
        process.stdout.write(
          `${plural(violations.length, 'violation', 'violations')}${violations.length === 1000 ? ' (first 1000 shown)' : ''}.\n`,
        );
        return 1;
      });
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) {
      finished(code);
      process.exitCode = code;
    }
  },
  (error: unknown) => {
    if (error instanceof ConfigError)
      process.stderr.write(`Configuration error: ${printableLines(error.message)}\n`);
    else if (
      isAppError(error) ||
      error instanceof StartError ||
      error instanceof MigrationRefused ||
      error instanceof MigrationFailed ||
      error instanceof InvalidIndexLeft
    )
      process.stderr.write(`${printableLines(error.message)}\n`);
    else if (databaseProblem(error)) process.stderr.write(`${databaseProblem(error)}\n`);
    else process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    // Exit now: a half-opened pool or server must not keep a failed command alive.
    process.exit(1);
  },
);

/** A message that may echo what was typed: its lines kept, their control characters escaped. */
function printableLines(message: string): string {
  return message.split('\n').map(printable).join('\n');
}

function databaseProblem(error: unknown): string | null {
  const url = process.env.DATABASE_URL?.trim() ?? '';
  return connectionProblem(error, url) ?? tlsProblem(error, url);
}
