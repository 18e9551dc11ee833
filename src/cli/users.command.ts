import { isUserId, USER_ID_RULE, type UserService } from '../domain/user.service.js';
import { AppError, ErrorCode } from '../errors.js';
import {
  describePermissions,
  FULL_ACCESS,
  isPartitionName,
  type Permissions,
} from '../domain/permissions.js';
import { mktowsSettings } from '../config/mktows.settings.js';
import { type ArgumentSpec, unexpectedArgument } from './arguments.js';
import { plural, printable } from './printable.js';

export const USERS_HELP = `Usage: durable-unsubscribe users add [--id ID] [--description TEXT] [PERMISSIONS]
       durable-unsubscribe users update ID PERMISSIONS
       durable-unsubscribe users list
       durable-unsubscribe users remove ID
       durable-unsubscribe users seal

"add" prints the new user id and encryption key once. A new user has full access unless
PERMISSIONS say otherwise; "update" changes only what its PERMISSIONS name:
  --read-only           reads only: syncLead, syncMultipleLeads, deleteLead and mergeLeads are refused
  --read-write          may write again
  --no-delete           may write but not call deleteLead (nor mergeLeads, which deletes)
  --may-delete          may call deleteLead again (unless read-only)
  --partitions A,B      may read and change only the people of these partitions (workspaces):
                        anyone elsewhere is not found (20103), as nobody is; getLeadChanges,
                        which spans every partition, is refused
  --all-partitions      every partition again
Two flags that undo each other (--read-only and --read-write, ...) are refused together.
A refused call gets fault 20013 (Access Denied) and changes nothing. Users stored before
permissions existed keep full access. Users of MKTOWS_USERS take theirs from that setting.

"seal" seals, with USER_KEY_SECRET and bound to their user id, the stored keys kept in clear
(stored on PostgreSQL before the secret was set); until then they do not authenticate.`;

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

// Running instances answer from a copy of the stored users (MKTOWS_USER_CACHE_SECONDS).
const TAKES_EFFECT = `Running instances see this within MKTOWS_USER_CACHE_SECONDS (${mktowsSettings.mktowsUserCacheSeconds.default} s by default).\n`;

const PERMISSION_FLAGS = new Set([
  '--read-only',
  '--read-write',
  '--no-delete',
  '--may-delete',
  '--partitions',
  '--all-partitions',
]);

/** Applies the permission flags of `args` to `from`; throws on a bad partition list. */
function permissionsFrom(args: readonly string[], from: Permissions): Permissions {
  const p: Permissions = { ...from };
  if (args.includes('--read-write')) p.readOnly = false;
  if (args.includes('--may-delete')) p.mayDelete = true;
  if (args.includes('--read-only')) p.readOnly = true;
  if (args.includes('--no-delete')) p.mayDelete = false;
  if (args.includes('--all-partitions')) p.partitions = null;
  const names = partitionNames(args);
  if (names === 'bad') throw new AppError(ErrorCode.BAD_PARAMETER, BAD_PARTITIONS);
  if (names) p.partitions = [...new Set(names)];
  return p;
}

const BAD_PARTITIONS =
  '--partitions takes partition names separated by commas (1-64 of A-Z a-z 0-9 space _ . @ -)';

/** The names --partitions gives, 'bad' when one is no partition name, null without it. */
function partitionNames(args: readonly string[]): string[] | 'bad' | null {
  const i = args.indexOf('--partitions');
  if (i < 0) return null;
  const names = (args[i + 1] ?? '').split(',').map((s) => s.trim());
  return names.some((n) => !isPartitionName(n)) ? 'bad' : names;
}

/** Permission flags that undo each other: given together, neither may silently win. */
const OPPOSITES = [
  ['--read-only', '--read-write'],
  ['--no-delete', '--may-delete'],
  ['--partitions', '--all-partitions'],
] as const;

function contradiction(command: string, args: readonly string[]): string | null {
  const pair = OPPOSITES.find(([a, b]) => args.includes(a) && args.includes(b));
  return pair
    ? `${command}: ${pair[0]} and ${pair[1]} contradict each other: give one (see "durable-unsubscribe users --help")`
    : null;
}

