import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { settings } from '../../src/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** What an operator reads about settings: the README, the guides, the unit and the image. */
const GUIDES = [
  'README.md',
  ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`),
  'Dockerfile',
  'deploy/durable-unsubscribe.service',
  'deploy/haproxy.cfg',
  'deploy/pgbouncer.ini',
].filter((f) => !f.startsWith('docs/') || f.endsWith('.md'));

// Upper-case names the guides give that are not this service's settings: other programs'
// variables, SQLite's codes and constants of the code the benchmark notes name.
const NOT_SETTINGS = new Set([
  'CHROMIUM_PATH',
  'NODE_OPTIONS',
  'NODE_ENV',
  'MALLOC_ARENA_MAX',
  'SQLITE_BUSY',
  // SQLite's code for a file that is not a database (operations.md, troubleshooting).
  'SQLITE_NOTADB',
  'LEAD_SYNC_FAILED',
  'MAX_GROUPS_IN_FLIGHT',
  'REMAINING_COUNT_CAP',
  'FINAL_STEP',
  // bench/batch-stages.ts's checkout to load (A/B runs of two builds), that tool's own.
  'STAGES_ROOT',
  // bench/batch-ab.ts's engine, a variable of that tool, not of the service.
  'AB_ENGINE',
  // bench/pg-calls.ts's switches (what it runs, warm-up, profiles), that tool's own.
  'PG_CALLS_DIST',
  'PG_CALLS_WARMUP',
  'PG_CALLS_PROFILE',
  'PG_CALLS_HEAP_PROFILE',
  'PG_CALLS_MARK',
  'PG_CALLS_B_URL',
  // bench/pg-sharing-cost.ts's switch for each unsubscribe's WAL records, that tool's own.
  'PG_SHARING_WAL',
  // gSOAP's validating mode, set by a C++ client (legacy-integration.md), not a setting of ours.
  'SOAP_XML_STRICT',
]);

describe('the README', () => {
  it('documents every setting with its default', () => {
    for (const s of Object.values(settings)) {
      const def = s.default === '' ? '(empty)' : `\`${s.default}\``;
      expect(README, s.env).to.contain(`| \`${s.env}\` | ${def} |`);
    }
  });

  it('lists no setting the code does not read, each with the meaning the code gives it', () => {
    const byEnv = new Map(Object.values(settings).map((s) => [s.env, s]));
    const rows = [...README.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| .+? \| (.+) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).to.deep.equal([...byEnv.keys()].sort());
    for (const [, env, meaning] of rows) expect(meaning, env).to.equal(byEnv.get(env!)!.meaning);
  });

  it('names no setting in the guides that the code does not read', () => {
    const envs = new Set(Object.values(settings).map((s) => s.env));
    const unknown: string[] = [];
    for (const file of GUIDES) {
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      // A name in backquotes (`DB_POOL_MAX`, `WORKERS=1`), or assigned on a command line.
      const named = [
        ...[...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)].map((m) => m[1]!),
        ...[...text.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)=/g)].map((m) => m[1]!),
      ];
      for (const name of named)
        if (!envs.has(name) && !NOT_SETTINGS.has(name)) unknown.push(`${file}: ${name}`);
    }
    expect(unknown).to.deep.equal([]);
  });

  it('gives the two commands', () => {
    expect(README).to.contain('npm ci && npm start');
    expect(README).to.contain('npm ci && npm test');
  });
});
