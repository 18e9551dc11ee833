/** The ceilings as processes of their own, started and stopped like the service. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectAndAwaitPort } from '../../test/support/service-process.js';

const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Ceiling {
  name: string;
  pid: number;
  url: string;
  base: string;
  /** Sets the answers (operation → response envelope) the ceiling serves. */
  setAnswers(answers: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startCeiling(
  name: 'bare-express' | 'soap-echo',
  processes: number,
): Promise<Ceiling> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(BENCH, 'ceilings', `${name}.ts`)],
    {
      cwd: path.dirname(BENCH),
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', WORKERS: String(processes) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const started = collectAndAwaitPort(child, name);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await started.port;
  const base = `http://127.0.0.1:${port}`;
  return {
    name,
    pid: child.pid!,
    base,
    url: `${base}/soap/mktows/2_9`,
    async setAnswers(answers) {
      const res = await fetch(`${base}/__canned`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(answers),
      });
      if (!res.ok) throw new Error(`${name} refused its answers: ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
