/* global module */
/**
 * The architecture's dependency rules, checked by `npm run lint` (dependency-cruiser):
 * entry points (cli, mktows, salesforce, admin, one-click) → domain → ports ← data-access,
 * with the SOAP plumbing (soap-transport) shared below the SOAP entry points and the settings
 * (src/config) below the entry points, the plumbing and data-access. The composition
 * roots (main.ts, compose.ts, app.ts, cli/index.ts, cluster/supervisor.ts, which starts the
 * service in each worker, and src/startup, the pieces of a start they run) are where
 * data-access meets the domain; of the CLI's commands only those that work on the database
 * itself open data-access. The request limits (src/limits) and the rest of src/cluster (the
 * instance's limits, shared by the listeners) sit below the entry points, as do the parts every
 * listener shares: the HTTP plumbing (src/http), the CSV formats (src/csv) and the value
 * formats (src/formats).
 * These rules are the only import rules: ESLint checks none of its own.
 * A fixture that breaks each rule is checked in test/unit/dependency-rules.test.ts. There is
 * no list of tolerated violations: every rule holds for the whole tree.
 */
const ENTRY_POINTS = '^src/(cli|mktows|salesforce|admin|one-click)/';
const COMPOSITION_ROOTS = '^src/(app|main|compose|cluster/supervisor)\\.ts$|^src/startup/';
const SQL_DRIVERS = 'node_modules/(@types/)?(knex|pg|pg-[a-z-]+|better-sqlite3)/';
const TRANSPORT_LIBRARIES = 'node_modules/(@types/)?(express|express-serve-static-core|soap)/';
/** Node's own network modules: a request, a response or a socket. */
const NETWORK_MODULES = '^(node:)?(http|https|http2|net|tls|dgram)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Import cycles make the order of module initialisation a bug waiting to happen.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-not-to-data-access',
      severity: 'error',
      comment: 'The rules call ports (interfaces the domain declares), never data-access.',
      from: { path: '^src/domain/' },
      to: { path: '^src/data-access/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-not-to-data-access-types',
      severity: 'error',
      comment: 'Not even types: the domain declares the records and ports it works with.',
      from: { path: '^src/domain/' },
      to: { path: '^src/data-access/', dependencyTypes: ['type-only'] },
    },
    {
      name: 'domain-not-to-entry-points',
      severity: 'error',
      comment: 'The rules know nothing of who calls them.',
      from: { path: '^src/domain/' },
      to: { path: `${ENTRY_POINTS}|^src/soap-transport/|${COMPOSITION_ROOTS}` },
    },
    {
      name: 'domain-not-to-config',
      severity: 'error',
      comment: 'The domain is given its settings; it may name the config types, nothing more.',
      from: { path: '^src/domain/' },
      to: { path: '^src/config(\\.ts$|/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-no-transport-libraries',
      severity: 'error',
      comment:
        "No Express or node-soap object enters the domain, nor node's own request, response " +
        'or socket.',
      from: { path: '^src/domain/' },
      to: { path: [TRANSPORT_LIBRARIES, NETWORK_MODULES] },
    },
    {
      name: 'domain-reaches-no-transport-or-sql',
      severity: 'error',
      comment:
        'The rules above look at the imports of the domain itself; this one at everything its ' +
        'imports import in turn: no chain of files (through src/errors.ts, a helper beside the ' +
        'entry points, data-access) brings Express, node-soap, the SOAP plumbing, data-access ' +
        'or a SQL driver into the domain.',
      from: { path: '^src/domain/' },
      to: {
        path: [TRANSPORT_LIBRARIES, SQL_DRIVERS, '^src/(data-access|soap-transport)/'],
        reachable: true,
      },
    },
    {
      name: 'domain-reaches-no-caller',
      severity: 'error',
      comment:
        'As domain-not-to-entry-points, through any chain of files: a helper beside the entry ' +
        'points, or the settings (whose types the domain may name), reaching into a listener ' +
        'or the CLI brings it into the domain.',
      from: { path: '^src/domain/' },
      to: { path: `${ENTRY_POINTS}|${COMPOSITION_ROOTS}`, reachable: true },
    },
    {
      name: 'migrations-stand-alone',
      severity: 'error',
      comment:
        'A migration is history: it runs the same on every database it meets. It uses knex and ' +
        'the pure rules of the domain it applies (email keys, reasons), never the running ' +
        "service's data-access, settings or listeners, whose later changes would change what " +
        'an old migration does.',
      from: { path: '^migrations/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'sql-only-in-data-access',
      severity: 'error',
      comment: 'SQL drivers and the query builder are used in data-access and migrations only.',
      from: { path: '^src/', pathNot: '^src/data-access/' },
      to: { path: SQL_DRIVERS },
    },
    {
      name: 'listeners-not-to-data-access',
      severity: 'error',
      comment:
        'The SOAP and HTTP listeners (and the metrics they report to) call the domain; what ' +
        'they need of the database is handed to them by the composition root (src/main.ts).',
      from: { path: '^src/(mktows|salesforce|admin|one-click|soap-transport)/|^src/metrics\\.ts$' },
      to: { path: '^src/data-access/' },
    },
    {
      name: 'cli-commands-through-domain',
      severity: 'error',
      comment:
        'A command that reads or changes people, users or operators (suppressions, explain, ' +
        'users, operators, link) goes through the domain, as every listener does: the durable ' +
        "rules hold for it too. Only the CLI's composition root (cli/index.ts) and what works " +
        'on the database itself (operations.command.ts: migrate, backup, rebuild indexes; ' +
        "read-only.ts: whether the database exists and is migrated; config.command.ts: a URL's " +
        'password hidden) open data-access.',
      from: {
        path: '^src/cli/',
        pathNot: '^src/cli/(index|operations\\.command|read-only|config\\.command)\\.ts$',
      },
      to: { path: '^src/data-access/' },
    },
    {
      name: 'data-access-not-to-entry-points',
      severity: 'error',
      comment: 'Data-access implements ports; it knows nothing of the listeners or the CLI.',
      from: { path: '^src/data-access/' },
      to: { path: `${ENTRY_POINTS}|^src/soap-transport/|${COMPOSITION_ROOTS}` },
    },
    {
      name: 'data-access-reaches-no-entry-point',
      severity: 'error',
      comment:
        'As data-access-not-to-entry-points, through any chain of files (the settings, a ' +
        'helper beside the entry points).',
      from: { path: '^src/data-access/' },
      to: { path: `${ENTRY_POINTS}|^src/soap-transport/|${COMPOSITION_ROOTS}`, reachable: true },
    },
    {
      name: 'config-below-entry-points',
      severity: 'error',
      comment:
        'The settings are read by every entry point, the domain (their types) and data-access: ' +
        'they depend on none of the entry points, the SOAP plumbing or data-access. What a ' +
        'setting shares with a listener (a Salesforce id) lives beside both, in src/formats.',
      from: { path: '^src/config(\\.ts$|/)' },
      to: { path: `${ENTRY_POINTS}|^src/(soap-transport|data-access)/|${COMPOSITION_ROOTS}` },
    },
    {
      name: 'data-access-no-transport-libraries',
      severity: 'error',
      comment:
        'Data-access stores and reads records: no Express or node-soap object enters it (what ' +
        'a listener needs of the database is handed to it as a port).',
      from: { path: '^src/data-access/' },
      to: { path: TRANSPORT_LIBRARIES },
    },
    {
      name: 'cluster-below-entry-points',
      severity: 'error',
      comment:
        'The request limits (src/limits: call-limits.ts, auth-failures.ts, login-throttle.ts) ' +
        "and the instance's limits built on them (src/cluster, but for supervisor.ts) are used " +
        'by the listeners: they depend on no listener, no SOAP plumbing, no domain or ' +
        'data-access and no composition root. supervisor.ts, the primary process, starts the ' +
        'service (main.ts): it is a composition root.',
      from: { path: '^src/(cluster|limits)/', pathNot: '^src/cluster/supervisor\\.ts$' },
      to: {
        path: `${ENTRY_POINTS}|^src/(soap-transport|domain|data-access)/|${COMPOSITION_ROOTS}`,
      },
    },
    {
      name: 'shared-parts-below-entry-points',
      severity: 'error',
      comment:
        'What every listener shares (the HTTP plumbing in src/http, the CSV formats in src/csv, ' +
        'the value formats in src/formats) depends on no listener, no SOAP plumbing and no ' +
        'composition root: the listeners and the SOAP plumbing use it, never the reverse.',
      from: { path: '^src/(http|csv|formats)/' },
      to: { path: `${ENTRY_POINTS}|^src/soap-transport/|${COMPOSITION_ROOTS}` },
    },
    {
      name: 'data-access-to-ports-only',
      severity: 'error',
      comment:
        'Data-access sees of the domain only what it implements: the ports and their records ' +
        '(never a service or a rule, which would invert the dependency).',
      from: { path: '^src/data-access/' },
      to: { path: '^src/domain/', pathNot: '^src/domain/(ports\\.ts|records\\.ts|ports/)' },
    },
    {
      name: 'soap-transport-is-generic',
      severity: 'error',
      comment: 'The SOAP plumbing serves every listener and depends on none of them.',
      from: { path: '^src/soap-transport/' },
      to: { path: `${ENTRY_POINTS}|^src/(domain|data-access)/` },
    },
    {
      name: 'entry-points-not-to-each-other',
      severity: 'error',
      comment:
        'An entry point does not reach into another one (what two of them share lives in the ' +
        "domain or in a shared folder of src/). Shared on purpose: the service's fault codes " +
        '(mktows/faults.ts, used by the Salesforce listener), safe HTML templating ' +
        '(admin/html.ts, used by the one-click page) and the unsubscribe-link token codec ' +
        '(one-click/link-token.ts, used by the `link` command).',
      from: { path: '^src/(mktows|salesforce|admin|one-click|cli)/' },
      to: {
        path: '^src/(mktows|salesforce|admin|one-click|cli)/',
        pathNot: [
          '^src/$1/',
          '^src/mktows/faults\\.ts$',
          '^src/admin/html\\.ts$',
          '^src/one-click/link-token\\.ts$',
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    moduleSystems: ['es6', 'cjs'],
  },
};
