/**
 * MAX_HEADER_BYTES: the size of a request's line and headers the service port accepts. Before,
 * the only way to change node's 16 KiB was NODE_OPTIONS=--max-http-header-size, which no setting
 * named, `config` did not show, and the start did not check. Node's own answers touch no
 * storage: one engine is enough.
 */
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
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
