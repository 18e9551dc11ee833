import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { migrations } from '../../migrations/index.js';
import type { Database } from '../../src/data-access/database.js';
import { createServices, type Services } from '../../src/compose.js';
import type { TestEngine } from '../support/database.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built binary (`npm run build`), as the bin and `npm run start:prod` run it. */
export const BIN = path.join(ROOT, 'dist/src/cli/index.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `stdout` without the one info line a single process logs when it binds a port left to the
 * system (PORT=0 or METRICS_PORT=0: "ports bound while starting", docs/operations.md), which
 * comes before any start can fail: what a test of a refused start expects to be empty.
 */
export function besidePortsLine(stdout: string): string {
  return stdout
    .split('\n')
    .filter((l) => !/^\{.*"msg":"ports bound while starting"\}$/.test(l))
    .join('\n');
}

/** Runs the built CLI to its end (as `options.user`, when given: root may run it as another). */
export function cli(
  args: string[],
  env: Record<string, string>,
  options: {
    cwd?: string;
    input?: string;
    user?: { uid: number; gid: number };
    /** Each piece of stderr as it comes, for a test that acts when the command says something. */
    onStderr?: (text: string) => void;
  } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        cwd: options.cwd ?? ROOT,
        maxBuffer: 64 * 1024 * 1024,
        ...options.user,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A command that stops reading before the input ends (a list refused for its size) is
    // that command's answer to check, not this writer's failure (EPIPE).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
    if (options.onStderr)
      child.stderr?.on('data', (d: Buffer | string) => options.onStderr!(String(d)));
  });
}

/**
 * Runs the built CLI and expects a usage refusal: exit 2, one line on stderr matching `says`,
 * nothing on stdout.
 */
export async function expectUsageRefusal(
  args: string[],
  env: Record<string, string>,
  says: RegExp,
): Promise<void> {
  const r = await cli(args, env);
  expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).to.equal(2);
  expect(r.stderr, args.join(' ')).to.match(says);
  expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
  expect(r.stdout, args.join(' ')).to.equal('');
}

/** A tool's path, or: a skip with the reason on a developer machine, a failure under CI. */
export function toolOrSkip(context: Mocha.Context, name: string, install: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (process.env.CI === 'true') throw new Error(`${name} is missing: ${install}`);
  console.log(`      (skipped: ${name} not installed; ${install})`);
  return context.skip();
}

/** A suite's database for the built CLI, and a temporary directory of its own. */
/**
 * The settings of a CLI run on the embedded database in `dataDir`: any free port, no metrics
 * port, no SOAP users from the environment; `more` added or overriding.
 */
export function embeddedEnv(
  dataDir: string,
  more: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: '',
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: 'off',
    MKTOWS_USERS: '',
    ...more,
  };
}

export interface CliSuite {
  /** What names the database to the CLI (with `pgEnv` on PostgreSQL). */
  env: Record<string, string>;
  db: Database;
  dir: string;
}

/**
 * A fresh database of `engine` and a temporary directory (named from `dirPrefix`) for a whole
 * suite (mocha hooks), handed to `opened` before its tests and removed after them. Refuses to
 * start without the built binary.
 */
export function cliSuite(
  engine: TestEngine,
  dirPrefix: string,
  opened: (suite: CliSuite) => void,
  pgEnv: Record<string, string> = {},
): void {
  let suite: (CliSuite & { drop(): Promise<void> }) | undefined;
  before(async () => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    const made = await engine.create();
    suite = {
      db: made.db,
      drop: made.drop,
      env: made.url
        ? { DATABASE_URL: made.url, ...pgEnv }
        : { DATABASE_URL: '', DATA_DIR: made.dataDir },
      dir: fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix)),
    };
    opened(suite);
  });
  after(async () => {
    if (!suite) return;
    fs.rmSync(suite.dir, { recursive: true, force: true });
    await suite.drop();
  });
}

