/**
 * Ports for the programs a test starts that cannot be told "any free port" and asked which
 * (PostgreSQL, PgBouncer, HAProxy). A port found free and released is only free until someone
 * else binds it, so the start is tried, and tried again on another port when the one picked
 * turned out to be taken meanwhile. The service itself binds port 0 and says which port it got
 * (`ports bound while starting`, the banner): it needs none of this.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SETTLE_MS, waitFor } from './wait.js';

/** What a program says when the port it was given is taken. */
export const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

/** Thrown by a start to have it tried again on another port. */
export class PortTaken extends Error {
  override name = 'PortTaken';
}

/** The first port of the range the kernel hands out for port 0 and outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    if (Number.isInteger(low) && low > 12000) return low;
  } catch {
    // not Linux: its usual range
  }
  return 32768;
}

/** Whether nothing listens on `port` of 127.0.0.1 now. */
function freeNow(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port free now, below the kernel's ephemeral range: the kernel never gives it to another
 * process's port 0 or outgoing connection, so only a program started on that very number can
 * take it (which `onFreePort` then sees, and picks again).
 */
export async function pickPort(): Promise<number> {
  const top = ephemeralLow();
  for (;;) {
    const port = top - 1 - Math.floor(Math.random() * 10000);
    if (await freeNow(port)) return port;
  }
}

/**
 * Runs `start` on a picked port; when it fails because the port is taken (PortTaken, or an
 * error saying "address already in use"), on another one, up to `attempts` times.
 */
export async function onFreePort<T>(
  what: string,
  start: (port: number) => T | Promise<T>,
  attempts = 8,
): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await pickPort();
    try {
      return await start(port);
    } catch (error) {
      if (!portTaken(error)) throw error;
      last = error;
    }
  }
  throw new Error(`${what}: every port picked was taken (${attempts} tries): ${String(last)}`);
}

function portTaken(error: unknown): boolean {
  if (error instanceof PortTaken) return true;
  const e = error as { code?: unknown; message?: unknown; stderr?: unknown } | null;
  if (e?.code === 'EADDRINUSE') return true;
  return [e?.message, e?.stderr].some((text) => ADDRESS_IN_USE.test(String(text ?? '')));
}

/** The length of `file` now (0 when missing): where what a new attempt logs begins. */
export function logOffset(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** What `file` holds from `offset` on ('' when missing). */
export function logSince(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * A PostgreSQL URL nothing can ever answer: a Unix socket in a directory that does not exist
 * (the connect fails with ENOENT, "unreachable"), where a TCP port found free a moment ago may
 * be bound by another test's server meanwhile.
 */
export function unreachablePostgresUrl(): string {
  const nowhere = path.join(
    os.tmpdir(),
    `du-no-server-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  return `postgres://du@localhost/du?host=${encodeURIComponent(nowhere)}`;
}

/**
 * Waits until what `file` logs from `offset` on says the program listens on `port`
 * (PgBouncer's `listening on 127.0.0.1:PORT`, written once a daemonized start has bound it);
 * throws PortTaken when it says the port is taken instead, an Error when neither is logged
 * within `withinMs`.
 */
export async function awaitListeningLogged(
  what: string,
  file: string,
  offset: number,
  port: number,
  withinMs = SETTLE_MS,
): Promise<void> {
  let said = '';
  const settled = await waitFor(() => {
    said = logSince(file, offset);
    return said.includes(`listening on 127.0.0.1:${port}`) || ADDRESS_IN_USE.test(said);
  }, withinMs);
  if (settled && ADDRESS_IN_USE.test(said)) throw new PortTaken(`${what}: ${said.trim()}`);
  if (!settled)
    throw new Error(`${what}: not listening on ${port} within ${withinMs} ms:\n${said}`);
}
