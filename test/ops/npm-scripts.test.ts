import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { eventually, ROOT, spawnCollecting } from './support.js';

interface PackageJson {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  license?: string;
  private?: boolean;
  version: string;
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('npm start under a supervisor', function () {
  this.timeout(180000);
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-npm-start-'))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  // What Docker, systemd, pm2 and supervisord do: signal the process they started (npm).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to the npm process stops the service itself`, async () => {
      const npm = spawnCollecting('npm', ['start', '--silent'], {
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: '',
        DATA_DIR: path.join(tmp, signal),
        MKTOWS_USERS: 'u1:0123456789abcdef',
        LOG_LEVEL: 'info',
      });
      const port = await npm.port;
      expect(await refused(port)).to.equal(false);
      npm.child.kill(signal);
      await npm.exited;
      // Nothing may keep listening once the supervisor's process is gone.
      let closed = false;
      for (let i = 0; i < 100 && !closed; i++) {
        closed = await refused(port);
        if (!closed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(closed, `port ${port} still open after ${signal}:\n${npm.output()}`).to.equal(true);
      expect(await eventually(() => /shutting down/.test(npm.output()), 5000)).to.equal(true);
    });
  }
});

describe('the package', () => {
  it('starts node itself (exec, no shell left in between), the same way in development and production', () => {
    const node = 'exec node --max-semi-space-size=8 dist/src/cli/index.js serve';
    expect(pkg.scripts.start).to.match(/^npm run build --silent && /);
    expect(pkg.scripts.start).to.contain(node);
    expect(pkg.scripts['start:prod']).to.equal(node);
  });

  it('runs from dist/ with production dependencies only (npm ci --omit=dev)', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) files.push(p);
      }
    };
    walk(path.join(ROOT, 'dist/src'));
    walk(path.join(ROOT, 'dist/migrations'));
    expect(files.length).to.be.greaterThan(20);
    const needed = new Set<string>();
    for (const f of files) {
      const js = fs.readFileSync(f, 'utf8');
      const specifiers = [
        // A specifier has no spaces: prose ending in "from" inside a string is not an import.
        ...js.matchAll(/\bfrom\s*'([^'.\s][^'\s]*)'/g),
        ...js.matchAll(/\bimport\s*\(\s*'([^'.][^']*)'\s*\)/g),
        ...js.matchAll(/^import\s*'([^'.][^']*)'/gm),
      ];
      for (const m of specifiers) {
        const spec = m[1]!;
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        needed.add(
          spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!,
        );
      }
      // Modules loaded by name at run time (pino's transport, knex's dialects).
      for (const m of js.matchAll(/target:\s*'([^'.][^']*)'/g)) needed.add(m[1]!);
    }
    expect([...needed]).to.include('express');
    for (const name of needed)
      expect(pkg.dependencies, `${name} is used at run time`).to.have.property(name);
  });

  it('packs what a production install runs (npm pack): the built code, the WSDLs, the licence', function () {
    this.timeout(60000);
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).to.equal(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map(
      (f) => f.path,
    );
    for (const needed of [
      'dist/src/cli/index.js',
      'dist/migrations/index.js',
      'wsdl/mktows.wsdl',
      'wsdl/salesforce-outbound.wsdl',
      'LICENSE',
      'package.json',
    ])
      expect(files, needed).to.include(needed);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).to.deep.equal([]);
    expect(pkg.scripts.prepack).to.equal('npm run build');
  });

  it('starts from a production tree: dist/, the WSDLs and the production dependencies alone', async function () {
    this.timeout(60000);
    // What "npm ci --omit=dev" installs, per package-lock.json (a real one takes minutes here:
    // better-sqlite3 compiles), linked instead of installed.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'du-prod-tree-'));
    try {
      for (const entry of ['package.json', 'wsdl', 'dist'])
        fs.cpSync(path.join(ROOT, entry), path.join(tree, entry), { recursive: true });
      let linked = 0;
      for (const [where, meta] of Object.entries(lock.packages)) {
        if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(where) || meta.dev) continue;
        fs.mkdirSync(path.dirname(path.join(tree, where)), { recursive: true });
        fs.symlinkSync(path.join(ROOT, where), path.join(tree, where), 'dir');
        linked++;
      }
      expect(linked).to.be.greaterThan(20);
      expect(fs.existsSync(path.join(tree, 'node_modules', 'typescript'))).to.equal(false);
      expect(fs.existsSync(path.join(tree, 'node_modules', 'tsx'))).to.equal(false);
      const service = spawnCollecting(
        'npm',
        ['run', 'start:prod', '--silent'],
        {
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: '',
          DATA_DIR: path.join(tree, 'data'),
          MKTOWS_USERS: 'u1:0123456789abcdef',
          LOG_LEVEL: 'warn',
        },
        { cwd: tree },
      );
      const port = await service.port;
      try {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(ready.status).to.equal(200);
        const wsdl = await fetch(`http://127.0.0.1:${port}/soap/mktows/2_9?WSDL`);
        expect(await wsdl.text()).to.contain('definitions');
      } finally {
        service.child.kill('SIGTERM');
      }
      expect((await service.exited).code).to.equal(0);
    } finally {
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  it('is published under Apache-2.0 with a changelog entry for its version', () => {
    expect(pkg.license).to.equal('Apache-2.0');
    expect(pkg.private).to.equal(undefined);
    const licence = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(licence).to.contain('Apache License');
    expect(licence).to.contain('Version 2.0, January 2004');
    const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).to.match(new RegExp(`^## \\[?${pkg.version.replace(/\./g, '\\.')}\\]?`, 'm'));
  });

  it('keeps the test tiers: one file runs alone, the full suite picks up every folder, the benchmark runs apart', () => {
    const mocharc = JSON.parse(fs.readFileSync(path.join(ROOT, '.mocharc.json'), 'utf8')) as {
      spec?: unknown;
    };
    expect(mocharc.spec, '.mocharc.json must not list specs').to.equal(undefined);
    expect(pkg.scripts.test).to.contain("'test/**/*.test.ts'");
    expect(pkg.scripts.test).to.contain("--ignore 'test/bench/**'");
    expect(pkg.scripts['test:fast']).to.be.a('string');
    expect(pkg.scripts['test:fast']).to.not.contain('test/bench');
    const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ci).to.match(/^npm run bench:quick$/m);
    expect(ci).to.match(/^npm test$/m);
  });
});
