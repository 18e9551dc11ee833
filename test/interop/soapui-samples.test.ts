import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import sax from 'sax';
import { testEngines } from '../support/database.js';
import { checkBodyChild, validateBodyChild, WSDL_FILE } from '../support/schema.js';
import {
  envelope,
  faultCode,
  postXml,
  startTestService,
  TEST_USER,
  type TestService,
} from '../support/service.js';
import { REPO_ROOT } from './worked-example.js';

/**
 * soapui/durable-unsubscribe-soapui-project.xml: each sample request, signed for the test user,
 * is posted as is (with the SOAPAction the project gives its operation) to the real service; every
 * answer must be a non-fault HTTP 200 whose Body child validates against the WSDL's schema.
 */

const PROJECT_FILE = path.join(REPO_ROOT, 'soapui', 'durable-unsubscribe-soapui-project.xml');
const MKTOWS_NS = 'http://www.marketo.com/mktows/';

interface Sample {
  operation: string;
  action: string;
  request: string;
}

interface SoapUiProject {
  interface: Record<string, string>;
  samples: Sample[];
  properties: Map<string, string>;
}

function readProject(file: string): SoapUiProject {
  const parser = sax.parser(true, { xmlns: true, position: false });
  const project: SoapUiProject = { interface: {}, samples: [], properties: new Map() };
  const stack: string[] = [];
  let operation: { name: string; action: string } | undefined;
  let text = '';
  let property: { name?: string; value?: string } = {};
  parser.onopentag = (node) => {
    const tag = node as sax.QualifiedTag;
    stack.push(tag.local);
    text = '';
    const attr = (n: string) => tag.attributes[n]?.value ?? '';
    if (tag.local === 'interface') {
      for (const a of Object.values(tag.attributes)) project.interface[a.local] = a.value;
    }
    if (tag.local === 'operation') operation = { name: attr('name'), action: attr('action') };
  };
  parser.ontext = (t) => (text += t);
  parser.oncdata = (t) => (text += t);
  parser.onclosetag = () => {
    const local = stack.pop();
    const parent = stack[stack.length - 1];
    if (local === 'request' && parent === 'call' && operation) {
      project.samples.push({ operation: operation.name, action: operation.action, request: text });
    } else if (local === 'name' && parent === 'property') property.name = text;
    else if (local === 'value' && parent === 'property') property.value = text;
    else if (local === 'property' && parent === 'properties') {
      if (property.name) project.properties.set(property.name, property.value ?? '');
      property = {};
    }
  };
  parser.write(fs.readFileSync(file, 'utf8')).close();
  return project;
}

/** The binding's operations and their soapActions, straight from the WSDL. */
function wsdlOperations(): Map<string, string> {
  const wsdl = fs.readFileSync(WSDL_FILE, 'utf8');
  const binding = wsdl.slice(wsdl.indexOf('<wsdl:binding'), wsdl.indexOf('</wsdl:binding>'));
  const ops = new Map<string, string>();
  for (const m of binding.matchAll(
    /<wsdl:operation name="([^"]+)">\s*(?:<wsdl:documentation>[^<]*<\/wsdl:documentation>\s*)?<soap:operation soapAction="([^"]+)"/g,
  )) {
    ops.set(m[1]!, m[2]!);
  }
  return ops;
}

