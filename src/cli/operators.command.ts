import {
  OPERATOR_NAME,
  OPERATOR_NAME_RULE,
  type OperatorService,
} from '../domain/operator.service.js';
import { type ArgumentSpec, unexpectedArgument } from './arguments.js';
import { boundedLines } from './bounded-lines.js';
import { printable } from './printable.js';

/** Passwords are 1,024 characters at most (4 bytes each at worst in UTF-8). */
const MAX_PASSWORD_LINE_BYTES = 4096;

export const OPERATORS_HELP = `Usage: durable-unsubscribe operators add NAME [--password PASSWORD]
       durable-unsubscribe operators list
       durable-unsubscribe operators password NAME [--password PASSWORD]
       durable-unsubscribe operators remove NAME
       durable-unsubscribe operators logout NAME
       durable-unsubscribe operators sessions NAME [--end ID]

Operators log in to the /admin pages. "add" asks for the password twice on a terminal, or
reads its first line from standard input when piped. --password is still taken, with a
warning: any user of the machine sees it in the process list (ps) while the command runs, and
your shell history keeps it. Passwords have 12 or more characters. "password" gives a
stored operator a new one, read as "add" reads it, and ends every session of the operator.
"remove" also ends the operator's sessions. "logout" ends every session of the operator (a lost laptop) and
keeps the operator. "sessions" lists the operator's live sessions, one a line: its ID, when
it began and was last used, the client address and browser of its login; with --end ID it ends
that one only. Operators in ADMIN_USERS are listed but managed in the environment.`;

export interface CommandIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Reads a line from a terminal without echoing it. */
function promptHidden(io: CommandIo, question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    io.stdout.write(question);
    let typed = '';
    const done = (error: Error | null) => {
      io.stdin.setRawMode(false);
      io.stdin.pause();
      io.stdin.off('data', onData);
      io.stdout.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null);
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('Cancelled.'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch >= ' ') typed += ch;
      }
    };
    io.stdin.setRawMode(true);
    io.stdin.resume();
    io.stdin.on('data', onData);
  });
}

/**
 * The first line of piped standard input, without a byte-order mark (a file saved by Notepad,
 * a PowerShell pipe), which nobody types at the login page; null, said on `stderr`, when it is
 * longer than any password or not UTF-8 (a UTF-16 or Windows-1252 file): stored as it is read,
 * the password would hold characters the operator never typed.
 */
async function firstLine(
  stdin: NodeJS.ReadStream,
  stderr: NodeJS.WriteStream,
): Promise<string | null> {
  for await (const line of boundedLines(stdin as AsyncIterable<Buffer>, MAX_PASSWORD_LINE_BYTES)) {
    if (line.tooLong)
      stderr.write(`The password line is longer than ${MAX_PASSWORD_LINE_BYTES} bytes.\n`);
    else if (!line.utf8)
      stderr.write(
        'The password line on standard input is not UTF-8 (UTF-16, Windows-1252?): save or pipe it as UTF-8.\n',
      );
    return line.tooLong || !line.utf8 ? null : line.text.replace(/^\ufeff/, '');
  }
  return '';
}

/** Said when the password comes as --password: where else it is then to be read. */
export const PASSWORD_FLAG_WARNING =
  'Warning: --password shows the password to every user of this machine (ps, /proc) while the command runs, and the shell history keeps it; pipe it on standard input instead: printf \'%s\\n\' "$PASSWORD" | durable-unsubscribe operators add NAME';

async function readPassword(args: string[], io: CommandIo): Promise<string | null> {
  const i = args.indexOf('--password');
  if (i >= 0) {
    io.stderr.write(`${PASSWORD_FLAG_WARNING}\n`);
    return args[i + 1] ?? null;
  }
  if (!io.stdin.isTTY) return firstLine(io.stdin, io.stderr);
  const password = await promptHidden(io, 'Password: ');
  if ((await promptHidden(io, 'Same password again: ')) !== password) {
    io.stderr.write('The passwords differ.\n');
    return null;
  }
  return password;
}

/** What each action takes (its own word and NAME included). */
const ACTIONS: Record<string, ArgumentSpec> = {
  add: { valued: ['--password'], words: 2 },
  password: { valued: ['--password'], words: 2 },
  list: { words: 1 },
  remove: { words: 2 },
  logout: { words: 2 },
  sessions: { valued: ['--end'], words: 2 },
};

/**
 * Why `args` are wrong usage of `operators` (exit 2): one line, or the help when no action is
 * understood; null when they are not. Checked before the database is opened, so a mistake
 * creates nothing.
 */