/** A `cliSuite` for the suppression commands, with what their suites share. */
export interface SuppressionsSuite extends CliSuite {
  /** The services on the suite's database, as the service would run them. */
  services: Services;
  /** Writes `text` to the file `name` in the suite's directory; its path. */
  write(name: string, text: string): string;
  /** How many addresses have a master status. */
  statusRows(): Promise<number>;
}

/**
 * `cliSuite` (one database and directory for the whole suite, prefix du-supp-) for the
 * suppression commands: `opened` gets the suite's services and helpers too.
 */
export function suppressionsCliSuite(
  engine: TestEngine,
  opened: (suite: SuppressionsSuite) => void,
): void {
  cliSuite(engine, 'du-supp-', (suite) => {
    const { db, dir } = suite;
    opened({
      ...suite,
      services: createServices(db, { customFields: [], defaultPartition: 'Default' }),
      write: (name, text) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        return file;
      },
      statusRows: async () =>
        Number(((await db.knex('email_status').count({ n: '*' })) as Array<{ n: number }>)[0]!.n),
    });
  });
}

/**
 * Waits for `child` to exit, reading its peak resident memory (VmHWM, in bytes) from /proc
 * every `everyMs` until then.
 */
export async function exitWithPeakRss(
  child: ChildProcess,
  everyMs: number,
): Promise<{ code: number | null; peak: number }> {
  let peak = 0;
  const poll = setInterval(() => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      // the process has just exited
    }
  }, everyMs);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearInterval(poll);
  return { code, peak };
}

/** Starts the built CLI (stdin ignored) and collects what it writes to stdout and stderr. */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; out(): string; err(): string } {
  return spawnOutput(process.execPath, [BIN, ...args], env);
}

/** Starts `command` as spawnCli starts the CLI (LOG_LEVEL warn unless `env` says otherwise). */
export function spawnOutput(
  command: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; out(): string; err(): string } {
  const child = spawn(command, args, {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { child, out: () => out, err: () => err };
}

/**
 * The built CLI under a file size limit of `blocks` KiB (bash's `ulimit -f`; 0: no write at
 * all): node ignores SIGXFSZ, so each write past it fails with EFBIG, as on a full disk.
 */
export function cliUnderFileLimit(
  blocks: number,
  args: string[],
  env: Record<string, string>,
): Promise<Result> {
  const { child, out, err } = spawnOutput(
    'bash',
    ['-c', `ulimit -f ${blocks} && exec "$0" "$@"`, process.execPath, BIN, ...args],
    env,
  );
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: out(), stderr: err() })),
  );
}

export interface Spawned {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the port once the banner is printed; rejects if the process ends first. */
  port: Promise<number>;
}

/** Starts a long-running process and collects what it prints. */
export function spawnCollecting(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; detached?: boolean } = {},
): Spawned {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = new Promise<number>((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d.toString();
      const m = /listening on port (\d+)/.exec(out);
      if (m && /WSDL:/.test(out)) resolve(Number(m[1]));
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
  });
  port.catch(() => undefined);
  return { child, output: () => out, exited, port };
}

/** `serve` as one process on `env`'s database, logging at info, on any free port. */
export function serveAtInfo(env: Record<string, string>): Spawned {
  return spawnCollecting(process.execPath, [BIN, 'serve'], {
    USER_KEY_SECRET: 'a-secret-of-sixteen-or-more',
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: 'off',
    WORKERS: '1',
    LOG_LEVEL: 'info',
    ...env,
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` is true, polling; false if it never became true within `ms`. */
export async function eventually(check: () => boolean, ms = 30000): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** The name of this version's last migration. */
export const LAST_MIGRATION = migrations[migrations.length - 1]![0];

/** The database as the version before the last migration left it: that one rolled back. */
export async function asThePreviousVersionLeftIt(db: Database): Promise<void> {
  await migrations[migrations.length - 1]![1].down!(db.knex);
  await db.knex('knex_migrations').where('name', LAST_MIGRATION).del();
}
