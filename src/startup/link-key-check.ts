/**
 * The unsubscribe-link keys of a start (`serve`, and `link`/`headers`, which issue links),
 * checked against those the database has seen issue links: an RFC 8058 link already sent must
 * keep working. A start whose keys match none recorded is refused in one line, and a lost
 * DATA_DIR secret file is never made anew while a key is recorded: the operator restores it,
 * or accepts a new key on purpose ("durable-unsubscribe link-key accept").
 */
import { ConfigError, type Config } from '../config.js';
import type { Database } from '../data-access/database.js';
import { embeddedLinkSecretFile } from '../data-access/key-cipher.js';
import { LinkKeyFingerprintRepository } from '../data-access/link-key-fingerprint.repository.js';
import type { RecordedLinkKey } from '../domain/ports.js';
import {
  linkKeyFingerprint,
  linkTokensFromConfig,
  type LinkKey,
  type LinkTokens,
} from '../one-click/link-token.js';

export const ACCEPT_COMMAND = 'durable-unsubscribe link-key accept';

const recordOf = (key: LinkKey): RecordedLinkKey => ({
  fingerprint: linkKeyFingerprint(key),
  keyId: key.id,
});

const named = (keys: readonly RecordedLinkKey[]) =>
  [...new Set(keys.map((k) => `"${k.keyId}"`))].join(', ');

/** Whether the keys of `config` are checked against a database (links on, and one that lasts). */
export function linkKeysAreChecked(config: Config): boolean {
  if (config.databaseUrl) return config.unsubscribeLinkSecret !== '';
  return config.dataDir !== ':memory:';
}

/**
 * The link tokens of `config` (null: links are off), once the database agrees. `accept`: the
 * configured current key (the DATA_DIR file made if missing) is recorded whatever was before.
 * An in-memory database remembers nothing: its keys are taken as they are.
 */
export async function checkedLinkTokens(
  config: Config,
  database: Database,
  mode: 'start' | 'accept' = 'start',
): Promise<LinkTokens | null> {
  if (!linkKeysAreChecked(config)) return linkTokensFromConfig(config);
  const embedded = embeddedLinkSecretFile(config);
  const source = config.unsubscribeLinkSecret
    ? 'UNSUBSCRIBE_LINK_SECRET'
    : `DATA_DIR: ${embedded!.file}`;
  let secret = config.unsubscribeLinkSecret || embedded!.read();
  const retired = config.unsubscribeLinkOldKeys.map(recordOf);
  await new LinkKeyFingerprintRepository(database.knex).settle(async (recorded) => {
    const known = new Set(recorded.map((k) => k.fingerprint));
    if (secret === null) {
      if (recorded.length > 0 && mode === 'start')
        throw new ConfigError(
          `${source} is missing, and this database has issued unsubscribe links under key ${named(recorded)}: a new secret would break every link already sent; restore the file from a backup (or set UNSUBSCRIBE_LINK_SECRET to that secret), or, if it is truly lost, run "${ACCEPT_COMMAND}" to make a new one`,
        );
      secret = embedded!.make();
    }
    const current = recordOf({ id: config.unsubscribeLinkKeyId, secret });
    const matches = known.has(current.fingerprint) || retired.some((k) => known.has(k.fingerprint));
    if (recorded.length > 0 && !matches && mode === 'start')
      throw new ConfigError(
        `${source} (key "${current.keyId}") is not a key this database has issued unsubscribe links under (key ${named(recorded)}): the links already sent would not work here; configure that key (the other instances' UNSUBSCRIBE_LINK_SECRET and UNSUBSCRIBE_LINK_KEY_ID, the DATA_DIR file from a backup, or UNSUBSCRIBE_LINK_OLD_KEYS after a rotation), or, if it is truly lost, run "${ACCEPT_COMMAND}" to record this one`,
      );
    return known.has(current.fingerprint) ? null : current;
  });
  return linkTokensFromConfig(config, () => secret);
}
