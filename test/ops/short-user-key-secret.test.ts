/**
 * A USER_KEY_SECRET shorter than 16 characters. The key sealing stored SOAP user keys is one
 * SHA-256 of it, so a copy of the database let a short secret ("changeme") be guessed, and every
 * integration's key with it; nothing refused one. Now a short secret is refused, in one line
 * naming the setting, while no stored key is sealed with it (a new deployment, a new secret).
 * A deployment whose stored keys are sealed with one already keeps working (there is no
 * re-sealing command: refusing it would leave every integration without its key) and is warned.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ConfigError } from '../../src/config.js';
import { keyCipher } from '../../src/data-access/key-cipher.js';
import { openUserRepositoryFor, UserRepository } from '../../src/data-access/user.repository.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import { faultCode, freshServiceConfig, rawCall } from '../support/service.js';

const SHORT = 'changeme';
const REFUSAL =
  'USER_KEY_SECRET has 8 characters: a secret sealing SOAP user keys needs 16 or more (a copy of the database would let a shorter one be guessed); make one with "openssl rand -base64 32"';
const GET_LEAD =
  '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey></ns1:paramsGetLead>';

for (const engine of testEngines()) {
  describe(`a USER_KEY_SECRET shorter than 16 characters (${engine.name})`, function () {
    this.timeout(60000);

    it('is refused at start, in one line naming it, when no stored key is sealed with it', async () => {
      const made = await engine.create();
      await made.db.close();
      try {
        const config = freshServiceConfig(made, { USER_KEY_SECRET: SHORT, LOG_LEVEL: 'silent' });
        const error = await start(config, createLogger('silent')).then(
          (running) => running.close().then(() => null),
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as Error).message).to.equal(REFUSAL);
        // Named as the file's when it came from USER_KEY_SECRET_FILE.
        const fromFile = await start(
          { ...config, userKeySecretFile: '/run/secrets/du' },
          createLogger('silent'),
        ).then(
          (running) => running.close().then(() => null),
          (e: unknown) => e,
        );
        expect((fromFile as Error).message).to.match(
          /^USER_KEY_SECRET_FILE \(\/run\/secrets\/du\) has 8 characters: /,
        );
      } finally {
        await made.drop();
      }
    });

    it('is refused by "users add" and "users seal" (not by list or remove) on such a database', async () => {
      const made = await engine.create();
      try {
        const options = { userKeySecret: SHORT, dataDir: made.dataDir || './data' };
        for (const action of ['add', 'seal', 'update']) {
          const error = await openUserRepositoryFor(made.db, options, action).then(
            () => null,
            (e: unknown) => e,
          );
          expect((error as Error | null)?.message, action).to.equal(REFUSAL);
        }
        for (const action of ['list', 'remove'])
          await openUserRepositoryFor(made.db, options, action);
      } finally {
        await made.drop();
      }
    });

    it('is kept, with a warning at start, where stored keys are sealed with it already', async () => {
      const made = await engine.create();
      // What an earlier version stored under that secret.
      const sealed = keyCipher({ secret: SHORT, dataDir: '', embedded: false });
      await new UserRepository(made.db.knex, sealed).insert({
        userId: 'erp',
        encryptionKey: 'KEY-OF-THE-ERP-0123',
        description: null,
        createdAt: 0,
        permissions: { readOnly: false, mayDelete: true, partitions: null },
      });
      await made.db.close();
      let log = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          log += chunk.toString();
          done();
        },
      });
      const config = freshServiceConfig(made, { USER_KEY_SECRET: SHORT, MKTOWS_USERS: '' });
      const running = await start(config, createLogger('warn', sink));
      try {
        const warnings = log
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => (JSON.parse(l) as { msg: string }).msg);
        expect(warnings).to.include(
          'USER_KEY_SECRET has 8 characters, fewer than the 16 a new secret needs: kept, since stored SOAP user keys are sealed with it (1); change it (docs/operations.md, "Rotating keys and passwords")',
        );
        expect(log).to.not.contain(SHORT);
        const res = await rawCall(`http://127.0.0.1:${running.port}/soap/mktows/2_9`, GET_LEAD, {
          user: { userId: 'erp', encryptionKey: 'KEY-OF-THE-ERP-0123' },
        });
        expect(faultCode(res.body), res.body).to.not.equal(20014);
      } finally {
        await running.close();
        await made.drop();
      }
    });
  });
}
