/**
 * The start names the SOAP user ids given both in MKTOWS_USERS and stored, and the service
 * refuses them, either key, while the others authenticate as before.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { openUserRepository } from '../../src/data-access/user.repository.js';
import { UserService } from '../../src/domain/user.service.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { faultCode, freshServiceConfig, rawCall, TEST_USER } from '../support/service.js';

const GET_LEAD =
  '<ns1:paramsGetLead><leadKey><keyType>EMAIL</keyType><keyValue>nobody@example.com</keyValue></leadKey></ns1:paramsGetLead>';

for (const engine of testEngines()) {
  describe(`start with a user id both in MKTOWS_USERS and stored (${engine.name})`, function () {
    this.timeout(60000);

    it('logs an error naming it, and refuses it with either key', async () => {
      const made = await engine.create();
      const config = freshServiceConfig(made, {
        MKTOWS_USERS: `${TEST_USER.userId}:${TEST_USER.encryptionKey},feed:ENV-KEY-OF-THE-FEED-0123`,
      });
      // Stored as `users add --id feed --read-only` run without that environment stores it.
      const stored = await new UserService(
        openUserRepository(made.db, { userKeySecret: config.userKeySecret, dataDir: made.dataDir }),
        [],
      ).create(null, 'feed', { readOnly: true, mayDelete: false, partitions: null });
      await made.db.close();
      let log = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          log += chunk.toString();
          done();
        },
      });
      const running = await start(config, createLogger('warn', sink));
      try {
        const errors = log
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { msg: string; userIds?: string[] })
          .filter((l) => l.userIds !== undefined);
        expect(errors.map((e) => e.userIds)).to.deep.equal([['feed']]);
        expect(errors[0]!.msg).to.contain('both in MKTOWS_USERS and stored');
        const url = `http://127.0.0.1:${running.port}/soap/mktows/2_9`;
        for (const encryptionKey of ['ENV-KEY-OF-THE-FEED-0123', stored.encryptionKey]) {
          const res = await rawCall(url, GET_LEAD, { user: { userId: 'feed', encryptionKey } });
          expect(faultCode(res.body), res.body).to.equal(20014);
        }
        const res = await rawCall(url, GET_LEAD);
        expect(faultCode(res.body), res.body).to.equal(20103);
      } finally {
        await running.close();
        await made.drop();
      }
    });
  });
}
