// A primary whose workers die at start: the real supervisor, with a worker that exits at once.
import cluster from 'node:cluster';
import { superviseWorkers } from '../../src/cluster/supervisor.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';

if (cluster.isWorker) process.exit(3);
const config = loadConfig();
superviseWorkers(config, createLogger(config.logLevel), () => {
  process.stdout.write('announced\n');
}).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(2);
});
