/**
 * A bad setting value as an env file or an orchestrator hands it over: a line break pasted into
 * it, a comment left after it, a whole certificate or key pasted into the wrong variable. The
 * start stops with one line naming the setting, the value shown on that line and cut short,
 * and `config` refuses the same value on the setting's own line. So does a limit set out of
 * its range (what one request or file may hold).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { BIN, cli } from './support.js';

const PASTED = `-----BEGIN CERTIFICATE-----\n${'MIIB'.repeat(1500)}\n-----END CERTIFICATE-----`;

const CASES: Array<[setting: string, value: string]> = [
  ['PORT', '8080\n8081'],
  ['ALLOW_ANONYMOUS', 'no\nyes'],
  ['PROPAGATION_LOG', PASTED],
  ['MAX_BODY_BYTES', `1mb${'0'.repeat(5000)}`],
  ['TRUST_PROXY', '10.0.0.1\nloopback'],
  ['SFDC_ALLOWED_NETWORKS', '10.0.0.0/8\n192.168.0.0/16'],
  ['LOG_LEVEL', 'info\nwarn'],
  ['PUBLIC_URL', 'not a url\nhttps://soap.example.com'],
  // Nothing a host name can be: refused by `config` as by the start, never a line of its own.
  ['HOST', '127.0.0.1\n10.0.0.1'],
  ['HOST', '0.0.0.0 # every interface'],
  ['HOST', PASTED],
  ['METRICS_HOST', '127.0.0.1 # loopback'],
  ['METRICS_HOST', 'metrics\nhost'],
  // Limits on what one request or file may hold, out of their ranges.
  ['UNSUBSCRIBE_MAX_FORM_FIELDS', '2'],
  ['UNSUBSCRIBE_MAX_FORM_FIELDS', '10001'],
  ['IMPORT_MAX_ROW_CHARS', '4095'],
  ['IMPORT_MAX_ROW_CHARS', '67108865'],
  ['CONSOLE_PASTED_MAX', '0'],
  ['CONSOLE_PASTED_MAX', '1000001'],
  ['MERGE_LEADS_MAX_LOSERS', '0'],
  ['MERGE_LEADS_MAX_LOSERS', '10001'],
];

describe('a setting whose value holds a line break, a comment or a pasted block, or is out of range', function () {
  this.timeout(120000);
  let tmp: string;
  before(() => {
    if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-one-line-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [i, [setting, value]] of CASES.entries()) {
    const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    it(`${setting}=${shown}: serve stops in one short line naming it, config refuses it on its own line`, async () => {
      const dataDir = path.join(tmp, `never-${i}`);
      const env = {
        PORT: '0',
        METRICS_PORT: '0',
        DATABASE_URL: '',
        DATA_DIR: dataDir,
        [setting]: value,
      };
      const served = await cli(['serve'], env);
      expect(served.code, served.stderr).to.equal(1);
      expect(served.stderr, served.stderr).to.match(
        new RegExp(`^Configuration error: ${setting}[: ][^\\n]{0,240}\\n$`),
      );
      expect(fs.existsSync(dataDir)).to.equal(false);

      const config = await cli(['config'], env);
      expect(config.code, config.stdout).to.equal(1);
      const lines = config.stdout.split('\n').filter((l) => l !== '');
      // One line per setting, each beginning with a setting's name.
      for (const line of lines) expect(line, config.stdout).to.match(/^[A-Z][A-Z0-9_]+ /);
      const own = lines.filter((l) => l.startsWith(`${setting} `));
      expect(own, config.stdout).to.have.length(1);
      const problem = own[0]!.split('  INVALID: ')[1] ?? '';
      expect(problem, own[0]).to.match(new RegExp(`^${setting}[: ]`));
      expect(problem.length, problem).to.be.below(240);
    });
  }
});

describe('a DATA_DIR the embedded database cannot be kept in', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'du-data-dir-shape-'));
    fs.writeFileSync(path.join(tmp, 'a-file'), 'not a directory\n');
    fs.mkdirSync(path.join(tmp, 'dir', 'durable-unsubscribe.sqlite'), { recursive: true });
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const [where, why] of [
    ['a-file', 'it is a file, not a directory'],
    ['a-file/data', 'a part of the path is a file, not a directory'],
    ['dir', 'durable-unsubscribe.sqlite in it is a directory, not a file'],
  ] as const) {
    it(`${where}: config refuses it in the line serve stops with`, async () => {
      const dataDir = path.join(tmp, where);
      const env = { PORT: '0', METRICS_PORT: 'off', DATABASE_URL: '', DATA_DIR: dataDir };
      const line = `DATA_DIR: cannot keep the database in ${dataDir}: ${why}`;
      const served = await cli(['serve'], env);
      expect(served.code, served.stderr).to.equal(1);
      expect(served.stderr).to.equal(`Configuration error: ${line}\n`);
      const config = await cli(['config'], env);
      expect(config.code, config.stdout).to.equal(1);
      expect(config.stdout).to.contain(`\nINVALID: ${line}\n`);
    });
  }
});
