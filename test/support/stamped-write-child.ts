// Another process on the test's database whose write was stamped before a page of the test's
// process and begins only after it: its clock gives the stamp it was handed, and it writes
// once told to ("go" on stdin), as a write stamped and then kept waiting for its group or a
// connection would. Prints "ready" once open, "done" once its write has committed.
import readline from 'node:readline';
import { openDatabase } from '../../src/data-access/database.js';
import { createServices } from '../../src/compose.js';
import { ChangePaths } from '../../src/domain/change-paths.js';

const [databaseUrl = '', dataDir = '', leadId = '0', stamp = '0'] = process.argv.slice(2);
const db = openDatabase({ databaseUrl, dataDir, sqliteBusyTimeoutMs: 10000, dbPoolMax: 2 });
const services = createServices(
  db,
  { customFields: [], defaultPartition: 'Default' },
  { now: () => Number(stamp) },
);
const lines = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  await services.leads.sync(
    { id: Number(leadId), attributes: [{ name: 'Unsubscribed', value: 'true' }] },
    { path: ChangePaths.webService() },
  );
  process.stdout.write('done\n');
  break;
}
lines.close();
await db.close();
