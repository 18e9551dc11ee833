/**
 * A ceiling runs as many processes as the service it is compared with (WORKERS, default one per
 * core, as the service), or the ratio would compare N processes with one. The primary forks
 * the workers, announces once all of them listen, and passes the canned answers one worker
 * received to all the others before that worker answers the benchmark.
 */
import cluster from 'node:cluster';
import os from 'node:os';
import type { CannedAnswers } from './canned.js';
import { defaultWorkers } from '../../src/config/listener.settings.js';

/**
 * Processes a ceiling runs: WORKERS as the benchmark set it for the engine being measured
 * (processesFor), or one per core.
 */
export function ceilingProcesses(): number {
  const raw = (process.env.WORKERS ?? '').trim();
  return raw === '' ? os.availableParallelism() : Math.max(1, Number(raw));
}

/**
 * Processes the service runs on `engine`: WORKERS when the benchmark's caller set it, else
 * the service's own default for that engine (so each ceiling runs as many).
 */
export function processesFor(engine: 'sqlite' | 'postgres'): number {
  const raw = (process.env.WORKERS ?? '').trim();
  return raw === '' ? defaultWorkers(engine) : Math.max(1, Number(raw));
}

type Relay =
  | { canned: CannedAnswers; id: number }
  | { apply: CannedAnswers; id: number }
  | { applied: number }
  | { relayed: number }
  | { listening: number };

/**
 * Runs `serve` here (one process) or in each of the ceiling's workers; returns in the primary
 * without serving. `apply` sets answers in this process (a worker applies the others' too).
 */
export function serveInProcesses(
  name: string,
  serve: () => void,
  apply: (answers: CannedAnswers) => void,
): void {
  const processes = ceilingProcesses();
  if (processes <= 1) return serve();
  if (cluster.isWorker) {
    process.on('message', (m: Relay) => {
      if ('apply' in m) {
        apply(m.apply);
        process.send!({ applied: m.id } satisfies Relay);
      }
    });
    return serve();
  }
  let listening = 0;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork();
    worker.on('message', (m: Relay) => {
      if ('listening' in m && ++listening === processes) announceAll(name, m.listening);
      if (!('canned' in m)) return;
      const others = Object.values(cluster.workers ?? {}).filter((w) => w && w !== worker);
      let waiting = others.length;
      const done = () => worker.send({ relayed: m.id } satisfies Relay);
      if (waiting === 0) return done();
      for (const other of others) {
        const onApplied = (reply: Relay) => {
          if (!('applied' in reply) || reply.applied !== m.id) return;
          other!.off('message', onApplied);
          if (--waiting === 0) done();
        };
        other!.on('message', onApplied);
        other!.send({ apply: m.canned, id: m.id } satisfies Relay);
      }
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  });
}

function announceAll(name: string, port: number): void {
  process.stdout.write(`${name} listening on port ${port} (${ceilingProcesses()} processes)\n`);
}

let relayId = 0;

/**
 * In a worker: hands answers this process received to the others, resolving once all have them
 * (at once in a single process). Elsewhere a no-op.
 */
export function shareAnswers(answers: CannedAnswers): Promise<void> {
  if (!cluster.isWorker) return Promise.resolve();
  const id = ++relayId;
  return new Promise((resolve) => {
    const onReply = (m: Relay) => {
      if (!('relayed' in m) || m.relayed !== id) return;
      process.off('message', onReply);
      resolve();
    };
    process.on('message', onReply);
    process.send!({ canned: answers, id } satisfies Relay);
  });
}

/** What a ceiling prints (one process) or tells its primary (a worker) once it listens. */
export function listening(name: string, port: number): void {
  if (cluster.isWorker) process.send!({ listening: port } satisfies Relay);
  else process.stdout.write(`${name} listening on port ${port}\n`);
}
