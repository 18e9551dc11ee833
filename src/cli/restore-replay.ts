import path from 'node:path';
import { plural } from './printable.js';

/** What restoreSqlite reports (data-access's Restored, as this file reads it). */
interface Restored {
  previous: string | null;
  notInBackup:
    | {
        statuses: number;
        optOuts: number;
        keptOptOuts: number;
        since: Date | null;
        addressless: { count: number; ids: number[]; absent: number; absentIds: number[] };
      }
    | 'unknown'
    | null;
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
  const { statuses, optOuts, keptOptOuts, since, addressless } = notInBackup;
  const people = addresslessAdvice(addressless);
  if (since === null) return people;
  const dir = previous.replace(/\.sqlite$/, '');
  const csv = path.join(dir, 'not-in-backup.csv');
  const be = (n: number) => (n === 1 ? 'is' : 'are');
  const kept = plural(keptOptOuts, 'opt-out', 'opt-outs');
  // An opt-out kept under an earlier key stands for its spellings: the export lists them.
  const lacking =
    statuses === 0
      ? `${kept} kept under an earlier key in the database it replaced ${be(keptOptOuts)} not in the backup`
      : `${plural(statuses, 'master status', 'master statuses')} of the database it replaced ${be(statuses)} not in the backup ` +
        `(${optOuts} of them ${optOuts === 1 ? 'an opt-out' : 'opt-outs'})` +
        (keptOptOuts > 0 ? `, nor ${be(keptOptOuts)} ${kept} kept there under an earlier key` : '');
  return (
    `${lacking}, recorded since ${since.toISOString()}: ` +
    `the backup is older. Before starting the service, bring the opt-outs back:\n` +
    `  mkdir -p ${shellWord(dir)} && cp ${shellWord(previous)} ${shellWord(path.join(dir, fileName))}\n` +
    `  DATA_DIR=${shellWord(dir)} durable-unsubscribe suppressions export --since ${since.toISOString()} > ${shellWord(csv)}\n` +
    `  DATA_DIR=${shellWord(path.resolve(dataDir))} durable-unsubscribe suppressions import ${shellWord(csv)}\n` +
    `then remove ${dir}. Re-subscriptions are not replayed: those addresses stay unsubscribed.\n` +
    people
  );
}

/**
 * What restore says of the opt-outs of people without an address the backup lacks: no master
 * status holds them (only the person's flag), so no export replays them. Those the backup holds
 * subscribed are set again by their ids; those it does not hold at all no longer exist once it
 * is restored, and their ids are given again to the next people created (the backup's id
 * sequence): only the integration that sent them can send them again, opt-out included.
 */
function addresslessAdvice({
  count,
  ids,
  absent,
  absentIds,
}: {
  count: number;
  ids: number[];
  absent: number;
  absentIds: number[];
}) {
  if (count === 0) return '';
  const list = (shown: number[], all: number) =>
    shown.join(', ') + (all > shown.length ? `, … (${all - shown.length} more)` : '');
  const held = count - absent;
  const lines = [
    `${plural(count, 'person', 'people')} without an address opted out in the database it replaced, not in the backup: ` +
      `no master status holds such an opt-out, so none is replayed.`,
  ];
  if (held > 0)
    lines.push(
      `  ${held} the backup holds subscribed (ids ${list(ids, held)}): set them again (the console's person page, or the integration that sent them).`,
    );
  if (absent > 0)
    lines.push(
      `  ${absent} not in the backup at all (ids ${list(absentIds, absent)}): they are gone, and new people may be given these ids; the integration that created them must send them again, with their opt-out.`,
    );
  return lines.join('\n') + '\n';
}
