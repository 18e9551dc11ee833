/**
 * MAX_HEADER_BYTES: the size of a request's line and headers the service port accepts. Before,
 * the only way to change node's 16 KiB was NODE_OPTIONS=--max-http-header-size, which no setting
 * named, `config` did not show, and the start did not check. Node's own answers touch no
 * storage: one engine is enough.
 */
import { expect } from 'chai';
import { ConfigError, loadConfig, settingWarnings } from '../../src/config.js';
import { LINK_REQUEST_HEADER_BYTES } from '../../src/config/one-click.settings.js';
import { MAX_TOKEN_LENGTH } from '../../src/one-click/link-token.js';
import { testEngines } from '../support/database.js';
import { exchangeUntilClosed } from '../support/raw-socket.js';
import { startTestService, type TestService } from '../support/service.js';

const engine = testEngines()[0]!;
const withHeader = (bytes: number) =>
  `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(bytes)}\r\n\r\n`;

describe('MAX_HEADER_BYTES', function () {
  this.timeout(60000);

  it('is a size from 1024 to 1048576, or empty for node’s own; anything else is refused naming it', () => {
    expect(loadConfig({}).maxHeaderBytes).to.equal(null);
    expect(loadConfig({ MAX_HEADER_BYTES: ' 65536 ' }).maxHeaderBytes).to.equal(65536);
    for (const bad of ['16k', '512', '2000000', '-1'])
      expect(() => loadConfig({ MAX_HEADER_BYTES: bad }), bad).to.throw(
        ConfigError,
        /^MAX_HEADER_BYTES must be /,
      );
  });

  it('set under what the longest unsubscribe link needs while links are on, is warned about', () => {
    // Before: no word of it, and the one-click of a long link was refused 431, its opt-out lost.
    const warned = (env: Record<string, string>) =>
      settingWarnings(env).filter((line) => line.startsWith('MAX_HEADER_BYTES'));
    expect(warned({ MAX_HEADER_BYTES: '2048' })).to.have.length(1);
    expect(warned({ MAX_HEADER_BYTES: '2048' })[0]).to.contain('431');
    const pg = 'postgres://root@127.0.0.1:5432/x';
    expect(
      warned({ MAX_HEADER_BYTES: '2048', DATABASE_URL: pg, UNSUBSCRIBE_LINK_SECRET: 's' }),
    ).to.have.length(1);
    for (const env of <Array<Record<string, string>>>[
      { MAX_HEADER_BYTES: String(LINK_REQUEST_HEADER_BYTES) },
      { MAX_HEADER_BYTES: '' },
      { MAX_HEADER_BYTES: '2048', DATABASE_URL: pg },
    ])
      expect(warned(env), JSON.stringify(env)).to.deep.equal([]);
    // The line of a one-click POST of the longest token, with a kilobyte of a provider's and a
    // proxy's headers, fits within what is asked for.
    const line = `POST /u/${'x'.repeat(MAX_TOKEN_LENGTH)} HTTP/1.1\r\n`;
    expect(line.length + 1024).to.be.at.most(LINK_REQUEST_HEADER_BYTES);
  });

  describe('on the service port', () => {
    let raised: TestService;
    let lowered: TestService;
    before(async () => {
      raised = await startTestService(engine, { maxHeaderBytes: 65536 });
      lowered = await startTestService(engine, { maxHeaderBytes: 2048 });
    });
    after(async () => {
      await raised?.stop();
      await lowered?.stop();
    });

    it('accepts headers up to the size set, past node’s 16 KiB', async () => {
      // Before: 431 whatever the setting, node's 16 KiB being the only limit.
      const answer = await exchangeUntilClosed(raised.running.port, withHeader(40000));
      expect(answer).to.match(/^HTTP\/1\.1 200 /);
      expect(await exchangeUntilClosed(raised.running.port, withHeader(70000))).to.match(
        /^HTTP\/1\.1 431 /,
      );
    });

    it('refuses headers past a lower size 431, closing the connection', async () => {
      expect(await exchangeUntilClosed(lowered.running.port, withHeader(1000))).to.match(
        /^HTTP\/1\.1 200 /,
      );
      expect(await exchangeUntilClosed(lowered.running.port, withHeader(4000))).to.match(
        /^HTTP\/1\.1 431 /,
      );
    });
  });
});
