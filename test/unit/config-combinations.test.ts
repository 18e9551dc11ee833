import { Writable } from 'node:stream';
import { expect } from 'chai';
import { runConfigCommand } from '../../src/cli/config.command.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const OLD_SECRET = 'an-old-link-secret-of-32-characters-or-more';

/** What `config` prints and its exit code. */
function configCommand(env: NodeJS.ProcessEnv): { code: number; text: string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  return { code: runConfigCommand([], env, out), text };
}

describe('settings that contradict each other', () => {
  it('METRICS_PORT equal to PORT is refused naming both, not reported as a port in use', () => {
    const env = { PORT: '18123', METRICS_PORT: '18123' };
    expect(() => loadConfig(env)).to.throw(
      ConfigError,
      /^METRICS_PORT \(18123\) must differ from PORT \(18123\)/,
    );
    expect(configCommand(env).code).to.equal(1);
    // Port 0 is "any free port" for each: no clash.
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' }).metricsPort).to.equal(0);
  });

  it('UNSUBSCRIBE_LINK_KEY_ID named again in UNSUBSCRIBE_LINK_OLD_KEYS is refused by config, as start and link refuse it', () => {
    const env = {
      UNSUBSCRIBE_LINK_KEY_ID: 'k1',
      UNSUBSCRIBE_LINK_OLD_KEYS: `k1:${OLD_SECRET}`,
    };
    expect(() => loadConfig(env)).to.throw(
      ConfigError,
      /^UNSUBSCRIBE_LINK_OLD_KEYS holds k1, the id of the current key \(UNSUBSCRIBE_LINK_KEY_ID\)/,
    );
    const shown = configCommand(env);
    expect(shown.code).to.equal(1);
    expect(shown.text).to.not.contain(OLD_SECRET);
    expect(() =>
      loadConfig({ UNSUBSCRIBE_LINK_OLD_KEYS: `k0:${OLD_SECRET},k0:${OLD_SECRET}` }),
    ).to.throw(ConfigError, /^UNSUBSCRIBE_LINK_OLD_KEYS holds k0 twice/);
    expect(
      loadConfig({ UNSUBSCRIBE_LINK_KEY_ID: 'k2', UNSUBSCRIBE_LINK_OLD_KEYS: `k1:${OLD_SECRET}` })
        .unsubscribeLinkOldKeys,
    ).to.have.length(1);
  });
});
