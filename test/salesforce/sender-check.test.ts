import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { testEngines } from '../support/database.js';
import { postXml, startTestService, type TestService } from '../support/service.js';
import {
  ORG_ID,
  everything,
  expectAck,
  expectFault,
  leadRecordId,
  notificationId,
  notificationsXml,
  send,
} from './support.js';
import { sendEndlessBody } from '../support/endless-body.js';

const SECRET = 'sEcReT-0123.456789_abc~';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const message = (n: number, orgId = ORG_ID) =>
  notificationsXml(
    [
      {
        id: notificationId(n),
        type: 'Lead',
        recordId: leadRecordId(n),
        fields: { Email: `kim${n}@example.com`, HasOptedOutOfEmail: 'true' },
      },
    ],
    { orgId },
  );

for (const engine of testEngines()) {
  describe(`Salesforce listener: who may send (${engine.name})`, () => {
    describe('SFDC_ORG_IDS in the 15-character form, and SFDC_PATH_SECRET', () => {
      let service: TestService;
      let base: string;
      before(async () => {
        service = await startTestService(engine, {
          salesforceOrgIds: [ORG_ID.slice(0, 15)],
          salesforcePathSecret: SECRET,
        });
        base = `${service.base}/soap/salesforce/outbound`;
      });
      after(() => service.stop());

      it('accepts the 18-character organisation id at the secret path', async () => {
        expectAck(await send(`${base}/${SECRET}`, message(1)));
      });

      for (const [what, path] of [
        ['no secret', ''],
        ['a wrong secret', '/sEcReT-0123.456789_abd~'],
        ['a prefix of the secret', `/${SECRET.slice(0, -1)}`],
        ['the secret and more', `/${SECRET}x`],
      ] as const) {
        it(`answers ${what} with a plain 404, changing nothing, WSDL included`, async () => {
          const before = await everything(service.running.database);
          const res = await send(`${base}${path}`, message(2));
          expect(res.status).to.equal(404);
          expect(res.body).to.equal('Not found\n');
          expect(await everything(service.running.database)).to.deep.equal(before);
          const wsdl = await fetch(`${base}${path}?wsdl`);
          expect(wsdl.status).to.equal(404);
          expect(await wsdl.text()).to.equal('Not found\n');
        });
      }

      it('reads no more of a body sent to a wrong secret than four times MAX_BODY_BYTES, then closes', async () => {
        // Unauthenticated: the body is discarded as it arrives up to the bound, then the
        // connection ends. Before, the 404 read all of it, however much was sent.
        const { writtenMiB: written, answer } = await sendEndlessBody(
          Number(new URL(base).port),
          `POST /soap/salesforce/outbound/wrong-secret-0123456789 HTTP/1.1\r\nHost: x\r\n` +
            'Content-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        // Past 4 MiB read, the rest lies in the two sockets' buffers at most (a few MiB each).
        expect(written, 'MiB the client could send').to.be.below(40);
        // The 404 comes as the connection closes on a client still writing: a reset can reach
        // the client before it reads the answer (the answer itself is checked above, sent whole).
        if (answer !== '') expect(answer).to.match(/^HTTP\/1\.1 404 .*connection: close/is);
        expectAck(await send(`${base}/${SECRET}`, message(3)));
      });

      it('serves the WSDL at the secret path', async () => {
        const res = await fetch(`${base}/${SECRET}?wsdl`);
        expect(res.status).to.equal(200);
      });

      it('compares organisation ids case-sensitively on their first 15 characters, checking the suffix', async () => {
        const before = await everything(service.running.database);
        const otherCase = `${ORG_ID.slice(0, 10)}${ORG_ID.slice(10, 15).toUpperCase()}`;
        expect(otherCase).to.not.equal(ORG_ID.slice(0, 15));
        expectFault(await send(`${base}/${SECRET}`, message(3, otherCase)), 'Client', 20013);
        // The checksum suffix is checked: the right 15 characters with another suffix are not it.
        expectFault(
          await send(`${base}/${SECRET}`, message(4, `${ORG_ID.slice(0, 15)}ZZZ`)),
          'Client',
          20110,
        );
        // A suffix that fits another spelling of the 15 names that other organisation.
        const otherSpelling = `${ORG_ID.slice(0, 15)}AAA`;
        expect(otherSpelling).to.not.equal(ORG_ID);
        expectFault(await send(`${base}/${SECRET}`, message(6, otherSpelling)), 'Client', 20013);
        expect(await everything(service.running.database)).to.deep.equal(before);
        // An 18-character id in another case is the organisation its suffix spells.
        expectAck(await send(`${base}/${SECRET}`, message(5, ORG_ID.toUpperCase())));
      });
    });

    describe('SFDC_ORG_IDS unset', () => {
      let service: TestService;
      before(async () => {
        service = await startTestService(engine, { salesforcePathSecret: SECRET });
      });
      after(() => service.stop());

      it('refuses every message, even at the secret path', async () => {
        const before = await everything(service.running.database);
        const res = await send(`${service.base}/soap/salesforce/outbound/${SECRET}`, message(5));
        expectFault(res, 'Client', 20013);
        expect(res.body).to.contain('No Salesforce organization is allowed (SFDC_ORG_IDS)');
        expect(await everything(service.running.database)).to.deep.equal(before);
      });
    });

    describe('neither SFDC_ORG_IDS nor SFDC_PATH_SECRET', () => {
      let service: TestService;
      before(async () => {
        service = await startTestService(engine);
      });
      after(() => service.stop());

      it('has no listener at all: 404 at every path', async () => {
        const before = await everything(service.running.database);
        for (const path of ['', '/anything-at-all-0123456789']) {
          const res = await send(`${service.base}/soap/salesforce/outbound${path}`, message(6));
          expect(res.status, path).to.equal(404);
        }
        expect(await everything(service.running.database)).to.deep.equal(before);
      });
    });

    describe('SFDC_ALLOWED_NETWORKS, through TRUST_PROXY', () => {
      let service: TestService;
      let url: string;
      before(async () => {
        const config = loadConfig({
          SFDC_ORG_IDS: ORG_ID,
          SFDC_PATH_SECRET: SECRET,
          SFDC_ALLOWED_NETWORKS: '192.0.2.0/24, 2001:db8::/32',
          TRUST_PROXY: '1',
        });
        service = await startTestService(engine, {
          salesforceOrgIds: config.salesforceOrgIds,
          salesforcePathSecret: config.salesforcePathSecret,
          salesforceAllowedNetworks: config.salesforceAllowedNetworks,
          trustProxy: config.trustProxy,
        });
        url = `${service.base}/soap/salesforce/outbound/${SECRET}`;
      });
      after(() => service.stop());

      const from = (forwardedFor: string | null, n: number) =>
        postXml(url, message(n), {
          soapAction: '""',
          headers: forwardedFor === null ? {} : { 'X-Forwarded-For': forwardedFor },
        });

      it('accepts a client in an allowed network, IPv4 or IPv6, as the proxy reports it', async () => {
        expectAck(await from('192.0.2.77', 20));
        expectAck(await from('2001:db8:1::5', 21));
        expectAck(await from('203.0.113.9, 192.0.2.78', 22));
      });

      it('accepts an allowed client whose proxy writes its port after the address', async () => {
        // Some proxies (Azure Application Gateway among them) write X-Forwarded-For entries as
        // address:port, and TRUST_PROXY hands the entry on as it is (req.ip, port included).
        expectAck(await from('192.0.2.79:51234', 23));
        expectAck(await from('[2001:db8:1::6]:443', 24));
        expectAck(await from('203.0.113.9:1024, 192.0.2.80:443', 25));
      });

      for (const [what, header] of [
        ['a client outside every allowed network', '203.0.113.9'],
        ['an allowed address forged left of the real one', '192.0.2.77, 203.0.113.9'],
        ['the proxy itself, with no forwarded address', null],
        ['a client outside every allowed network, with its port', '203.0.113.9:192'],
        [
          'an allowed address forged left of the real one, with ports',
          '192.0.2.77:443, [2001:db9::1]:443',
        ],
      ] as const) {
        it(`refuses ${what} with a fault, changing nothing`, async () => {
          const before = await everything(service.running.database);
          const res = await from(header, 30);
          expectFault(res, 'Client', 20013);
          expect(res.body).to.contain('SFDC_ALLOWED_NETWORKS');
          expect(await everything(service.running.database)).to.deep.equal(before);
        });
      }
    });
  });
}

describe('Salesforce listener settings', () => {
  it('refuse SFDC_ORG_IDS without SFDC_PATH_SECRET, naming both on one line', () => {
    let message = '';
    try {
      loadConfig({ SFDC_ORG_IDS: ORG_ID });
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).to.contain('SFDC_ORG_IDS').and.to.contain('SFDC_PATH_SECRET');
    expect(message).to.not.contain('\n');
    expect(
      loadConfig({ SFDC_ORG_IDS: ORG_ID, SFDC_PATH_SECRET: SECRET }).salesforceOrgIds,
    ).to.deep.equal([ORG_ID]);
  });

  it('stop the service at start when SFDC_ORG_IDS has no SFDC_PATH_SECRET', async function () {
    // A child process started through tsx: seconds on a loaded machine, past mocha's 20 s.
    this.timeout(90000);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src/cli/index.ts'), 'serve'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATABASE_URL: '',
          DATA_DIR: ':memory:',
          PORT: '0',
          SFDC_ORG_IDS: ORG_ID,
        },
        encoding: 'utf8',
        timeout: 60000,
      },
    );
    expect(r.status).to.equal(1);
    expect(r.stdout).to.not.contain('listening');
    const lines = r.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^Configuration error: SFDC_ORG_IDS .*SFDC_PATH_SECRET/);
  });

  it('read SFDC_ALLOWED_NETWORKS as IPv4 and IPv6 CIDR blocks, refusing anything else', () => {
    expect(loadConfig({ SFDC_ALLOWED_NETWORKS: '' }).salesforceAllowedNetworks).to.deep.equal([]);
    expect(
      loadConfig({ SFDC_ALLOWED_NETWORKS: '13.108.0.0/14, 2001:db8::/32,192.0.2.1' })
        .salesforceAllowedNetworks,
    ).to.deep.equal([
      { address: '13.108.0.0', prefix: 14, family: 'ipv4' },
      { address: '2001:db8::', prefix: 32, family: 'ipv6' },
      { address: '192.0.2.1', prefix: 32, family: 'ipv4' },
    ]);
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0/8', '::/129', '10.0.0.0/8,'])
      expect(() => loadConfig({ SFDC_ALLOWED_NETWORKS: bad }), bad).to.throw(
        ConfigError,
        /SFDC_ALLOWED_NETWORKS/,
      );
  });
});
