import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { validateEmail } from '../domain/email-key.js';
import { linkTokensFromConfig, listUnsubscribeHeaders } from '../one-click/link-token.js';

export const LINK_HELP =
  'Usage: durable-unsubscribe link EMAIL [--list NAME]\n       durable-unsubscribe headers EMAIL [--list NAME]\n\n"link" prints the signed unsubscribe URL of the address (UNSUBSCRIBE_BASE_URL/u/<token>);\n"headers" prints the List-Unsubscribe and List-Unsubscribe-Post lines (RFC 8058) to put in a\nmessage. The token is sealed with UNSUBSCRIBE_LINK_SECRET (key UNSUBSCRIBE_LINK_KEY_ID) and\nworks for UNSUBSCRIBE_LINK_MAX_AGE_DAYS. --list records a list or topic name with the change.\nSenders can compute the same links themselves: see docs/one-click.md.';

/** The URL of an address's unsubscribe link, as the service configured by `config` reads it. */
export function linkFor(config: Config, email: string, list?: string): string {
  const tokens = linkTokensFromConfig(config);
  if (!tokens)
    throw new ConfigError('UNSUBSCRIBE_LINK_SECRET is not set: unsubscribe links are off');
  const base = config.unsubscribeBaseUrl || `http://localhost:${config.port}`;
  return `${base}/u/${tokens.create(validateEmail(email), { list: list ?? null })}`;
}

export function runLinkCommand(
  command: 'link' | 'headers',
  args: string[],
  config: Config,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): number {
  const email = args[0];
  const listAt = args.indexOf('--list');
  const list = listAt >= 0 ? args[listAt + 1] : undefined;
  if (!email || email.startsWith('--') || (listAt >= 0 && !list)) {
    err.write(LINK_HELP + '\n');
    return 2;
  }
  if (!config.unsubscribeBaseUrl)
    err.write(
      `UNSUBSCRIBE_BASE_URL is not set: the link points at http://localhost:${config.port}\n`,
    );
  else if (!config.unsubscribeBaseUrl.startsWith('https://'))
    err.write('RFC 8058: mailbox providers use one-click only with an https URL\n');
  const url = linkFor(config, email, list);
  out.write(command === 'link' ? `${url}\n` : listUnsubscribeHeaders(url).replace(/\r\n/g, '\n'));
  return 0;
}
