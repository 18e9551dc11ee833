import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { expectExampleOutput, WRONG_KEY_LINE } from './examples-output.js';
import { toolkitOrSkip } from './legacy-toolkits.js';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectAuthFailureReported,
  expectQuickstartOutput,
  INTEROP_DIR,
  REPO_ROOT,
  run,
  expectWorkedExampleReport,
} from './worked-example.js';

/**
 * JAX-WS: `wsimport -XadditionalHeaders` against the live WSDL URL into a temp dir, javac of the
 * stubs + examples/java + test/interop/clients/java/WorkedExample.java, then java runs the worked
 * example. Nothing is cached in the repository. Skipped only when wsimport is not installed (under
 * CI=true that fails instead).
 */

const JAXWS_HOME = process.env.JAXWS_HOME ?? '/usr/share/jaxws';
const WSIMPORT = path.join(JAXWS_HOME, 'bin', 'wsimport.sh');
// jaxws-rt.jar's manifest brings the rest of the runtime (SAAJ, StAX, …).
const CLASSPATH = ['jaxws-rt.jar', 'jaxws-api.jar', 'jaxb-api.jar'].map((j) =>
  path.join(JAXWS_HOME, 'lib', j),
);
const JAVA_SOURCES = [
  path.join(REPO_ROOT, 'examples', 'java', 'MktowsClient.java'),
  path.join(REPO_ROOT, 'examples', 'java', 'QuickStart.java'),
  path.join(REPO_ROOT, 'examples', 'java', 'DurableExample.java'),
  path.join(INTEROP_DIR, 'clients', 'java', 'WorkedExample.java'),
  path.join(INTEROP_DIR, 'clients', 'java', 'ServedOperations.java'),
  path.join(INTEROP_DIR, 'clients', 'java', 'EmptyLists.java'),
];

function javaFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.java'))
    .map((f) => path.join(dir, f));
}

for (const engine of testEngines()) {
  describe(`interop: JAX-WS (wsimport) client runs the worked example (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService | undefined;
    let work: string | undefined;
    let java: (main: string, args: string[]) => ReturnType<typeof run>;

    before(async function () {
      // Absent, skipped with the reason shown; under CI=true (.ci/run installs it) a failure.
      toolkitOrSkip(this, [WSIMPORT], 'jaxws default-jdk-headless, or set JAXWS_HOME');
      service = await startTestService(engine);
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'du-jaxws-'));
      const src = path.join(work, 'src');
      const classes = path.join(work, 'classes');
      fs.mkdirSync(src);
      fs.mkdirSync(classes);

      const imported = await run(WSIMPORT, [
        '-XadditionalHeaders',
        '-Xnocompile',
        '-keep',
        '-d',
        src,
        service.wsdlUrl,
      ]);
      expect(imported.code, `wsimport failed:\n${imported.stdout}${imported.stderr}`).to.equal(0);
      expect(`${imported.stdout}${imported.stderr}`).to.not.match(/WARNING|ERROR/);

      const compiled = await run('javac', [
        '-nowarn',
        '-encoding',
        'UTF-8',
        '-cp',
        CLASSPATH.join(path.delimiter),
        '-d',
        classes,
        ...javaFiles(src),
        ...JAVA_SOURCES,
      ]);
      expect(compiled.code, `javac failed:\n${compiled.stdout}${compiled.stderr}`).to.equal(0);

      const classpath = [classes, ...CLASSPATH].join(path.delimiter);
      java = (main, args) =>
        run('java', [
          // The SAAJ of this JAX-WS RI warns about a deprecated lookup unless told its factory.
          '-Djavax.xml.soap.SAAJMetaFactory=com.sun.xml.messaging.saaj.soap.SAAJMetaFactoryImpl',
          '-cp',
          classpath,
          main,
          ...args,
        ]);
    });

    after(async () => {
      if (work) fs.rmSync(work, { recursive: true, force: true });
      await service?.stop();
    });

    it('sees every step of the worked example and reads fault 20103', async () => {
      const { wsdlUrl } = service!;
      const r = await java('WorkedExample', [wsdlUrl, TEST_USER.userId, TEST_USER.encryptionKey]);
      const report = expectWorkedExampleReport('WorkedExample.java', r);
      expect(report.client).to.match(/^JAX-WS /);
    });

    it('creates the port from the ?WSDL URL as the vendor SDK does and calls every served operation', async () => {
      const r = await java('ServedOperations', [
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `ServedOperations failed:\n${r.stderr}\n${r.stdout}`).to.equal(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.map((l) => l.split(':')[0])).to.deep.equal([
        'syncLead',
        'syncMultipleLeads',
        'getLead',
        'lineEnds',
        'getMultipleLeads',
        'getLeadActivity',
        'getLeadChanges',
        'describeMObject',
        'mergeLeads',
        'deleteLead',
        'unserved',
        'tooLarge',
      ]);
      expect(lines[1]).to.equal('syncMultipleLeads: 2 CREATED');
      expect(lines[2]).to.match(/^getLead: \d+ Unsubscribed=0$/);
      // JAXB writes a CR in a value as a reference (&#xD;): it stays, as XML reads it.
      expect(lines[3]).to.equal('lineEnds: 1 Main St\\r\\nSuite 2');
      expect(lines[4]).to.equal('getMultipleLeads: 2');
      expect(lines[6]).to.equal('getLeadChanges: true');
      expect(lines[7]).to.equal('describeMObject: Unsubscribed boolean');
      expect(lines[8]).to.match(/^mergeLeads: MERGED true \[\d+\]$/);
      expect(lines[9]).to.equal('deleteLead: 1');
      expect(lines[10]).to.equal('unserved: 20019');
      expect(lines[11]).to.equal('tooLarge: 20012');
    });

    it('reads a list with no record as a list of none, a New Lead\'s mktgAssetName as "" and its Created Date as a day, as the vendor wrote them (no null to check for)', async () => {
      const r = await java('EmptyLists', [
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      expect(r.code, `EmptyLists failed:\n${r.stderr}\n${r.stdout}`).to.equal(0);
      expect(r.stdout.trim().split('\n')).to.deep.equal([
        'getMultipleLeads: 0',
        'leadAttributeList: 0',
        'getLeadActivity: 0',
        'mktgAssetName: 0',
        "Created Date: the activity's day",
        'getLeadChanges: 0',
      ]);
    });

    it('reports a wrong encryption key as fault 20014', async () => {
      const r = await java('WorkedExample', [service!.wsdlUrl, TEST_USER.userId, 'WRONG-KEY']);
      expectAuthFailureReported('WorkedExample.java', r);
    });

    it('runs examples/java/QuickStart.java', async () => {
      const email = 'quickstart.jaxws@example.com';
      const r = await java('QuickStart', [
        service!.wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
        email,
      ]);
      expectQuickstartOutput('examples/java/QuickStart.java', r, email);
    });

    it('runs examples/java/DurableExample.java: the other person follows; a wrong key is one line', async () => {
      const email = 'worked.jaxws@example.com';
      const { wsdlUrl } = service!;
      const r = await java('DurableExample', [
        wsdlUrl,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
        email,
      ]);
      expect(r.code, r.stderr + r.stdout).to.equal(0);
      expectExampleOutput(r.stdout, email);
      for (const main of ['DurableExample', 'QuickStart']) {
        const wrong = await java(main, [wsdlUrl, TEST_USER.userId, 'WRONG-KEY', email]);
        expect(wrong.code, main).to.equal(1);
        expect(wrong.stderr, main).to.equal(WRONG_KEY_LINE);
      }
    });
  });
}