function signed(request: string): string {
  const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const signature = crypto
    .createHmac('sha1', TEST_USER.encryptionKey)
    .update(timestamp + TEST_USER.userId)
    .digest('hex');
  const out = request
    .replaceAll('${#Project#userId}', TEST_USER.userId)
    .replaceAll('${#Project#timestamp}', timestamp)
    .replaceAll('${#Project#signature}', signature);
  expect(out, 'a property expansion the test does not fill').to.not.match(/\$\{/);
  return out;
}

const project = readProject(PROJECT_FILE);
// Leads first, reads next, then the merge, deleteLead last.
const ORDER = [
  'syncLead',
  'syncMultipleLeads',
  'getLead',
  'getMultipleLeads',
  'getLeadActivity',
  'getLeadChanges',
  'describeMObject',
  'mergeLeads',
  'deleteLead',
];

describe('SoapUI project (soapui/durable-unsubscribe-soapui-project.xml)', () => {
  it('imports the WSDL interface by URL and has one sample per served operation', () => {
    expect(project.interface).to.include({
      type: 'wsdl',
      soapVersion: '1_1',
      name: 'MktowsApiSoapBinding',
      bindingName: `{${MKTOWS_NS}}MktowsApiSoapBinding`,
      definition: 'http://localhost:8080/soap/mktows/2_9?WSDL',
    });
    const ops = wsdlOperations();
    // The binding also declares the vendor operations this service does not serve (20019).
    expect([...ops.keys()]).to.include.members(ORDER);
    expect(project.samples.map((s) => s.operation).sort()).to.deep.equal([...ORDER].sort());
    for (const s of project.samples) expect(s.action, s.operation).to.equal(ops.get(s.operation));
  });

  it('signs through project properties userId, timestamp and signature', () => {
    expect([...project.properties.keys()]).to.include.members(['userId', 'timestamp', 'signature']);
    for (const s of project.samples) {
      expect(s.request, s.operation).to.include('<mktowsUserId>${#Project#userId}</mktowsUserId>');
      expect(s.request, s.operation).to.include(
        '<requestSignature>${#Project#signature}</requestSignature>',
      );
      expect(s.request, s.operation).to.include(
        '<requestTimestamp>${#Project#timestamp}</requestTimestamp>',
      );
    }
  });

  it('has sample requests whose Body validates against the schema', () => {
    for (const s of project.samples) {
      const check = checkBodyChild(signed(s.request));
      expect(check.element, s.operation).to.equal(
        `params${s.operation[0]!.toUpperCase()}${s.operation.slice(1)}`,
      );
      expect(check.valid, `${s.operation}: ${check.message}`).to.equal(true);
    }
  });
});

for (const engine of testEngines()) {
  describe(`SoapUI samples against the real service (${engine.name})`, function () {
    this.timeout(30000);
    let service: TestService;

    before(async () => {
      service = await startTestService(engine);
      // The leads the samples name, so that reads find them whatever ran before.
      const seed = await postXml(
        service.url,
        envelope(
          '<ns1:paramsSyncMultipleLeads><leadRecordList>' +
            '<leadRecord><Email>sample.ann@example.com</Email></leadRecord>' +
            '<leadRecord><Email>sample.bob@example.com</Email></leadRecord>' +
            '<leadRecord><Email>sample.cat@example.com</Email></leadRecord>' +
            '</leadRecordList></ns1:paramsSyncMultipleLeads>',
        ),
        { soapAction: `${MKTOWS_NS}syncMultipleLeads` },
      );
      expect(seed.status, seed.body).to.equal(200);
      expect(seed.body).to.not.include('FAILED');
    });
    after(() => service?.stop());

    for (const operation of ORDER) {
      it(`${operation}: HTTP 200, no fault, a schema-valid success${operation[0]!.toUpperCase()}${operation.slice(1)}`, async () => {
        const sample = project.samples.find((s) => s.operation === operation);
        expect(sample, `no ${operation} sample`).to.not.equal(undefined);
        // SoapUI sends the operation's action quoted, and the envelope as written.
        const r = await postXml(service.url, signed(sample!.request), {
          soapAction: `"${sample!.action}"`,
        });
        expect(faultCode(r.body), r.body).to.equal(null);
        expect(r.status, r.body).to.equal(200);
        expect(r.contentType).to.match(/^text\/xml/);
        const element = validateBodyChild(r.body);
        expect(element).to.equal(`success${operation[0]!.toUpperCase()}${operation.slice(1)}`);
        if (operation === 'deleteLead') expect(r.body).to.match(/<count>1<\/count>/);
        if (operation === 'getMultipleLeads')
          expect(r.body).to.match(/<returnCount>2<\/returnCount>/);
        if (operation === 'getLead') expect(r.body).to.match(/<count>1<\/count>/);
        if (operation === 'mergeLeads') expect(r.body).to.include('<status>MERGED</status>');
      });
    }
  });
}
