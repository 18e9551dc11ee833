import fs from 'node:fs';
import type { Config } from '../config.js';

type SecretSettings = Pick<
  Config,
  'userKeySecret' | 'userKeySecretFile' | 'unsubscribeLinkSecret' | 'unsubscribeLinkOldKeys'
>;

/**
 * What a backup of the embedded database is told to keep beside it, in one sentence: the secrets
 * in use, by the setting that gives them or the DATA_DIR file that holds them; none that is
 * neither set nor there (an operator told to keep a missing file looks for it, or thinks it
 * lost). `dataDirFiles`: where DATA_DIR keeps the key-sealing and the link secret. The secrets'
 * values are never said.
 */
export function secretsToKeep(
  config: SecretSettings,
  dataDirFiles: { userKey: string; linkKey: string },
): string {
  const file = (at: string): string | null => (fs.existsSync(at) ? at : null);
  const kept: Array<{ names: string[]; why: string }> = [];
  const userKey =
    config.userKeySecretFile !== ''
      ? `USER_KEY_SECRET_FILE (${config.userKeySecretFile})`
      : config.userKeySecret !== ''
        ? 'USER_KEY_SECRET'
        : file(dataDirFiles.userKey);
  if (userKey !== null) kept.push({ names: [userKey], why: 'stored SOAP keys are sealed with' });
  const linkKeys = [
    config.unsubscribeLinkSecret !== '' ? 'UNSUBSCRIBE_LINK_SECRET' : file(dataDirFiles.linkKey),
    config.unsubscribeLinkOldKeys.length > 0 ? 'UNSUBSCRIBE_LINK_OLD_KEYS' : null,
  ].filter((n): n is string => n !== null);
  if (linkKeys.length > 0)
    kept.push({
      names: linkKeys,
      why: 'a database that issued unsubscribe links starts only with',
    });
  if (kept.length === 0)
    return 'There is no secret to keep with it: DATA_DIR holds none, and USER_KEY_SECRET and UNSUBSCRIBE_LINK_SECRET are not set.';
  const names = kept.flatMap((k) => k.names);
  const list =
    names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
  const them = (k: { names: string[] }) => (k.names.length === 1 ? 'it' : 'them');
  const reasons =
    kept.length === 1
      ? `${kept[0]!.why} ${them(kept[0]!)}`
      : `${kept[0]!.why} the first, and ${kept[1]!.why} ${kept[1]!.names.length === 1 ? 'the second' : 'the others'}`;
  return `Keep ${list} with it, apart from it: ${reasons}.`;
}
