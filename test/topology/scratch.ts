/**
 * The temporary directory of one topology and the processes it started: everything is undone
 * by `cleanup()`, and again when the test process exits, so a failing or aborted test leaves
 * no server behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Scratch {
  readonly root: string;
  /** A sub-directory the postgres OS user may write to. */
  dir(name: string): string;
  /** Runs at cleanup, newest first; must be synchronous (it also runs at process exit). */
  onCleanup(undo: () => void): void;
  cleanup(): void;
}

const live = new Set<Scratch>();
const cleanupAll = () => {
  for (const scratch of live) scratch.cleanup();
};
process.once('exit', cleanupAll);
// Interrupted (Ctrl-C, a CI job cancelled): Node would exit without the 'exit' handlers. The
// listeners stay: a second signal (mocha relays SIGINT, then SIGTERM) must not find the
// default action, which would kill the process in the middle of the cleanup.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}

export function createScratch(prefix: string): Scratch {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `du-${prefix}-`));
  fs.chmodSync(root, 0o777);
  const undo: Array<() => void> = [];
  const scratch: Scratch = {
    root,
    dir(name) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o777);
      return dir;
    },
    onCleanup: (fn) => void undo.push(fn),
    cleanup() {
      live.delete(scratch);
      while (undo.length > 0) {
        try {
          undo.pop()!();
        } catch {
          // best effort: the rest must still run
        }
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  live.add(scratch);
  return scratch;
}

/** Kills a process by id if it still runs. */
export function killPid(pid: number | null | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The process id a daemon wrote to its pid file, or null. */
export function pidFrom(file: string): number | null {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
