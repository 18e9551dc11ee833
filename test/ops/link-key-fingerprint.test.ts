/**
 * The unsubscribe-link key a database has issued links under is remembered (as a fingerprint):
 * `serve` and `link` refuse, in one line, a start whose keys match none of those recorded — a
 * lost DATA_DIR secret file (never made anew then), an instance configured with another key —
 * since every link already sent would stop working. Real processes of the built CLI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { BIN, cli, embeddedEnv, spawnCollecting, type Result } from './support.js';

const SECRET_A = 'link secret of instance a 0123456789abcdef';
const SECRET_B = 'link secret of instance b 0123456789abcdef';
const BASE = { UNSUBSCRIBE_BASE_URL: 'https://unsubscribe.example.com' };

/** `serve` on a port of its own, one worker, no metrics listener. */
const serve = (env: Record<string, string>) =>
  spawnCollecting(process.execPath, [BIN, 'serve'], {
    LOG_LEVEL: 'warn',
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    METRICS_PORT: 'off',
    WORKERS: '1',
  });

/** `serve` that must refuse to start: its one line and exit code (killed if it serves). */
async function serveRefused(env: Record<string, string>): Promise<Result> {
  const s = serve(env);
  s.port.then(() => s.child.kill('SIGTERM')).catch(() => undefined);
  const { code } = await s.exited;
  return { code: code ?? 1, stdout: '', stderr: s.output() };
}

/** `serve` that must start: stopped once it listens. */
async function serves(env: Record<string, string>): Promise<void> {
  const s = serve(env);
  try {
    await s.port;
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
  }
}

function expectOneLineRefusal(r: Result, what: string, naming: string): void {
  expect(r.code, `${what}: ${r.stderr}`).to.equal(1);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('Configuration error:'));
  expect(lines, `${what}: ${r.stderr}`).to.have.length(1);
  expect(lines[0]).to.contain(naming).and.contain('durable-unsubscribe link-key accept');
  expect(r.stderr, what).to.not.match(/\n\s+at /);
}

