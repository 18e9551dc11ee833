import { expect } from 'chai';
import { serveBanner } from '../../src/cli/serve-banner.js';
import type { Running } from '../../src/main.js';
import { VERSION } from '../../src/package-info.js';

describe('the start banner', () => {
  const running = {
    port: 8080,
    database: { engine: 'sqlite', location: '/srv/data/durable-unsubscribe.sqlite' },
    developmentUser: {
      userId: 'du_0123456789abcdef',
      encryptionKey: 'A'.repeat(48),
      keyFile: '/srv/data/development-user.txt',
    },
    metricsPort: null,
  } as unknown as Running;

  it('names the version, the endpoint, the WSDL and the operator pages', () => {
    const text = serveBanner(running, false, '127.0.0.1');
    expect(text).to.match(new RegExp(`^durable-unsubscribe ${VERSION} listening on port 8080 `));
    expect(text).to.contain('http://localhost:8080/soap/mktows/2_9?WSDL');
    expect(text).to.contain('http://localhost:8080/admin/');
  });

  it("points to the development user's key file; shows the key only on a terminal", () => {
    const logged = serveBanner(running, false, '127.0.0.1');
    expect(logged).to.contain('/srv/data/development-user.txt');
    expect(logged).to.not.contain('A'.repeat(48));
    expect(serveBanner(running, true, '127.0.0.1')).to.contain(`encryptionKey: ${'A'.repeat(48)}`);
  });

  it('names the metrics listener when there is one, on its own host and port', () => {
    expect(serveBanner(running, false, '127.0.0.1')).to.not.contain('/metrics');
    const withMetrics = { ...running, metricsPort: 9464 } as Running;
    expect(serveBanner(withMetrics, false, '::1')).to.contain('http://[::1]:9464/metrics');
  });
});
