import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, TEST_USER, type TestService } from '../support/service.js';
import {
  expectLegacyRun,
  expectStubOperationsRun,
  toolkitOrSkip,
  type LegacyRun,
  type StubOperationsRun,
} from './legacy-toolkits.js';
import { INTEROP_DIR, parseReport, run } from './worked-example.js';

/**
 * Apache Axis 1.4 (Debian's libaxis-java), the RPC-era Java toolkit: WSDL2Java on the live
 * ?WSDL into a temp dir, javac of the stubs and the programs in test/interop/clients/axis1/,
 * then java runs it (headers set on the stub by hand, as WSDL2Java leaves them out).
 * Built once per run, from the first engine's service; nothing generated is kept.
 */
const JAVA = '/usr/share/java';
const CLASSPATH = [
  'axis.jar',
  'axis-jaxrpc.jar',
  'axis-saaj.jar',
  'wsdl4j.jar',
  'commons-discovery.jar',
  'commons-logging.jar',
  'javax.mail.jar',
  'javax.activation.jar',
]
  .map((j) => path.join(JAVA, j))
  .join(path.delimiter);
/** Axis1Client, Axis1Operations and what they share (Axis1Session, Json). */
const PROGRAMS = path.join(INTEROP_DIR, 'clients', 'axis1');

function javaFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.java'))
    .map((f) => path.join(dir, f));
}

/** The stubs from the first service's ?WSDL, compiled once: every engine's run uses them. */
let built: Promise<string> | undefined;

async function buildStubs(wsdlUrl: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'du-axis1-'));
  process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  const src = path.join(work, 'src');
  const classes = path.join(work, 'classes');
  fs.mkdirSync(classes);
  const generated = await run('java', [
    '-cp',
    CLASSPATH,
    'org.apache.axis.wsdl.WSDL2Java',
    '-o',
    src,
    wsdlUrl,
  ]);
  expect(generated.code, `WSDL2Java failed:\n${generated.stdout}${generated.stderr}`).to.equal(0);
  expect(`${generated.stdout}${generated.stderr}`).to.not.match(/WARN|ERROR|Exception/);
  const compiled = await run(
    'javac',
    [
      '-nowarn',
      '-encoding',
      'UTF-8',
      '-cp',
      CLASSPATH,
      '-d',
      classes,
      ...javaFiles(src),
      ...javaFiles(PROGRAMS),
    ],
    { timeoutMs: 110000 },
  );
  expect(compiled.code, `javac failed:\n${compiled.stdout}${compiled.stderr}`).to.equal(0);
  return classes;
}

for (const engine of testEngines()) {
  describe(`interop: Apache Axis 1.4 (WSDL2Java) client (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService | undefined;
    let classes: string;

    before(async function () {
      toolkitOrSkip(
        this,
        [path.join(JAVA, 'axis.jar'), path.join(JAVA, 'wsdl4j.jar')],
        'libaxis-java default-jdk-headless',
      );
      service = await startTestService(engine);
      built ??= buildStubs(service.wsdlUrl);
      classes = await built;
    });
    after(() => service?.stop());

    it('syncMultipleLeads, syncLead (an unsubscribe), getLead, getLeadActivity paged, a fault', async () => {
      const r = await run('java', [
        '-cp',
        `${CLASSPATH}${path.delimiter}${classes}`,
        'Axis1Client',
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const report = parseReport<LegacyRun>('Axis1Client', r);
      expect(report.client).to.match(/^Apache Axis 1\.4/);
      expectLegacyRun(report);
    });

    it('getMultipleLeads (keys paged, update date), getLeadChanges paged, a static list, listMObjects, describeMObject, mergeLeads, deleteLead, an unserved operation', async () => {
      const r = await run('java', [
        '-cp',
        `${CLASSPATH}${path.delimiter}${classes}`,
        'Axis1Operations',
        service!.url,
        TEST_USER.userId,
        TEST_USER.encryptionKey,
      ]);
      const out = parseReport<StubOperationsRun>('Axis1Operations', r);
      // Axis 1.4 writes the first losing key list's attributes as <keyList> (its outer item
      // name) instead of <attribute>: read as the list's keys, the merge goes through.
      expectStubOperationsRun(out);
    });
  });
}
