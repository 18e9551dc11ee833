#!/usr/bin/env node
import { OPERATORS_HELP, runOperatorsCommand } from '../admin/operators-command.js';
import { ConfigError, loadConfig, settings, type Config } from '../config.js';
import { openDatabase } from '../data-access/database.js';
import { migrateLatest, migrationStatus, rollback } from '../data-access/migrator.js';
import { OperatorSessionRepository } from '../data-access/operator-session.repository.js';
import { OperatorRepository } from '../data-access/operator.repository.js';
import { openUserRepository } from '../data-access/user.repository.js';
import { OperatorService } from '../domain/operator.service.js';
import { createServices } from '../domain/services.js';
import { UserService } from '../domain/user.service.js';
import { isAppError } from '../errors.js';
import { formatAddressReport } from './explain.command.js';
import { LINK_HELP, runLinkCommand } from './link.command.js';
import { exportSuppressions, importSuppressions } from './suppressions.command.js';
import { start, type Running } from '../main.js';

const HELP: Record<string, string> = {
  '': `Usage: durable-unsubscribe <command> [options]

Commands:
  serve                       start the SOAP service (applies pending migrations first)
  migrate [latest|rollback|status]
                              manage the database schema (default: latest)
  users add [--id ID] [--description TEXT] | list | remove ID
                              manage SOAP API users
  operators add NAME [--password PASSWORD] | list | remove NAME
                              manage operators of the /admin pages
  suppressions import FILE [--dry-run] [--rejects FILE] | export [--since DATE]
                              load or dump the master email status as CSV
  explain EMAIL               why an address is (un)subscribed: status, history, people
  verify                      check the durable-unsubscribe invariant; exit 1 on any violation
  config                      list every environment variable, its default and meaning
  link EMAIL|- [--list NAME]  print the signed one-click unsubscribe URL of an address
                              (-: addresses from standard input, CSV out)
  headers EMAIL [--list NAME] print its List-Unsubscribe and List-Unsubscribe-Post lines

Run "durable-unsubscribe <command> --help" for a command's help.`,
  serve:
    'Usage: durable-unsubscribe serve\n\nStarts the service on PORT (default 8080). Configuration comes from the environment: see "durable-unsubscribe config".',
  migrate:
    'Usage: durable-unsubscribe migrate [latest|rollback|status]\n\n  latest    apply every pending migration (default)\n  rollback  undo the last batch\n  status    list applied and pending migrations',
  users:
    'Usage: durable-unsubscribe users add [--id ID] [--description TEXT]\n       durable-unsubscribe users list\n       durable-unsubscribe users remove ID\n\n"add" prints the new user id and encryption key once.',
  operators: OPERATORS_HELP,
  suppressions:
    'Usage: durable-unsubscribe suppressions import FILE [--dry-run] [--rejects FILE]\n       durable-unsubscribe suppressions export [--since DATE]\n\n"import" reads a CSV with a header line: email, and optionally reason, source, date (ISO 8601).\nEvery valid address becomes unsubscribed in the master status, even with no person yet; people\nholding it are unsubscribed by the normal rules. Rejected lines (bad address, duplicate, bad date)\ngo to FILE.rejects.csv (or --rejects). --dry-run reports what would change and writes nothing.\nRunning the same import twice changes nothing the second time.\n\n"export" writes the master status as CSV (email,unsubscribed,reason,source,date) to stdout.',
  explain:
    'Usage: durable-unsubscribe explain EMAIL\n\nShows the master email status of the address, its full history (when, which path, which\nperson), and every person holding the address in every partition.',
  verify:
    'Usage: durable-unsubscribe verify\n\nChecks that every person with an address agrees with its master email status. Exits 1 and lists violations if any.',
  link: LINK_HELP,
  headers: LINK_HELP,
  config:
    'Usage: durable-unsubscribe config\n\nLists every setting: environment variable, default, meaning.',
};

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function withDatabase<T>(
  config: Config,
  work: (db: ReturnType<typeof openDatabase>) => Promise<T>,
): Promise<T> {
  const db = openDatabase(config);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function serve(config: Config): Promise<void> {
  // Handlers first: a signal that arrives while starting (or just after the banner) must still
  // shut down gracefully instead of killing the process outright.
  const state: { running?: Running } = {};
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const { running } = state;
    if (!running) return; // start() is still running; stopped as soon as it is done
    running.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  const running = (state.running = await start(config));
  if (stopping) {
    stopping = false;
    return stop('SIGTERM');
  }
  const base = `http://localhost:${running.port}`;
  const lines = [
    `durable-unsubscribe listening on port ${running.port} (${running.database.engine}: ${running.database.location})`,
    `  SOAP endpoint: ${base}/soap/mktows/2_9`,
    `  WSDL:          ${base}/soap/mktows/2_9?WSDL`,
    `  Operator pages: ${base}/admin/ (operators: "durable-unsubscribe operators add NAME")`,
    running.linksOn
      ? `  Unsubscribe links: ${base}/u/<token> ("durable-unsubscribe headers EMAIL")`
      : '  Unsubscribe links: off (set UNSUBSCRIBE_LINK_SECRET to turn them on)',
  ];
  if (running.developmentUser) {
    lines.push(
      '  No SOAP user was configured, so a development user was created (shown only this once):',
      `    mktowsUserId:  ${running.developmentUser.userId}`,
      `    encryptionKey: ${running.developmentUser.encryptionKey}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [command = '', ...args] = argv;
  if (command === '' || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP['']! + '\n');
    return command === '' ? 2 : 0;
  }
  if (!(command in HELP)) {
    process.stderr.write(`Unknown command "${command}".\n\n${HELP['']}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP[command]! + '\n');
    return 0;
  }
  if (command === 'config') {
    for (const s of Object.values(settings)) {
      process.stdout.write(
        `${s.env.padEnd(26)} default: ${JSON.stringify(s.default).padEnd(12)} ${s.meaning}\n`,
      );
    }
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'link':
    case 'headers':
      return runLinkCommand(command, args, config, {
        in: process.stdin,
        out: process.stdout,
        err: process.stderr,
      });
    case 'serve':
      await serve(config);
      return -1;
    case 'migrate': {
      const action = args[0] ?? 'latest';
      return withDatabase(config, async (db) => {
        if (action === 'latest') {
          const applied = await migrateLatest(db);
          process.stdout.write(
            applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already up to date.\n',
          );
        } else if (action === 'rollback') {
          const undone = await rollback(db);
          process.stdout.write(
            undone.length ? `Rolled back: ${undone.join(', ')}\n` : 'Nothing to roll back.\n',
          );
        } else if (action === 'status') {
          const s = await migrationStatus(db);
          for (const m of s.applied) process.stdout.write(`applied  ${m}\n`);
          for (const m of s.pending) process.stdout.write(`pending  ${m}\n`);
        } else {
          process.stderr.write(HELP.migrate + '\n');
          return 2;
        }
        return 0;
      });
    }
    case 'users':
      return withDatabase(config, async (db) => {
        await migrateLatest(db);
        const users = new UserService(openUserRepository(db, config), config.mktowsUsers);
        const action = args[0];
        if (action === 'add') {
          const u = await users.create(option(args, '--description') ?? null, option(args, '--id'));
          process.stdout.write(
            `mktowsUserId:  ${u.userId}\nencryptionKey: ${u.encryptionKey}\n(the key is shown only this once)\n`,
          );
        } else if (action === 'list') {
          for (const u of await users.list()) {
            process.stdout.write(`${u.userId}\t${u.origin}\t${u.description ?? ''}\n`);
          }
        } else if (action === 'remove' && args[1]) {
          if (!(await users.remove(args[1]))) {
            process.stderr.write(`No stored user ${args[1]}.\n`);
            return 1;
          }
          process.stdout.write(`Removed ${args[1]}.\n`);
        } else {
          process.stderr.write(HELP.users + '\n');
          return 2;
        }
        return 0;
      });
    case 'operators':
      return withDatabase(config, async (db) => {
        await migrateLatest(db);
        const operators = new OperatorService(
          new OperatorRepository(db.knex),
          new OperatorSessionRepository(db.knex),
          config.adminUsers,
          { sessionHours: config.adminSessionHours },
        );
        return runOperatorsCommand(args, operators);
      });
    case 'suppressions':
      return withDatabase(config, async (db) => {
        await migrateLatest(db);
        const { suppressions } = createServices(db, config);
        if (args[0] === 'import' && args[1] && !args[1].startsWith('--')) {
          return importSuppressions(suppressions, args[1], {
            dryRun: args.includes('--dry-run'),
            rejectsFile: option(args, '--rejects'),
            out: process.stdout,
            err: process.stderr,
          });
        }
        if (args[0] === 'export') {
          const since = option(args, '--since');
          const at = since === undefined ? 0 : Date.parse(since);
          if (Number.isNaN(at)) {
            process.stderr.write(`--since: "${since}" is not a date\n`);
            return 2;
          }
          return exportSuppressions(suppressions, at, process.stdout);
        }
        process.stderr.write(HELP.suppressions + '\n');
        return 2;
      });
    case 'explain':
      if (!args[0]) {
        process.stderr.write(HELP.explain + '\n');
        return 2;
      }
      return withDatabase(config, async (db) => {
        await migrateLatest(db);
        process.stdout.write(
          formatAddressReport(await createServices(db, config).durableStatus.explain(args[0]!)),
        );
        return 0;
      });
    case 'verify':
      return withDatabase(config, async (db) => {
        await migrateLatest(db);
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
          `${violations.length} violation(s)${violations.length === 1000 ? ' (first 1000 shown)' : ''}.\n`,
        );
        return 1;
      });
  }
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError)
      process.stderr.write(`Configuration error: ${error.message}\n`);
    else if (isAppError(error)) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
