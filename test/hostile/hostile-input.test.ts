import http from 'node:http';
import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { faultCode, getLeadByEmailXml, rawCall, syncUnsubscribedXml } from '../support/service.js';
import {
  freshServiceDatabase,
  spawnService,
  type ServiceProcess,
} from '../support/service-process.js';
import { hostileCorpus, type HostileCase } from './corpus.js';

const MAX_BODY = 4 * 1024 * 1024;
const BODY_TIMEOUT_MS = 1000;
const MEMORY_CEILING = 400 * 1024 * 1024;

interface Answer {
  status: number;
  body: string;
}

function send(url: string, c: HostileCase): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body =
      c.body === undefined ? undefined : Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'text/xml; charset=utf-8',
      ...c.headers,
    };
    if (body && c.send === undefined) headers['Content-Length'] = body.length;
    if (body && c.send === 'slow') headers['Content-Length'] = body.length;
    let tick: NodeJS.Timeout | undefined;
    const req = http.request(url, { method: c.method ?? 'POST', headers }, (res) => {
      clearInterval(tick);
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    if (!body) return void req.end();
    if (c.send === 'slow') {
      // A few bytes now and then, never finishing before the body timeout.
      let sent = 0;
      tick = setInterval(() => {
        if (sent >= body.length || req.destroyed) return clearInterval(tick);
        req.write(body.subarray(sent, sent + 5));
        sent += 5;
      }, 200);
      req.on('close', () => clearInterval(tick));
      return;
    }
    if (c.send === 'chunked') {
      for (let i = 0; i < body.length; i += 16384) req.write(body.subarray(i, i + 16384));
      return void req.end();
    }
    req.end(body);
  });
}

for (const engine of testEngines()) {
  describe(`hostile and broken input against the service process (${engine.name})`, function () {
    this.timeout(180000);
    let service: ServiceProcess;
    let dropDb: () => Promise<void>;

    before(async () => {
      const db = await freshServiceDatabase(engine);
      dropDb = db.drop;
      service = await spawnService({
        ...db.env,
        MAX_BODY_BYTES: String(MAX_BODY),
        BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
      });
    });
    after(async () => {
      await service?.stop();
      await dropDb?.();
    });

    it('answers every case with the right fault, stays up, keeps memory bounded and changes nothing', async () => {
      const seed = syncUnsubscribedXml('sentinel@example.com', 'true');
      expect((await rawCall(service.url, seed)).status).to.equal(200);
      const getSentinel = `<ns1:paramsGetLeadChanges><startPosition><offset>ID:0</offset></startPosition></ns1:paramsGetLeadChanges>`;
      const before = await rawCall(service.url, getSentinel);
      expect(before.status).to.equal(200);

      const failures: string[] = [];
      for (const c of hostileCorpus(MAX_BODY)) {
        let answer: Answer;
        const t0 = Date.now();
        try {
          answer = await send(c.path ? `${service.base}${c.path}` : service.url, c);
        } catch (error) {
          failures.push(`${c.name}: no answer (${(error as Error).message})`);
          continue;
        }
        if (process.env.HOSTILE_TIMING) console.log(c.name, Date.now() - t0, 'ms');
        const code = faultCode(answer.body);
        const wellFormed =
          answer.body.startsWith('<?xml') &&
          answer.body.includes('<SOAP-ENV:Fault>') &&
          !/\bat .*\.(ts|js):\d+|Error:/.test(answer.body);
        const faultcodeOk =
          c.faultcode === undefined ||
          answer.body.includes(`<faultcode>${c.faultcode}</faultcode>`);
        if (answer.status !== c.status || code !== c.code || !wellFormed || !faultcodeOk) {
          failures.push(
            `${c.name}: got HTTP ${answer.status} code ${code}, want HTTP ${c.status} code ${c.code}: ${answer.body.slice(0, 300)}`,
          );
        }
      }
      expect(failures, failures.join('\n')).to.deep.equal([]);

      expect((await fetch(`${service.base}/healthz`)).status).to.equal(200);
      const { rss, peak } = service.memory();
      expect(peak, `peak RSS ${Math.round(peak / 1048576)} MiB`).to.be.below(MEMORY_CEILING);
      expect(rss).to.be.below(MEMORY_CEILING);
      const after = await rawCall(service.url, getSentinel);
      expect(after.body).to.equal(before.body);
      const sentinel = await rawCall(service.url, getLeadByEmailXml('sentinel@example.com'));
      expect(faultCode(sentinel.body)).to.equal(null);
      expect(sentinel.body).to.contain('<count>1</count>');
    });

    it('stores SQL metacharacters and quotes verbatim', async () => {
      const name = `Robert'); DROP TABLE leads;-- "&amp;" \\ %_`;
      const res = await rawCall(
        service.url,
        `<ns1:paramsSyncLead><leadRecord><Email>bobby@example.com</Email><leadAttributeList><attribute><attrName>LastName</attrName><attrValue>${name}</attrValue></attribute></leadAttributeList></leadRecord><returnLead>true</returnLead></ns1:paramsSyncLead>`,
      );
      expect(res.status, res.body).to.equal(200);
      const stored =
        /<attrName>LastName<\/attrName><attrType>string<\/attrType><attrValue>([^<]*)</.exec(
          res.body,
        )?.[1];
      const entities: Record<string, string> = { apos: "'", quot: '"', lt: '<', gt: '>', amp: '&' };
      const unescaped = stored?.replace(
        /&(apos|quot|lt|gt|amp);/g,
        (_m, e: string) => entities[e]!,
      );
      expect(unescaped).to.equal(`Robert'); DROP TABLE leads;-- "&" \\ %_`);
    });
  });
}