describe('the unsubscribe-link key the database has issued links under', function () {
  this.timeout(90000);

  describe('embedded SQLite: a lost DATA_DIR/unsubscribe-link.secret', () => {
    let tmp: string;
    let env: Record<string, string>;
    let file: string;
    beforeEach(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-linkkey-'));
      env = embeddedEnv(path.join(tmp, 'data'), BASE);
      file = path.join(env.DATA_DIR!, 'unsubscribe-link.secret');
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('a fresh DATA_DIR starts: the secret is made and links are issued', async () => {
      await serves(env);
      expect(fs.existsSync(file)).to.equal(true);
      const link = await cli(['link', 'ann@example.com'], env);
      expect(link.code, link.stderr).to.equal(0);
      expect(link.stdout).to.match(/^https:\/\/unsubscribe\.example\.com\/u\/1\.k1\./);
    });

    it('is not made anew: serve and link refuse in one line naming the file, exit 1', async () => {
      const first = await cli(['link', 'ann@example.com'], env);
      expect(first.code, first.stderr).to.equal(0);
      const kept = fs.readFileSync(file, 'utf8');
      fs.rmSync(file);
      for (const [what, r] of [
        ['link', await cli(['link', 'ann@example.com'], env)],
        ['headers', await cli(['headers', 'ann@example.com'], env)],
        ['serve', await serveRefused(env)],
      ] as Array<[string, Result]>) {
        expectOneLineRefusal(r, what, file);
        expect(fs.existsSync(file), `${what} made a new secret`).to.equal(false);
      }
      // Restored from a backup: the links work again, the same key.
      fs.writeFileSync(file, kept, { mode: 0o600 });
      const again = await cli(['link', 'ann@example.com'], env);
      expect(again.code, again.stderr).to.equal(0);
      await serves(env);
    });

    it('link-key accept makes and records a new key when the old one is truly lost', async () => {
      await serves(env);
      fs.rmSync(file);
      const accepted = await cli(['link-key', 'accept'], env);
      expect(accepted.code, accepted.stderr).to.equal(0);
      expect(accepted.stdout).to.contain('recorded');
      expect(fs.existsSync(file)).to.equal(true);
      const link = await cli(['link', 'ann@example.com'], env);
      expect(link.code, link.stderr).to.equal(0);
      await serves(env);
    });

    it('a file replaced by another secret is refused too', async () => {
      await serves(env);
      fs.writeFileSync(file, 'another secret entirely 0123456789abcdef', { mode: 0o600 });
      expectOneLineRefusal(await cli(['link', 'ann@example.com'], env), 'link', file);
    });

    it('a rotation (new current key, the old one retired) is recorded; the old ring then is refused', async () => {
      const a = { ...env, UNSUBSCRIBE_LINK_SECRET: SECRET_A, UNSUBSCRIBE_LINK_KEY_ID: 'ka' };
      const rotated = {
        ...env,
        UNSUBSCRIBE_LINK_SECRET: SECRET_B,
        UNSUBSCRIBE_LINK_KEY_ID: 'kb',
        UNSUBSCRIBE_LINK_OLD_KEYS: `ka:${SECRET_A}`,
      };
      expect((await cli(['link', 'ann@example.com'], a)).code).to.equal(0);
      expect((await cli(['link', 'ann@example.com'], rotated)).code).to.equal(0);
      // ka retired for good: kb was recorded by the rotation.
      const later = { ...rotated, UNSUBSCRIBE_LINK_OLD_KEYS: '' };
      const r = await cli(['link', 'ann@example.com'], later);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/\/u\/1\.kb\./);
      // The same secret under another key id opens none of its links: refused.
      expectOneLineRefusal(
        await cli(['link', 'ann@example.com'], { ...later, UNSUBSCRIBE_LINK_KEY_ID: 'kc' }),
        'link',
        'UNSUBSCRIBE_LINK_SECRET',
      );
    });
  });

  for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
    describe('PostgreSQL: two instances with different link keys', () => {
      let db: Awaited<ReturnType<typeof engine.create>>;
      beforeEach(async () => (db = await engine.create()));
      afterEach(() => db.drop());

      it('the second instance refuses to start, in one line naming the setting', async () => {
        const common = {
          DATABASE_URL: db.url,
          ALLOW_UNSEALED_KEYS: 'true',
          MKTOWS_USERS: '',
          ...BASE,
        };
        const a = { ...common, UNSUBSCRIBE_LINK_SECRET: SECRET_A };
        const b = { ...common, UNSUBSCRIBE_LINK_SECRET: SECRET_B };
        await serves(a);
        expectOneLineRefusal(await serveRefused(b), 'serve', 'UNSUBSCRIBE_LINK_SECRET');
        expectOneLineRefusal(
          await cli(['link', 'ann@example.com'], b),
          'link',
          'UNSUBSCRIBE_LINK_SECRET',
        );
        // The first still starts; the second once an operator accepts its key on purpose.
        await serves(a);
        expect((await cli(['link-key', 'accept'], b)).code).to.equal(0);
        await serves(b);
      });

      it('a rotation in two steps (docs/one-click.md): every instance takes the new key before any link carries it', async () => {
        const common = { DATABASE_URL: db.url, ALLOW_UNSEALED_KEYS: 'true', MKTOWS_USERS: '' };
        const old = { ...common, UNSUBSCRIBE_LINK_SECRET: SECRET_A, UNSUBSCRIBE_LINK_KEY_ID: 'ka' };
        const staged = { ...old, UNSUBSCRIBE_LINK_OLD_KEYS: `kb:${SECRET_B}` };
        const switched = {
          ...common,
          UNSUBSCRIBE_LINK_SECRET: SECRET_B,
          UNSUBSCRIBE_LINK_KEY_ID: 'kb',
          UNSUBSCRIBE_LINK_OLD_KEYS: `ka:${SECRET_A}`,
        };
        await serves(old);
        const running = [serve(old), serve(staged), serve(switched)];
        try {
          const [onOld, onStaged, onSwitched] = (await Promise.all(running.map((r) => r.port))) as [
            number,
            number,
            number,
          ];
          const link = async (email: string, port: number) => {
            const made = await cli(['link', email], { ...switched, UNSUBSCRIBE_BASE_URL: '' });
            expect(made.code, made.stderr).to.equal(0);
            expect(made.stdout).to.match(/\/u\/1\.kb\./);
            const url = made.stdout
              .trim()
              .replace(/^http:\/\/localhost:\d+/, `http://127.0.0.1:${port}`);
            const res = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: 'List-Unsubscribe=One-Click',
            });
            return res.status;
          };
          // Switched at once, an instance not yet restarted refuses the new key's links.
          expect(await link('first@example.com', onOld)).to.equal(403);
          // Staged, it takes them, as the switched one does.
          expect(await link('second@example.com', onStaged)).to.equal(200);
          expect(await link('third@example.com', onSwitched)).to.equal(200);
        } finally {
          for (const r of running) r.child.kill('SIGTERM');
          await Promise.all(running.map((r) => r.exited));
        }
        // The switch recorded kb: a staged instance restarting still starts, and so does one
        // that has dropped ka at the end of the rotation.
        await serves(staged);
        await serves({ ...switched, UNSUBSCRIBE_LINK_OLD_KEYS: '' });
      });
    });
  }
});
