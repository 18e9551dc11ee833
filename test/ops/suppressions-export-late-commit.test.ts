import { expect } from 'chai';
import sinon from 'sinon';
import { createServices } from '../../src/compose.js';
import type { EmailStatusRecord } from '../../src/domain/records.js';
import { testEngines } from '../support/database.js';
import { cli, cliSuite } from './support.js';

const config = { customFields: [], defaultPartition: 'Default' };

async function collect(rows: AsyncIterable<EmailStatusRecord>): Promise<string[]> {
  const keys: string[] = [];
  for await (const r of rows) keys.push(r.emailKey);
  return keys;
}

/**
 * Starts an import of `late@example.com` whose transaction has recorded (stamped) its status
 * but not committed: `entered` settles then, and the commit waits for `release`.
 */
function importHeldBeforeCommit(services: ReturnType<typeof createServices>): {
  entered: Promise<void>;
  release: () => void;
  late: Promise<unknown>;
} {
  let inside!: () => void;
  const entered = new Promise<void>((r) => (inside = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const real = services.durableStatus.suppressAddresses.bind(services.durableStatus);
  sinon.stub(services.durableStatus, 'suppressAddresses').callsFake(async (...args) => {
    const result = await real(...args);
    inside();
    await held;
    return result;
  });
  const late = services.suppressions.import(
    (async function* () {
      yield { line: 1, email: 'late@example.com' };
    })(),
    { actor: 'ops' },
  );
  return { entered, release, late };
}

for (const engine of testEngines()) {
  describe(`suppressions export beside a write still in flight (${engine.name})`, function () {
    this.timeout(60000);

    afterEach(() => sinon.restore());

    it('misses no status recorded before it started, committed after', async () => {
      const made = await engine.create();
      try {
        const services = createServices(made.db, config);
        await services.suppressions.import(
          (async function* () {
            yield { line: 1, email: 'early@example.com' };
          })(),
          { actor: 'ops' },
        );
        // The readers warm (a first read may start a thread).
        expect(await collect(services.suppressions.export(0))).to.deep.equal(['early@example.com']);
        const { entered, release, late } = importHeldBeforeCommit(services);
        await entered;
        await new Promise((r) => setTimeout(r, 50));
        // The export starts; the operator's next one will ask for what was recorded since.
        const started = Date.now();
        const first = collect(services.suppressions.export(0));
        setTimeout(release, 300);
        const [firstKeys] = await Promise.all([first, late]);
        const nextKeys = await collect(services.suppressions.export(started));
        expect([...firstKeys, ...nextKeys]).to.include('late@example.com');
        expect(firstKeys).to.include('early@example.com');
      } finally {
        await made.drop();
      }
    });
  });
}

for (const engine of testEngines()) {
  describe(`suppressions export (CLI process) beside another instance's write (${engine.name})`, function () {
    this.timeout(120000);
    let env: Record<string, string>;
    let services: ReturnType<typeof createServices>;

    cliSuite(engine, 'du-late-', (suite) => {
      env = suite.env;
      services = createServices(suite.db, config);
    });

    afterEach(() => sinon.restore());

    it('waits for it: the status it stamped before the export started is exported', async () => {
      const { entered, release, late } = importHeldBeforeCommit(services);
      await entered;
      const exported = cli(['suppressions', 'export'], env);
      // Long enough for the export to have read, had it not waited.
      setTimeout(release, 1500);
      const [r] = await Promise.all([exported, late]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('late@example.com');
    });
  });
}
