// A process that runs one console bulk job and prints each batch it applies: the kill test
// ends it with SIGKILL half-way, as a crash or an OOM kill would.
import { openDatabase } from '../../src/data-access/database.js';
import { createServices } from '../../src/compose.js';

const [databaseUrl = '', dataDir = '', jobId = '0', batchSize = '200'] = process.argv.slice(2);
const db = openDatabase({ databaseUrl, dataDir, sqliteBusyTimeoutMs: 10000, dbPoolMax: 4 });
const services = createServices(
  db,
  { customFields: [], defaultPartition: 'Default' },
  { jobs: { batchSize: Number(batchSize), leaseMs: 1500 } },
);
await services.bulkChanges.run(Number(jobId), (seq) => process.stdout.write(`batch ${seq}\n`));
process.stdout.write('finished\n');
await db.close();
