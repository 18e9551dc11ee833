import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { start, type Running } from '../../src/main.js';
import { LinkTokens } from '../../src/one-click/link-token.js';
import { KEY_1, oneClick, postForm } from './support.js';

describe('one-click logging', () => {
  let running: Running;
  const lines: string[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      DATA_DIR: ':memory:',
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      UNSUBSCRIBE_LINK_SECRET: KEY_1.secret,
    });
    running = await start(config, createLogger('info', sink));
  });
  after(async () => {
    await running?.close();
  });

  it('writes one line per change, naming the link but never the address', async () => {
    const tokens = new LinkTokens({ current: KEY_1, retired: [] }, 90 * 86400);
    const url = `http://127.0.0.1:${running.port}/u/${tokens.create('Secret.Person@Example.com', { list: 'news' })}`;
    const before = lines.length;
    await oneClick(url);
    await oneClick(url); // a replay changes nothing and logs nothing
    await oneClick(`${url}x`); // refused: counted in metrics, not logged per request
    const other = `http://127.0.0.1:${running.port}/u/${tokens.create('other@example.com')}`;
    const page = await postForm(other, { 'List-Unsubscribe': 'One-Click', via: 'page' });
    const code = /name="resubscribe" value="([^"]+)"/.exec(page.body)![1]!;
    expect((await postForm(other, { resubscribe: code })).status).to.equal(200);
    const logged = lines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.map((l) => l.event)).to.deep.equal([
      'link_unsubscribe',
      'link_unsubscribe',
      'link_resubscribe',
    ]);
    expect(logged[0]).to.include({ keyId: 'k1', list: 'news', people: 0, via: 'one-click' });
    expect(logged[0]!.link).to.match(/^[0-9a-f]{16}$/);
    for (const l of lines.slice(before)) {
      expect(l.toLowerCase()).not.to.contain('secret.person');
      expect(l.toLowerCase()).not.to.contain('example.com');
    }
  });
});
