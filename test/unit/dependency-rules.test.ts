import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { cruise, type IConfiguration, type IViolation } from 'dependency-cruiser';
import { ESLint } from 'eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const config = createRequire(import.meta.url)(
  path.join(root, '.dependency-cruiser.cjs'),
) as IConfiguration;

/** The violations the project's rules find in a tree of files below `baseDir`. */
async function violationsIn(baseDir: string): Promise<IViolation[]> {
  const result = await cruise(['src', 'migrations'], {
    ...config.options,
    ruleSet: { forbidden: config.forbidden },
    baseDir,
    tsConfig: undefined,
    validate: true,
  });
  if (typeof result.output === 'string') throw new Error('expected a cruise result');
  return result.output.summary.violations;
}

/** A reachable rule's violations, each as the chain of files from where it starts. */
const chainsOf = (violations: IViolation[], rule: string) =>
  violations
    .filter((v) => v.rule.name === rule)
    .map((v) => [v.from, ...(v.via ?? []).map((step) => step.name)].join(' → '))
    .sort();

const broken = (violations: IViolation[], rule: string) =>
  violations
    .filter((v) => v.rule.name === rule)
    .map((v) => (v.cycle ? v.cycle.map((c) => c.name).join(' → ') : `${v.from} → ${v.to}`));

