/**
 * A second OS process for the SQLite concurrency test:
 *   node --import tsx test/support/sqlite-hammer-worker.ts <dataDir> <count> <seed> <leadIds,...>
 * Opens the same data directory, prints "ready", runs the hammer, prints its result as JSON.
 */
import { openDatabase } from '../../src/data-access/database.js';
import { hammer, noRetryLeads } from './hammer.js';

const [dataDir, countArg, seedArg, idsArg] = process.argv.slice(2);
if (!dataDir || !countArg || !seedArg || !idsArg) {
  process.stderr.write('usage: sqlite-hammer-worker <dataDir> <count> <seed> <leadIds>\n');
  process.exit(2);
}
const db = openDatabase({ databaseUrl: '', dataDir, sqliteBusyTimeoutMs: 10000, dbPoolMax: 1 });
try {
  const services = noRetryLeads(db);
  const ids = idsArg.split(',').map(Number);
  process.stdout.write('ready\n');
  const result = await hammer([services], ids, Number(countArg), Number(seedArg));
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await db.close();
}