export function operatorsUsageError(args: readonly string[]): string | null {
  const [action, name] = args;
  const spec = action === undefined ? undefined : ACTIONS[action];
  if (!spec) return OPERATORS_HELP;
  const unexpected = unexpectedArgument(`operators ${action}`, args, spec);
  if (unexpected) return unexpected;
  if (action === 'list') return null;
  if (!name || name.startsWith('--')) return OPERATORS_HELP;
  // A name no operator can have: "remove" then says it is not stored (exit 1), as for any other.
  return action === 'add' && !OPERATOR_NAME.test(name) ? OPERATOR_NAME_RULE : null;
}

/** `operators add|password|list|remove|logout|sessions`: the CLI's management of /admin operators. Returns the exit code. */
export async function runOperatorsCommand(
  args: string[],
  operators: OperatorService,
  io: CommandIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [action, name] = args;
  const usage = operatorsUsageError(args);
  if (usage) {
    io.stderr.write(`${usage}\n`);
    return 2;
  }
  if (action === 'add' && name) {
    const password = await readPassword(args, io);
    if (password === null) {
      io.stderr.write(OPERATORS_HELP + '\n');
      return 2;
    }
    await operators.add(name, password);
    io.stdout.write(`Added operator ${name}. Log in at /admin/login.\n`);
    return 0;
  }
  if (action === 'password' && name) {
    const password = await readPassword(args, io);
    if (password === null) {
      io.stderr.write(OPERATORS_HELP + '\n');
      return 2;
    }
    const ended = await operators.changePassword(name, password);
    const configured = (await operators.list()).some(
      (o) => o.name === name && o.origin === 'environment',
    );
    // An ADMIN_USERS entry's password lives in the environment (and wins over a stored one).
    const inEnvironment = configured
      ? `${name} is given in ADMIN_USERS: its password there logs in; change it there (and restart).\n`
      : '';
    if (ended === null) {
      io.stderr.write(`No stored operator ${name}.\n${inEnvironment}`);
      return 1;
    }
    io.stdout.write(
      `Changed the password of ${name} and ended its ${ended} session${ended === 1 ? '' : 's'}.\n${inEnvironment}`,
    );
    return 0;
  }
  if (action === 'list') {
    for (const o of await operators.list()) {
      const since = o.createdAt ? o.createdAt.toISOString() : 'ADMIN_USERS';
      io.stdout.write(`${o.name}\t${o.origin}\t${since}\n`);
    }
    return 0;
  }
  if (action === 'remove' && name) {
    if (!(await operators.remove(name))) {
      io.stderr.write(`No stored operator ${name}.\n`);
      return 1;
    }
    // Configured in ADMIN_USERS too, whose password wins: that entry still logs in, which is
    // not the revocation the operator may have meant.
    const configured = (await operators.list()).some(
      (o) => o.name === name && o.origin === 'environment',
    );
    const stillConfigured = configured
      ? `${name} is still given in ADMIN_USERS: its password there logs in; remove that entry (and restart) to revoke it.\n`
      : '';
    io.stdout.write(`Removed ${name} and ended its sessions.\n${stillConfigured}`);
    return 0;
  }
  if (action === 'logout' && name) {
    const ended = await operators.logOutEverywhere(name);
    if (ended === 0 && !(await operators.exists(name))) {
      io.stderr.write(`No operator ${name}.\n`);
      return 1;
    }
    io.stdout.write(`Ended ${ended} session${ended === 1 ? '' : 's'} of ${name}.\n`);
    return 0;
  }
  if (action === 'sessions' && name) return operatorSessions(args, name, operators, io);
  io.stderr.write(OPERATORS_HELP + '\n');
  return 2;
}

/** `operators sessions NAME [--end ID]`: an operator's live sessions, or the end of one. */
async function operatorSessions(
  args: string[],
  name: string,
  operators: OperatorService,
  io: CommandIo,
): Promise<number> {
  const i = args.indexOf('--end');
  if (i >= 0) {
    const id = args[i + 1]!;
    if (!(await operators.endSession(name, id))) {
      io.stderr.write(`${printable(name)} has no live session ${printable(id)}.\n`);
      return 1;
    }
    io.stdout.write(`Ended session ${id} of ${name}.\n`);
    return 0;
  }
  const sessions = await operators.sessionsOf(name);
  if (sessions.length === 0 && !(await operators.exists(name))) {
    io.stderr.write(`No operator ${printable(name)}.\n`);
    return 1;
  }
  for (const s of sessions) {
    const fields = [
      s.id,
      s.createdAt.toISOString(),
      s.lastSeenAt.toISOString(),
      s.clientAddress ?? '-',
      s.userAgent ?? '-',
    ];
    io.stdout.write(`${fields.map(printable).join('\t')}\n`);
  }
  return 0;
}