describe('dependency rules (npm run lint:deps)', function () {
  this.timeout(60_000);
  let violations: IViolation[];

  before(async () => {
    violations = await violationsIn(path.join(root, 'test/fixtures/dependency-rules'));
  });

  it('refuses a value import of data-access from the domain', () => {
    expect(broken(violations, 'domain-not-to-data-access')).to.deep.equal([
      'src/domain/value-import.ts → src/data-access/store.ts',
    ]);
  });

  it('refuses a type-only import of data-access from the domain', () => {
    expect(broken(violations, 'domain-not-to-data-access-types')).to.deep.equal([
      'src/domain/type-import.ts → src/data-access/store.ts',
    ]);
  });

  it("refuses Express, and node's own request, in the domain", () => {
    const found = broken(violations, 'domain-no-transport-libraries').sort();
    expect(found).to.have.length(2);
    expect(found[0]).to.match(/^src\/domain\/uses-express\.ts → .*node_modules\/express\//);
    expect(found[1]).to.match(/^src\/domain\/uses-http\.ts → (node:)?http$/);
  });

  it('refuses Express or SQL reached from the domain through files outside it', () => {
    // Each step is allowed on its own (a file beside the entry points may use Express or call
    // data-access, data-access may use the query builder): only the domain reaching them is not.
    const chains = chainsOf(violations, 'domain-reaches-no-transport-or-sql')
      .filter((chain) => chain.startsWith('src/domain/reaches-'))
      .map((chain) => chain.replace(/\S*node_modules\/([a-z]+)\/\S*/, 'node_modules/$1'))
      .sort();
    expect(chains).to.deep.equal([
      'src/domain/reaches-express.ts → src/http-helper.ts → node_modules/express',
      'src/domain/reaches-sql.ts → src/sql-helper.ts → src/data-access/sql-store.ts',
      'src/domain/reaches-sql.ts → src/sql-helper.ts → src/data-access/sql-store.ts → node_modules/knex',
    ]);
    // The direct imports the other rules refuse are refused by this one too.
    expect(broken(violations, 'domain-reaches-no-transport-or-sql')).to.include.members([
      'src/domain/value-import.ts → src/data-access/store.ts',
      'src/domain/type-import.ts → src/data-access/store.ts',
    ]);
  });

  it('refuses a SQL driver outside data-access', () => {
    const found = broken(violations, 'sql-only-in-data-access');
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^src\/cli\/runs-sql\.ts → .*node_modules\/knex\//);
  });

  it('refuses an import cycle', () => {
    expect(broken(violations, 'no-cycles')).to.have.length.greaterThan(0);
    expect(broken(violations, 'no-cycles').join('\n')).to.contain('src/domain/cycle-b.ts');
  });

  it('keeps the SOAP plumbing free of the listeners, and listeners out of each other', () => {
    expect(broken(violations, 'soap-transport-is-generic')).to.deep.equal([
      'src/soap-transport/reaches-up.ts → src/mktows/handler.ts',
    ]);
    expect(broken(violations, 'entry-points-not-to-each-other').sort()).to.deep.equal([
      'src/cli/reaches-listener.ts → src/mktows/handler.ts',
      'src/one-click/reaches-across.ts → src/mktows/handler.ts',
    ]);
  });

  it('lets data-access see only the ports and records of the domain', () => {
    expect(broken(violations, 'data-access-to-ports-only')).to.deep.equal([
      'src/data-access/calls-rules.ts → src/domain/rules.ts',
    ]);
  });

  it('keeps the domain from its callers and from reading the settings itself', () => {
    expect(broken(violations, 'domain-not-to-entry-points')).to.deep.equal([
      'src/domain/knows-its-caller.ts → src/mktows/handler.ts',
    ]);
    // The config types of the settings it is given are allowed (domain/given-config.ts).
    expect(broken(violations, 'domain-not-to-config')).to.deep.equal([
      'src/domain/reads-config.ts → src/config.ts',
    ]);
  });

  it('keeps data-access from the entry points', () => {
    expect(broken(violations, 'data-access-not-to-entry-points')).to.deep.equal([
      'src/data-access/reaches-up.ts → src/mktows/handler.ts',
    ]);
  });

  it('keeps the domain and data-access from the entry points through files outside them', () => {
    // Each step is allowed on its own: a helper beside the entry points may call a listener.
    expect(chainsOf(violations, 'domain-reaches-no-caller')).to.deep.equal([
      'src/domain/knows-its-caller.ts → src/mktows/handler.ts',
      'src/domain/reaches-caller.ts → src/caller-helper.ts → src/mktows/handler.ts',
    ]);
    expect(chainsOf(violations, 'data-access-reaches-no-entry-point')).to.deep.equal([
      'src/data-access/reaches-through.ts → src/caller-helper.ts → src/mktows/handler.ts',
      'src/data-access/reaches-up.ts → src/mktows/handler.ts',
    ]);
  });

  it('keeps the settings below the entry points', () => {
    expect(broken(violations, 'config-below-entry-points')).to.deep.equal([
      'src/config/reads-listener.ts → src/mktows/handler.ts',
    ]);
  });

  it("sends the CLI's commands through the domain; only its database operations open data-access", () => {
    // cli/operations.command.ts opens it too, allowed.
    expect(broken(violations, 'cli-commands-through-domain')).to.deep.equal([
      'src/cli/writes-directly.ts → src/data-access/store.ts',
    ]);
  });

  it('keeps migrations to knex and the rules of the domain', () => {
    // migrations/uses-rules.ts imports src/domain/rules.ts, allowed.
    expect(broken(violations, 'migrations-stand-alone')).to.deep.equal([
      'migrations/uses-store.ts → src/data-access/store.ts',
    ]);
  });

  it('has a fixture that breaks every rule', () => {
    const rules = (config.forbidden ?? []).map((rule) => rule.name);
    const brokenRules = new Set(violations.map((v) => v.rule.name));
    expect(rules.filter((name) => !brokenRules.has(name ?? ''))).to.deep.equal([]);
  });

  it('keeps Express and node-soap out of data-access', () => {
    const found = broken(violations, 'data-access-no-transport-libraries');
    expect(found).to.have.length(1);
    expect(found[0]).to.match(/^src\/data-access\/uses-express\.ts → .*node_modules\/express\//);
  });

  it("keeps the request and instance's limits below the listeners; the supervisor starts the service", () => {
    // cluster/supervisor.ts imports main.ts, allowed.
    expect(broken(violations, 'cluster-below-entry-points')).to.deep.equal([
      'src/cluster/reaches-listener.ts → src/mktows/handler.ts',
      'src/limits/reaches-listener.ts → src/mktows/handler.ts',
    ]);
  });

  it('keeps the parts every listener shares (HTTP plumbing, CSV, value formats) below them', () => {
    expect(broken(violations, 'shared-parts-below-entry-points')).to.deep.equal([
      'src/http/reaches-listener.ts → src/mktows/handler.ts',
    ]);
  });

  it('are the only import rules: ESLint restricts no import of its own', async () => {
    const eslint = new ESLint({ cwd: root });
    for (const file of ['src/domain/rules.ts', 'src/data-access/store.ts', 'src/cluster/x.ts']) {
      const rules = (await eslint.calculateConfigForFile(path.join(root, file))).rules ?? {};
      const setting: unknown = rules['no-restricted-imports'];
      const severity = Array.isArray(setting) ? setting[0] : setting;
      expect([undefined, 0, 'off'], file).to.include(severity);
      expect(rules['@typescript-eslint/no-restricted-imports'], file).to.equal(undefined);
    }
  });

  it('keeps the listeners away from data-access', () => {
    expect(broken(violations, 'listeners-not-to-data-access')).to.deep.equal([
      'src/salesforce/reaches-down.ts → src/data-access/store.ts',
    ]);
  });

  it('finds no violation in the project itself', async () => {
    const found = await violationsIn(root);
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).to.deep.equal([]);
  });
});
