import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { requestSignature } from '../../src/mktows/auth.js';
import { testEngines } from '../support/database.js';
import { isoNow, startTestService, TEST_USER, type TestService } from '../support/service.js';
import { toolkitOrSkip } from './legacy-toolkits.js';
import { INTEROP_DIR, run } from './worked-example.js';

/**
 * gSOAP (Debian's gsoap + libgsoap-dev), the C++ toolkit: wsdl2h on the live ?WSDL, soapcpp2
 * -j -C -x (client-side proxy classes) into a temp dir, g++ of the generated sources and
 * test/interop/clients/gsoap/client.cpp linked with -lgsoap++. Built once per run, from the
 * first engine's service; nothing generated is kept. The test signs: the client links no crypto.
 * Run as built, then with SOAP_XML_STRICT (gSOAP's validating read of the answers), as C++
 * integrations that want a malformed answer to fail loudly set it.
 */
const CLIENT = path.join(INTEROP_DIR, 'clients', 'gsoap', 'client.cpp');
const GSOAP_SHARE = '/usr/share/gsoap';
const TOOLS = ['/usr/bin/wsdl2h', '/usr/bin/soapcpp2', '/usr/include/stdsoap2.h'];

/** The client built from the first service's ?WSDL: every engine's run uses it. */
let built: Promise<string> | undefined;

async function buildClient(wsdlUrl: string): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'du-gsoap-'));
  process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  const header = path.join(work, 'mktows.h');
  const translated = await run('wsdl2h', ['-o', header, wsdlUrl], { cwd: work });
  const said = (r: { stdout: string; stderr: string }) => `${r.stdout}${r.stderr}`;
  expect(translated.code, `wsdl2h failed:\n${said(translated)}`).to.equal(0);
  expect(said(translated)).to.not.match(/warning|error/i);
  const generated = await run(
    'soapcpp2',
    ['-j', '-C', '-x', `-I${GSOAP_SHARE}/import`, `-I${GSOAP_SHARE}`, header],
    { cwd: work },
  );
  expect(generated.code, `soapcpp2 failed:\n${said(generated)}`).to.equal(0);
  expect(said(generated)).to.not.match(/warning|error/i);
  const binary = path.join(work, 'client');
  const compiled = await run(
    'g++',
    [
      '-I',
      work,
      '-o',
      binary,
      CLIENT,
      path.join(work, 'soapC.cpp'),
      path.join(work, 'soapMktowsApiSoapBindingProxy.cpp'),
      '-lgsoap++',
    ],
    { cwd: work, timeoutMs: 110000 },
  );
  expect(compiled.code, `g++ failed:\n${said(compiled)}`).to.equal(0);
  return binary;
}

for (const engine of testEngines()) {
  describe(`interop: gSOAP C++ (wsdl2h + soapcpp2 proxy) client (${engine.name})`, function () {
    this.timeout(120000);
    let service: TestService | undefined;
    let client: string;

    before(async function () {
      toolkitOrSkip(this, TOOLS, 'gsoap libgsoap-dev g++');
      service = await startTestService(engine);
      built ??= buildClient(service.wsdlUrl);
      client = await built;
    });
    after(() => service?.stop());

    // Plain, then with SOAP_XML_STRICT: gSOAP's validating read of every answer.
    for (const mode of ['plain', 'strict'] as const) {
      it(`${mode}: syncLead creates, getLead reads, syncLead unsubscribes, getLead shows it; getLeadActivity, getMultipleLeads, getLeadChanges, describeMObject, syncMultipleLeads (a record FAILED alone), mergeLeads (MERGED, then FAILED), listMObjects; a wrong signature is fault 20014`, async () => {
        const email = `gsoap.${mode}.${engine.name}@example.com`;
        const timestamp = isoNow();
        const signature = requestSignature(TEST_USER.encryptionKey, timestamp, TEST_USER.userId);
        const args = [service!.url, TEST_USER.userId, timestamp, signature, email];
        const r = await run(client, mode === 'strict' ? [...args, 'strict'] : args);
        expect(r.code, `client failed:\n${r.stderr}\n${r.stdout}`).to.equal(0);
        const lines = r.stdout.trim().split('\n');
        expect(lines, r.stdout).to.have.length(13);
        const created = /^syncLead: (\d+) CREATED FirstName=Ann Unsubscribed=0$/.exec(lines[0]!);
        expect(created, lines[0]).to.not.equal(null);
        const id = created![1]!;
        expect(lines[1]).to.equal(`getLead: 1 ${id} <${email}> Unsubscribed=0`);
        expect(lines[2]).to.equal(`unsubscribe: ${id} UPDATED Unsubscribed=1`);
        expect(lines[3]).to.equal(`getLead after: 1 ${id} <${email}> Unsubscribed=1`);
        expect(lines[4]).to.match(/^getLeadActivity: \d+ newest=Change Data Value\/Unsubscribed$/);
        expect(lines[5]).to.equal('getMultipleLeads: 1 remaining=0 position=[]');
        expect(lines[6]).to.match(/^getLeadChanges: [1-9]\d* remaining=0 offset=ID:\d+$/);
        expect(lines[7]).to.equal('describeMObject: LeadRecord fields');
        const batch =
          /^syncMultipleLeads: (\d+) CREATED (\d+) CREATED 999999999 FAILED\(error\)$/.exec(
            lines[8]!,
          );
        expect(batch, lines[8]).to.not.equal(null);
        const [, first, second] = batch!;
        expect(lines[9]).to.equal(
          `mergeLeads: MERGED winner=${first} losers=${second} error=(nil)`,
        );
        // The loser is gone: FAILED, its ids nil (nillable, so read under SOAP_XML_STRICT too).
        expect(lines[10]).to.equal('mergeLeads again: FAILED winner=(nil) losers=(nil) error=yes');
        expect(lines[11]).to.equal('listMObjects: ActivityRecord LeadRecord');
        expect(lines[12]).to.equal(
          'wrong signature: SOAP-ENV:Client | 20014 - Authentication failed | 20014',
        );
      });
    }
  });
}
