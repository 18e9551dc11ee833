import { expect } from 'chai';
import {
  createPrivatePostgres,
  privatePostgresUnavailable,
  type PrivatePostgres,
} from '../support/private-postgres.js';
import {
  faultCode,
  getLeadByEmailXml,
  rawCall,
  syncEmailXml,
  TEST_USER,
} from '../support/service.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { SETTLE_MS, waitFor } from '../support/wait.js';

describe('PostgreSQL stopped while the service runs', function () {
  this.timeout(120000);
  let pg: PrivatePostgres | undefined;
  let service: ServiceProcess | undefined;

  before(async function () {
    const why = privatePostgresUnavailable();
    if (why) return this.skip();
    pg = await createPrivatePostgres();
    service = await spawnService({
      DATABASE_URL: pg.url,
      MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey}`,
    });
  });
  after(async () => {
    await service?.stop();
    pg?.destroy();
  });

  it('fails calls fast with 20011, reports not ready, and recovers by itself when it returns', async () => {
    expect((await rawCall(service!.url, syncEmailXml('before@example.com'))).status).to.equal(200);

    pg!.stop();
    const down = await rawCall(service!.url, syncEmailXml('during@example.com'));
    expect(down.status).to.equal(500);
    expect(faultCode(down.body), down.body).to.equal(20011);
    expect(down.body).to.contain('<faultcode>SOAP-ENV:Server</faultcode>');
    expect((await fetch(`${service!.base}/readyz`)).status).to.equal(503);
    expect((await fetch(`${service!.base}/healthz`)).status).to.equal(200);

    pg!.start();
    const recovered = await waitFor(
      async () => (await rawCall(service!.url, syncEmailXml('after@example.com'))).status === 200,
      SETTLE_MS,
      500,
    );
    expect(recovered, service!.output()).to.equal(true);
    // /readyz answers from a look up to a second old.
    let ready = 0;
    await waitFor(
      async () => (ready = (await fetch(`${service!.base}/readyz`)).status) === 200,
      SETTLE_MS,
      300,
    );
    expect(ready).to.equal(200);
    const found = await rawCall(service!.url, getLeadByEmailXml('before@example.com'));
    expect(found.body).to.contain('<count>1</count>');
  });
});
