import path from 'node:path';
import { plural } from './printable.js';

/** What restoreSqlite reports (data-access's Restored, as this file reads it). */
interface Restored {
  previous: string | null;
  notInBackup: { statuses: number; optOuts: number; since: Date } | 'unknown' | null;
}

/** A word a POSIX shell reads back as it is: quoted only when it needs to be. */
const shellWord = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * What `restore` says of the statuses the database it replaced holds and the backup lacks
 * (recorded after the backup was taken): how many, and the commands that export the opt-outs
 * among them from the copy kept beside it and import them into the restored database.
 * Re-subscriptions are not replayed (import never lifts): those addresses stay unsubscribed.
 */
export function replayAdvice(restored: Restored, dataDir: string, fileName: string): string {
  const { previous, notInBackup } = restored;
  if (previous === null || notInBackup === null) return '';
  if (notInBackup === 'unknown')
    return `The database it replaced could not be compared with the backup (damaged?): any opt-out recorded after the backup was taken is only in ${previous}.\n`;
  const { statuses, optOuts, since } = notInBackup;
  const dir = previous.replace(/\.sqlite$/, '');
  const csv = path.join(dir, 'not-in-backup.csv');
  const verb = statuses === 1 ? 'is' : 'are';
  return (
    `${plural(statuses, 'master status', 'master statuses')} of the database it replaced ${verb} not in the backup ` +
    `(${optOuts} of them ${optOuts === 1 ? 'an opt-out' : 'opt-outs'}), recorded since ${since.toISOString()}: ` +
    `the backup is older. Before starting the service, bring the opt-outs back:\n` +
    `  mkdir -p ${shellWord(dir)} && cp ${shellWord(previous)} ${shellWord(path.join(dir, fileName))}\n` +
    `  DATA_DIR=${shellWord(dir)} durable-unsubscribe suppressions export --since ${since.toISOString()} > ${shellWord(csv)}\n` +
    `  DATA_DIR=${shellWord(path.resolve(dataDir))} durable-unsubscribe suppressions import ${shellWord(csv)}\n` +
    `then remove ${dir}. Re-subscriptions are not replayed: those addresses stay unsubscribed.\n`
  );
}
