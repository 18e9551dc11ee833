import crypto from 'node:crypto';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { keyCipher, type KeyCipher } from '../../src/data-access/key-cipher.js';
import { UserRepository } from '../../src/data-access/user.repository.js';
import { createLogger } from '../../src/logger.js';
import { start } from '../../src/main.js';
import { testEngines } from '../support/database.js';
import {
  faultCode,
  rawCall,
  startTestService,
  TEST_KEY_SECRET,
  type TestService,
} from '../support/service.js';

const GET_LEAD =
  '<ns1:paramsGetLead><leadKey><keyType>IDNUM</keyType><keyValue>1</keyValue></leadKey></ns1:paramsGetLead>';

/** A key sealed as the service sealed them before they were bound to their user id. */
function sealedTheOldWay(secret: string, plain: string): string {
  const key = crypto
    .createHash('sha256')
    .update(`durable-unsubscribe user keys\0${secret}`)
    .digest();
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return 'v1:' + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

async function authenticates(url: string, userId: string, encryptionKey: string) {
  const res = await rawCall(url, GET_LEAD, { user: { userId, encryptionKey } });
  return faultCode(res.body) !== 20014;
}

for (const engine of testEngines()) {
  describe(`looking up a SOAP user (${engine.name})`, () => {
    it('opens a sealed key for an unknown id too, so that the time of the answer does not tell which ids exist', async () => {
      const made = await engine.create();
      try {
        const real = keyCipher({ secret: 'a secret', dataDir: '', embedded: false });
        const opened: string[] = [];
        const counting: KeyCipher = {
          protects: true,
          seal: (plain, userId) => real.seal(plain, userId),
          open: (stored, userId) => {
            opened.push(userId);
            return real.open(stored, userId);
          },
        };
        const users = new UserRepository(made.db.knex, counting);
        await users.insert({
          userId: 'known',
          encryptionKey: 'KEY-OF-KNOWN',
          description: null,
          createdAt: 0,
          permissions: { readOnly: false, mayDelete: true, partitions: null },
        });
        expect((await users.find('known'))?.encryptionKey).to.equal('KEY-OF-KNOWN');
        expect(opened).to.have.length(1);
        expect(await users.find('unknown')).to.equal(null);
        expect(opened, 'a key was opened for the unknown id as well').to.have.length(2);
      } finally {
        await made.drop();
      }
    });
  });
}

describe('key cipher', () => {
  const cipher = keyCipher({ secret: 'a secret', dataDir: '', embedded: false });

  it('binds a sealed key to its user id', () => {
    const sealed = cipher.seal('KEY-OF-ANN', 'ann');
    expect(sealed).to.match(/^v2:/).and.not.contain('KEY-OF-ANN');
    expect(cipher.open(sealed, 'ann')).to.equal('KEY-OF-ANN');
    expect(cipher.open(sealed, 'bob')).to.equal(null);
  });

  it('refuses keys in clear, other secrets and altered values; reads the old seal', () => {
    expect(cipher.open('KEY-IN-CLEAR', 'ann')).to.equal(null);
    const other = keyCipher({ secret: 'another secret', dataDir: '', embedded: false });
    expect(other.open(cipher.seal('K', 'ann'), 'ann')).to.equal(null);
    const sealed = cipher.seal('K', 'ann');
    const altered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(cipher.open(altered, 'ann')).to.equal(null);
    expect(cipher.open(sealedTheOldWay('a secret', 'OLD-KEY'), 'ann')).to.equal('OLD-KEY');
  });

  it('refuses PostgreSQL without a secret, naming USER_KEY_SECRET, unless ALLOW_UNSEALED_KEYS', () => {
    expect(() => keyCipher({ secret: '', dataDir: '', embedded: false })).to.throw(
      ConfigError,
      /^USER_KEY_SECRET is not set: .*ALLOW_UNSEALED_KEYS=true for development only\)$/,
    );
    const plain = keyCipher({ secret: '', dataDir: '', embedded: false, allowUnsealed: true });
    expect(plain.seal('K', 'ann')).to.equal('K');
    expect(plain.open('K', 'ann')).to.equal('K');
    expect(plain.open(cipher.seal('K', 'ann'), 'ann')).to.equal(null);
  });
});

