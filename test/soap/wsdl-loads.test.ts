import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { VENDOR_OPERATIONS } from './vendor-contract.js';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Asynchronous, so the in-process service can answer the tool while it runs. */
function run(cmd: string, args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', timeout: 120000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

const WSIMPORT = '/usr/share/jaxws/bin/wsimport.sh';

/** The WSDL as served loads in each strict toolkit without a warning. */
describe('the served WSDL in third-party toolkits', function () {
  this.timeout(180000);
  let service: TestService;
  let dir: string;
  let wsdlFile: string;

  before(async () => {
    service = await startTestService(testEngines()[0]!);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'du-wsdl-'));
    wsdlFile = path.join(dir, 'mktows.wsdl');
    fs.writeFileSync(wsdlFile, await (await fetch(service.wsdlUrl)).text());
  });
  after(async () => {
    await service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is well-formed and its schema compiles (xmllint)', async () => {
    const r = await run('xmllint', ['--noout', wsdlFile]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.equal('');
  });

  it('loads in Python zeep (strict), with every operation', async () => {
    const script = `
import sys, warnings, zeep
warnings.simplefilter("error")
c = zeep.Client(sys.argv[1], settings=zeep.Settings(strict=True))
ops = sorted(c.service._binding._operations.keys())
print(",".join(ops))`;
    const r = await run('/usr/bin/python3', ['-c', script, service.wsdlUrl]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out.trim().split(',')).to.deep.equal(
      [...VENDOR_OPERATIONS.map((o) => o.operation), 'deleteLead'].sort(),
    );
  });

  it("creates the vendor's types by name in zeep, as clients that build the header from its type do", async () => {
    // suds clients of the vendor API call factory.create('AuthenticationHeaderInfo'); zeep's
    // get_type is the same lookup, by the vendor's type names.
    const script = `
import sys, zeep
c = zeep.Client(sys.argv[1], settings=zeep.Settings(strict=True))
h = c.get_type('ns0:AuthenticationHeaderInfo')(mktowsUserId='u', requestSignature='s', requestTimestamp='t')
w = c.get_type('ns0:MktowsContextHeaderInfo')(targetWorkspace='East')
l = c.get_type('ns0:StaticListSelector')(staticListName='SMSProgram.listForTesting')
print(h.mktowsUserId, w.targetWorkspace, l.staticListName)`;
    const r = await run('/usr/bin/python3', ['-c', script, service.wsdlUrl]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out.trim()).to.equal('u East SMSProgram.listForTesting');
  });

  it('loads in PHP SoapClient without notices', async function () {
    if (!has('php')) this.skip();
    const r = await run('php', [
      '-d',
      'error_reporting=-1',
      '-d',
      'display_errors=stderr',
      '-d',
      'soap.wsdl_cache_enabled=0',
      '-r',
      '$c = new SoapClient($argv[1]); echo count($c->__getFunctions());',
      service.wsdlUrl,
    ]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out.trim()).to.equal(String(VENDOR_OPERATIONS.length + 1));
  });

  it('generates JAX-WS stubs with wsimport without warnings', async function () {
    if (!fs.existsSync(WSIMPORT)) this.skip();
    const out = path.join(dir, 'java');
    fs.mkdirSync(out);
    const r = await run(WSIMPORT, ['-Xnocompile', '-XadditionalHeaders', '-d', out, wsdlFile]);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.not.match(/WARNING|ERROR/i);
    expect(fs.existsSync(path.join(out, 'com/marketo/mktows/MktowsPort.java'))).to.equal(true);
    // The vendor's class names: plain wsimport names the header classes after their types.
    for (const cls of ['AuthenticationHeaderInfo', 'MktowsContextHeaderInfo', 'StaticListSelector'])
      expect(fs.existsSync(path.join(out, `com/marketo/mktows/${cls}.java`)), cls).to.equal(true);
    const port = fs.readFileSync(path.join(out, 'com/marketo/mktows/MktowsPort.java'), 'utf8');
    expect(port).to.match(
      /ParamsGetLead paramsGetLead,\s+@WebParam\([^)]*\)\s+AuthenticationHeaderInfo authentication\)/,
    );
  });

  it('translates with gSOAP wsdl2h without warnings', async function () {
    if (!has('wsdl2h')) this.skip();
    const r = await run('wsdl2h', ['-o', path.join(dir, 'mktows.h'), wsdlFile], dir);
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.not.match(/warning|error/i);
  });

  it('generates a gSOAP C++ client with soapcpp2 without warnings, a method per operation', async function () {
    if (!has('wsdl2h') || !has('soapcpp2')) this.skip();
    const gsoap = path.join(dir, 'gsoap');
    fs.mkdirSync(gsoap);
    const header = path.join(gsoap, 'mktows.h');
    const translated = await run('wsdl2h', ['-o', header, wsdlFile], gsoap);
    expect(translated.code, translated.out).to.equal(0);
    // -C client only, -j proxy classes, -x no sample messages; the imports wsdl2h names.
    const r = await run(
      'soapcpp2',
      ['-C', '-j', '-x', '-I/usr/share/gsoap/import', '-I/usr/share/gsoap', header],
      gsoap,
    );
    expect(r.code, r.out).to.equal(0);
    expect(r.out).to.not.match(/warning|error/i);
    const proxy = fs
      .readdirSync(gsoap)
      .filter((f) => f.endsWith('Proxy.h'))
      .map((f) => fs.readFileSync(path.join(gsoap, f), 'utf8'))
      .join('\n');
    for (const op of [...VENDOR_OPERATIONS.map((o) => o.operation), 'deleteLead'])
      expect(proxy, op).to.match(new RegExp(`virtual\\s+int\\s+${op}\\(`));
  });
});
