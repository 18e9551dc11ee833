import fs from 'node:fs';
import os from 'node:os';

/**
 * The signals that ask a command to stop: Ctrl-C (SIGINT), a service manager or container
 * runtime (SIGTERM), a closed terminal or ssh session (SIGHUP).
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit code of a command stopped by `signal`, as a shell reports one it killed: 128 + its number. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

type StopHandler = (signal: StopSignal) => void;

// The handlers of the work in progress, innermost last: the last one answers a signal.
const handlers: StopHandler[] = [];
let defaultLine: ((signal: StopSignal) => string) | undefined;
let listening = false;
// The exit code of a command whose work is done and said, while it closes what it opened.
let finishedWith: number | undefined;

function listen(): void {
  if (listening) return;
  listening = true;
  for (const signal of STOP_SIGNALS)
    process.on(signal, () => {
      if (finishedWith !== undefined) process.exit(finishedWith);
      const handler = handlers.at(-1);
      if (handler) handler(signal);
      else stopNow(signal, defaultLine?.(signal) ?? `stopped by ${signal}`);
    });
}

/**
 * A command (not serve, which drains its own way) answers the stop signals itself: one line on
 * stderr, exit 128 + the signal's number, what it had half written removed (by the handler of
 * the work in progress, `whileRunning`). Without a handler of its own, a process that is PID 1
 * of a container never receives SIGTERM at all: the runtime waits, then kills it, the partial
 * output left behind. A transaction in flight is rolled back by the database when the process
 * ends (its connection closes), and the locks it held go with it.
 */
export function stopCommandOnSignals(command: string, detail?: string): void {
  defaultLine = (signal) => `${command} stopped by ${signal}${detail ? `: ${detail}` : ''}`;
  listen();
}

/**
 * The command's work is done and its outcome said (a backup written and reported): a stop
 * signal heard while it closes its database, or exits, only hastens the end, with `code`.
 * Answered as if it stopped the work, it would end a complete backup with "stopped" and 143.
 */
export function finished(code: number): void {
  finishedWith = code;
}

/** While `work` runs, `handler` answers the stop signals (it may end the process). */
export async function whileRunning<T>(handler: StopHandler, work: () => Promise<T>): Promise<T> {
  listen();
  handlers.push(handler);
  try {
    return await work();
  } finally {
    handlers.splice(handlers.lastIndexOf(handler), 1);
  }
}

/**
 * Says `line` on stderr and ends the process with the signal's exit code. Written directly, so
 * that it is out before the exit; a terminal already gone (SIGHUP) fails the write, ignored.
 */
export function stopNow(signal: StopSignal, line: string): never {
  try {
    fs.writeSync(2, `${line}\n`);
  } catch {
    // nobody left to read it
  }
  process.exit(signalExitCode(signal));
}
