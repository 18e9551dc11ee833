import fs from 'node:fs';
import http from 'node:http';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { envelope, faultCode } from '../support/service.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';

/**
 * A body that arrives whole within the first 64 KiB is scanned once, after its multi-reference
 * values are put in place, and only then authenticated. Put in place, they may make it up to
 * eight times what was sent: an unsigned 55 KB body whose 54 KB value seven records referenced
 * cost the service 10 ms of CPU, eight times the same body written out once. Its header is
 * now checked before the references are put in place.
 */

/** CPU the process has used (user and system), in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function post(service: ServiceProcess, body: string, agent?: http.Agent) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        port: service.port,
        host: '127.0.0.1',
        path: '/soap/mktows/2_9',
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The CPU ticks the service spends answering `count` posts of `body`, eight at a time. */
async function cpuOf(service: ServiceProcess, body: string, count: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const before = cpuTicks(service.pid);
  for (let i = 0; i < count; i += 8)
    await Promise.all(Array.from({ length: 8 }, () => post(service, body, agent)));
  const used = cpuTicks(service.pid) - before;
  agent.destroy();
  return used;
}

const ATTRIBUTES = '<attribute><attrName>FirstName</attrName><attrValue>x</attrValue></attribute>';
const VALUE = ATTRIBUTES.repeat(700);
const SYNC = (records: string, values = '') =>
  `<ns1:paramsSyncMultipleLeads><leadRecordList>${records}</leadRecordList></ns1:paramsSyncMultipleLeads>${values}`;
const record = (email: string, list: string) =>
  `<leadRecord><Email>${email}</Email>${list}</leadRecord>`;
/** Seven records referring to one 54 KB attribute list: 380 KB once put in place. */
const referring = (email: string) =>
  SYNC(
    Array.from({ length: 7 }, (_, i) =>
      record(`${i}${email}`, '<leadAttributeList href="#v"/>'),
    ).join(''),
    `<v id="v">${VALUE}</v>`,
  );
/** The same list written out once, in one record: as long as the one above. */
const written = (email: string) =>
  SYNC(record(email, `<leadAttributeList>${VALUE}</leadAttributeList>`));

// No storage is involved in what is measured: one engine is enough.
describe('multi-reference values and SOAP-ENC arrays from a caller not yet authenticated', function () {
  this.timeout(180000);
  let service: ServiceProcess;
  let drop: () => Promise<void>;
  const unsigned = (bodyXml: string) =>
    envelope(bodyXml, { timestamp: new Date().toISOString(), signature: '0'.repeat(40) });

  before(async () => {
    const database = await freshServiceDatabase(testEngines()[0]!);
    drop = database.drop;
    // Every unsigned body read: no address is locked out for its failures.
    service = await spawnService({ ...database.env, WORKERS: '1', AUTH_FAILURE_LIMIT: '0' });
  });
  after(async () => {
    await service?.stop();
    await drop?.();
  });

  it('are put in place for a signed caller, refused unsigned with 20014', async () => {
    const signed = await post(service, envelope(referring('refs@example.com')));
    expect(signed.status, signed.body).to.equal(200);
    expect(signed.body.match(/<status>CREATED<\/status>/g)).to.have.length(7);
    for (const body of [referring('x@example.com'), written('x@example.com')]) {
      expect(unsigned(body).length).to.be.below(64 * 1024);
      const refused = await post(service, unsigned(body));
      expect(faultCode(refused.body), refused.body).to.equal(20014);
    }
  });

  it('SOAP-ENC arrays: written as their elements for a signed caller only, unsigned refused with 20014 first', async () => {
    // 10,000 items, each written out as the array's element with its 200-character namespace
    // declaration: far past twice the 80 KB sent, so the rewriting refuses it (20012). Past
    // the first 64 KiB the header was looked at on arrival: an unsigned caller is answered
    // that (20014), the rewriting never tried.
    const declaration = `xmlns:pad="urn:${'p'.repeat(200)}"`;
    const arrays = `<ns1:paramsGetLead><leadKey ${declaration} xsi:type="SOAP-ENC:Array">${'<item/>'.repeat(10000)}</leadKey></ns1:paramsGetLead>`;
    expect(arrays.length).to.be.above(64 * 1024);
    const signed = await post(service, envelope(arrays));
    expect(faultCode(signed.body), signed.body).to.equal(20012);
    expect(signed.body).to.include('SOAP-ENC arrays');
    const refused = await post(service, unsigned(arrays));
    expect(faultCode(refused.body), refused.body).to.equal(20014);
  });

  it('SOAP-ENC arrays cost unsigned about what the same body written out costs', async () => {
    // An array of empty items, each written out as the array's element with its namespace
    // declaration: nearly twice the text, and everything then scanned again by the guard.
    const declaration = `xmlns:pad="urn:${'p'.repeat(40)}"`;
    const items = 700;
    const asArray = `<ns1:paramsGetLead><leadKey ${declaration} xsi:type="SOAP-ENC:Array">${'<item><keyType>EMAIL</keyType><keyValue>a@example.com</keyValue></item>'.repeat(items)}</leadKey></ns1:paramsGetLead>`;
    const writtenOut = `<ns1:paramsGetLead>${`<leadKey><keyType>EMAIL</keyType><keyValue>a@example.com</keyValue></leadKey>`.repeat(Math.floor(asArray.length / 80))}</ns1:paramsGetLead>`;
    expect(unsigned(asArray).length).to.be.below(64 * 1024);
    await cpuOf(service, unsigned(asArray), 80);
    await cpuOf(service, unsigned(writtenOut), 80);
    let arrays = 0;
    let plain = 0;
    for (let round = 0; round < 3; round++) {
      arrays += await cpuOf(service, unsigned(asArray), 160);
      plain += await cpuOf(service, unsigned(writtenOut), 160);
    }
    expect(arrays, `arrays ${arrays} ticks, written out ${plain} ticks`).to.be.below(plain * 1.5);
  });

  it('cost unsigned about what the same body written out costs, not eight times as much', async () => {
    const withReferences = unsigned(referring('x@example.com'));
    const writtenOut = unsigned(written('x@example.com'));
    // Warmed up first; then rounds of each in turn, so that a busy spell weighs on both.
    await cpuOf(service, withReferences, 80);
    await cpuOf(service, writtenOut, 80);
    let refs = 0;
    let plain = 0;
    for (let round = 0; round < 3; round++) {
      refs += await cpuOf(service, withReferences, 160);
      plain += await cpuOf(service, writtenOut, 160);
    }
    expect(refs, `references ${refs} ticks, written out ${plain} ticks`).to.be.below(plain * 2);
  });
});
