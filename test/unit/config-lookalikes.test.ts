import { expect } from 'chai';
import { settings, settingWarnings } from '../../src/config.js';
import { settingLookalikes } from '../../src/config/lookalikes.js';

const known = Object.values(settings).map((s) => s.env);
const meant = (env: Record<string, string>) =>
  settingLookalikes(env, known).map((l) => `${l.name}->${l.meant}`);

describe('variables that look like a setting but are not one', () => {
  it('names the setting a typo, another unit, another case or a plural most likely meant', () => {
    expect(
      meant({
        MAX_BODY_SIZE: '5',
        max_body_bytes: '5',
        LOGLEVEL: 'debug',
        REQUEST_TIMEOUT: '30',
        REQUEST_TIMEOUT_SECONDS: '30',
        WORKER: '2',
        PORTS: '80',
        DB_POOL_SIZE: '4',
        MKTOWS_USER: 'a:b',
        UNSUBSCRIBE_SECRET: 'x',
        SFDC_ORGS: 'x',
        ADMIN_SESSION_HOUR: '8',
      }),
    ).to.deep.equal([
      'ADMIN_SESSION_HOUR->ADMIN_SESSION_HOURS',
      'DB_POOL_SIZE->DB_POOL_MAX',
      'LOGLEVEL->LOG_LEVEL',
      'MAX_BODY_SIZE->MAX_BODY_BYTES',
      'MKTOWS_USER->MKTOWS_USERS',
      'PORTS->PORT',
      'REQUEST_TIMEOUT->REQUEST_TIMEOUT_MS',
      'REQUEST_TIMEOUT_SECONDS->REQUEST_TIMEOUT_MS',
      'SFDC_ORGS->SFDC_ORG_IDS',
      'UNSUBSCRIBE_SECRET->UNSUBSCRIBE_LINK_SECRET',
      'WORKER->WORKERS',
      'max_body_bytes->MAX_BODY_BYTES',
    ]);
  });

  it('leaves the settings themselves and the usual variables of a machine alone', () => {
    const usual = [
      ...known,
      'HOME',
      'HOSTNAME',
      'PATH',
      'USER',
      'LOGNAME',
      'LANG',
      'TERM',
      'PWD',
      'SHELL',
      'TZ',
      'NODE_ENV',
      'NODE_OPTIONS',
      'NODE_EXTRA_CA_CERTS',
      'UV_THREADPOOL_SIZE',
      'DEBUG',
      'PGHOST',
      'PGPORT',
      'PGUSER',
      'PGPASSWORD',
      'PGDATABASE',
      'HTTP_PROXY',
      'NO_PROXY',
      'KUBERNETES_SERVICE_HOST',
      'KUBERNETES_SERVICE_PORT',
      'KUBERNETES_PORT',
      'TMPDIR',
      'CI',
      'npm_config_cache',
      'npm_lifecycle_event',
      'INIT_CWD',
      'INVOCATION_ID',
      'JOURNAL_STREAM',
      'NOTIFY_SOCKET',
      'STATE_DIRECTORY',
      'CREDENTIALS_DIRECTORY',
      'FORCE_COLOR',
      'NO_COLOR',
    ];
    expect(meant(Object.fromEntries(usual.map((n) => [n, 'x'])))).to.deep.equal([]);
  });

  it('one line per variable naming both, never its value (it may be a secret)', () => {
    const lines = settingWarnings({ UNSUBSCRIBE_LINK_SECRETS: 'hunter2-very-secret' });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^UNSUBSCRIBE_LINK_SECRETS is not a setting and is ignored; did you mean UNSUBSCRIBE_LINK_SECRET\?/,
    );
    expect(lines[0]).to.not.contain('hunter2');
  });
});