const PERMISSION_SWITCHES = [...PERMISSION_FLAGS].filter((f) => f !== '--partitions');

/** What each action takes (its own word and ID included). */
const ACTIONS: Record<string, ArgumentSpec> = {
  add: {
    switches: PERMISSION_SWITCHES,
    valued: ['--id', '--description', '--partitions'],
    words: 1,
  },
  update: { switches: PERMISSION_SWITCHES, valued: ['--partitions'], words: 2 },
  list: { words: 1 },
  remove: { words: 2 },
  seal: { words: 1 },
};

/**
 * Why `args` are wrong usage of `users` (exit 2), in one line, or the help when no action is
 * understood; null when they are not. Checked before the database is opened, so a mistake
 * creates or changes nothing (not even the key-sealing secret).
 */
export function usersUsageError(args: readonly string[]): string | null {
  const action = args[0];
  const spec = action === undefined ? undefined : ACTIONS[action];
  if (!spec) return USERS_HELP;
  const id = args[1];
  const noId = (action === 'update' || action === 'remove') && (!id || id.startsWith('--'));
  // "update ID" alone would change nothing while saying it did.
  const noChange = action === 'update' && !args.slice(2).some((a) => PERMISSION_FLAGS.has(a));
  return (
    unexpectedArgument(`users ${action}`, args, spec) ??
    (noId || noChange ? USERS_HELP : null) ??
    contradiction(`users ${action}`, args) ??
    (partitionNames(args) === 'bad' ? BAD_PARTITIONS : null) ??
    (action === 'add' && args.includes('--id') && !isUserId(option(args, '--id') ?? '')
      ? USER_ID_RULE
      : null)
  );
}

/** `users add|update|list|remove`; returns the exit code. */
export async function runUsersCommand(
  users: UserService,
  args: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const action = args[0];
  const unexpected = usersUsageError(args);
  if (unexpected) {
    err(`${unexpected}\n`);
    return 2;
  }
  if (action === 'add') {
    const permissions = permissionsFrom(args, FULL_ACCESS);
    const u = await users.create(
      option([...args], '--description') ?? null,
      option([...args], '--id'),
      permissions,
    );
    out(
      `mktowsUserId:  ${u.userId}\nencryptionKey: ${u.encryptionKey}\npermissions:   ${describePermissions(permissions)}\n(the key is shown only this once)\n${TAKES_EFFECT}`,
    );
    return 0;
  }
  if (action === 'update' && args[1]) {
    const current = (await users.list()).find((u) => u.userId === args[1]);
    if (!current) {
      err(`No user ${args[1]}.\n`);
      return 1;
    }
    const permissions = permissionsFrom(args.slice(2), current.permissions);
    await users.updatePermissions(args[1], permissions);
    out(`${args[1]}: ${describePermissions(permissions)}\n${TAKES_EFFECT}`);
    return 0;
  }
  if (action === 'list') {
    for (const u of await users.list()) {
      out(
        `${u.userId}\t${u.origin}\t${describePermissions(u.permissions)}\t${printable(u.description ?? '')}\n`,
      );
    }
    return 0;
  }
  if (action === 'seal') {
    const sealed = await users.sealStoredKeys();
    out(
      `Sealed ${plural(sealed, 'stored key', 'stored keys')} with USER_KEY_SECRET.\n${TAKES_EFFECT}`,
    );
    return 0;
  }
  if (action === 'remove' && args[1]) {
    if (!(await users.remove(args[1]))) {
      err(`No stored user ${args[1]}.\n`);
      return 1;
    }
    // Given in MKTOWS_USERS too, the id was refused while both existed; that entry is all of
    // it now, and it authenticates: not the revocation the operator may have meant.
    const configured = (await users.list()).some(
      (u) => u.userId === args[1] && u.origin === 'environment',
    );
    const stillConfigured = configured
      ? `${args[1]} is still given in MKTOWS_USERS: its key there authenticates now; remove that entry to revoke it.\n`
      : '';
    out(`Removed ${args[1]}.\n${stillConfigured}${TAKES_EFFECT}`);
    return 0;
  }
  err(USERS_HELP + '\n');
  return 2;
}