for (const engine of testEngines()) {
  describe(`SOAP user keys at rest (${engine.name})`, function () {
    this.timeout(60000);
    let service: TestService;

    afterEach(async () => {
      await service?.stop();
    });

    const users = () => service.running.database.knex('mktows_users');

    it('a row planted in clear, or a sealed key moved to another user, does not authenticate', async () => {
      service = await startTestService(engine, {
        ...(engine.name === 'sqlite' ? { userKeySecret: TEST_KEY_SECRET } : {}),
      });
      const ann = await service.running.users.create('ann', 'ann');
      expect(await authenticates(service.url, 'ann', ann.encryptionKey)).to.equal(true);
      await users().insert({
        user_id: 'planted',
        encryption_key: 'PLANTED-KEY-IN-CLEAR',
        description: null,
        created_at: Date.now(),
      });
      expect(await authenticates(service.url, 'planted', 'PLANTED-KEY-IN-CLEAR')).to.equal(false);
      // Ann's sealed key copied onto another user's row: that user does not get Ann's key.
      const [row] = (await users().where('user_id', 'ann')) as Array<{ encryption_key: string }>;
      await users().insert({
        user_id: 'mallory',
        encryption_key: row!.encryption_key,
        description: null,
        created_at: Date.now(),
      });
      expect(await authenticates(service.url, 'mallory', ann.encryptionKey)).to.equal(false);
      // "users seal" is the operator's way to keep rows stored in clear before the secret.
      expect(await service.running.users.sealStoredKeys()).to.equal(1);
      expect(await authenticates(service.url, 'planted', 'PLANTED-KEY-IN-CLEAR')).to.equal(true);
    });

    it('seals again at start, bound to the user, keys sealed the old way', async () => {
      service = await startTestService(engine, { userKeySecret: TEST_KEY_SECRET });
      await users().insert({
        user_id: 'old_user',
        encryption_key: sealedTheOldWay(TEST_KEY_SECRET, 'OLD-USER-KEY'),
        description: null,
        created_at: Date.now(),
      });
      expect(await authenticates(service.url, 'old_user', 'OLD-USER-KEY')).to.equal(true);
      const again = await start({ ...service.config, port: 0 }, createLogger('silent'));
      try {
        const [row] = (await users().where('user_id', 'old_user')) as Array<{
          encryption_key: string;
        }>;
        expect(row!.encryption_key).to.match(/^v2:/);
        expect(
          await authenticates(
            `http://127.0.0.1:${again.port}/soap/mktows/2_9`,
            'old_user',
            'OLD-USER-KEY',
          ),
        ).to.equal(true);
      } finally {
        await again.close();
      }
    });
  });
}

describe('PostgreSQL without USER_KEY_SECRET', () => {
  const postgres = testEngines().find((e) => e.name === 'postgres');

  it('refuses to start, naming the setting', async function () {
    if (!postgres) return this.skip();
    const made = await postgres.create();
    await made.db.close();
    try {
      let error: unknown;
      try {
        await start(
          loadConfig({ DATABASE_URL: made.url, PORT: '0', HOST: '127.0.0.1', METRICS_PORT: 'off' }),
          createLogger('silent'),
        );
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.match(/^USER_KEY_SECRET is not set/);
      const dev = await start(
        loadConfig({
          DATABASE_URL: made.url,
          PORT: '0',
          HOST: '127.0.0.1',
          METRICS_PORT: 'off',
          ALLOW_UNSEALED_KEYS: 'true',
        }),
        createLogger('silent'),
      );
      await dev.close();
    } finally {
      await made.drop();
    }
  });
});
