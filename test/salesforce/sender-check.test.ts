import { expect } from 'chai';
import { testEngines } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
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

const SECRET = 'sEcReT-0123.456789_abc~';

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
        it(`refuses ${what} with a fault, changing nothing, WSDL included`, async () => {
          const before = await everything(service.running.database);
          const res = await send(`${base}${path}`, message(2));
          expectFault(res, 'Client', 20013);
          expect(res.body).to.not.contain(SECRET);
          expect(await everything(service.running.database)).to.deep.equal(before);
          expect((await fetch(`${base}${path}?wsdl`)).status).to.equal(500);
        });
      }

      it('serves the WSDL at the secret path', async () => {
        const res = await fetch(`${base}/${SECRET}?wsdl`);
        expect(res.status).to.equal(200);
      });

      it('compares organisation ids case-sensitively on their first 15 characters', async () => {
        const before = await everything(service.running.database);
        const otherCase = `${ORG_ID.slice(0, 10)}${ORG_ID.slice(10, 15).toUpperCase()}${ORG_ID.slice(15)}`;
        expect(otherCase).to.not.equal(ORG_ID);
        expectFault(await send(`${base}/${SECRET}`, message(3, otherCase)), 'Client', 20013);
        expect(await everything(service.running.database)).to.deep.equal(before);
        // The checksum suffix is not part of the comparison.
        expectAck(await send(`${base}/${SECRET}`, message(4, `${ORG_ID.slice(0, 15)}ZZZ`)));
      });
    });

    describe('SFDC_ORG_IDS unset', () => {
      let service: TestService;
      before(async () => {
        service = await startTestService(engine);
      });
      after(() => service.stop());

      it('refuses every message', async () => {
        const before = await everything(service.running.database);
        const res = await send(`${service.base}/soap/salesforce/outbound`, message(5));
        expectFault(res, 'Client', 20013);
        expect(res.body).to.contain('No Salesforce organization is allowed (SFDC_ORG_IDS)');
        expect(await everything(service.running.database)).to.deep.equal(before);
      });
    });
  });
}
