import { ConfigError, type Config } from '../config.js';
import { validateEmail } from '../domain/email-key.js';
import { isAppError } from '../errors.js';
import { isListName, listUnsubscribeHeaders, type LinkTokens } from '../one-click/link-token.js';
import { boundedLines } from './bounded-lines.js';
import { csvField } from '../csv/csv-row.js';
import { plainHttpLinkWarning } from '../config/one-click.settings.js';

/** An address is 254 characters at most; a longer line is not one, whatever its spaces. */
const MAX_ADDRESS_LINE_BYTES = 4096;

export const LINK_HELP =
  'Usage: durable-unsubscribe link EMAIL [--list NAME]\n       durable-unsubscribe link - [--list NAME]\n       durable-unsubscribe headers EMAIL [--list NAME]\n\n"link" prints the signed unsubscribe URL of the address (UNSUBSCRIBE_BASE_URL/u/<token>);\n"link -" reads addresses from standard input, one a line, and writes CSV (email,unsubscribe_url)\nfor a mail tool that can only fill a field per person; bad addresses go to standard error.\n"headers" prints the List-Unsubscribe and List-Unsubscribe-Post lines (RFC 8058) to put in a\nmessage. The token is sealed with UNSUBSCRIBE_LINK_SECRET (key UNSUBSCRIBE_LINK_KEY_ID) and\nworks for UNSUBSCRIBE_LINK_MAX_AGE_DAYS. --list records a list or topic name with the change.\nA key the database has not seen issue links is refused: see "durable-unsubscribe link-key --help".\nSenders can compute the same links themselves: see docs/one-click.md.';

/** Makes unsubscribe URLs with `tokens` (null: links are off), as the service reads them. */
function linkMaker(
  config: Config,
  tokens: LinkTokens | null,
  list?: string,
): (email: string) => string {
  if (!tokens)
    throw new ConfigError(
      'UNSUBSCRIBE_LINK_SECRET is not set: unsubscribe links are off (PostgreSQL needs one)',
    );
  const base = linkBase(config);
  return (email) => `${base}/u/${tokens.create(validateEmail(email), { list: list ?? null })}`;
}

/** Where links point: UNSUBSCRIBE_BASE_URL, else PUBLIC_URL, else this machine. */
function linkBase(config: Config): string {
  return (
    config.unsubscribeBaseUrl ||
    config.publicUrl.replace(/\/+$/, '') ||
    `http://localhost:${config.port}`
  );
}

/** `link -`: one CSV line per valid address of the input; the rest reported, exit 1. */
async function linksFromLines(
  input: NodeJS.ReadableStream,
  makeLink: (email: string) => string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  out.write('email,unsubscribe_url\n');
  let line = 0;
  let rejected = 0;
  for await (const raw of boundedLines(input as AsyncIterable<Buffer>, MAX_ADDRESS_LINE_BYTES)) {
    line++;
    if (raw.tooLong) {
      rejected++;
      err.write(`line ${line}: longer than ${MAX_ADDRESS_LINE_BYTES} bytes, not an address\n`);
      continue;
    }
    const email = raw.text.trim();
    if (email === '') continue;
    // Read with U+FFFD, "café@" in Windows-1252 would get a link to an address nobody holds.
    if (!raw.utf8) {
      rejected++;
      err.write(`line ${line}: not UTF-8 text (save the list as UTF-8); no link made\n`);
      continue;
    }
    try {
      out.write(`${csvField(email)},${csvField(makeLink(email))}\n`);
    } catch (error) {
      if (!isAppError(error)) throw error;
      rejected++;
      err.write(`line ${line}: ${error.message}\n`);
    }
  }
  return rejected > 0 ? 1 : 0;
}

export async function runLinkCommand(
  command: 'link' | 'headers',
  args: string[],
  config: Config,
  io: { in: NodeJS.ReadableStream; out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  /** The configured keys, once the database has agreed they are those that issued links. */
  linkTokens: () => Promise<LinkTokens | null>,
): Promise<number> {
  const email = args[0];
  const listAt = args.indexOf('--list');
  const list = listAt >= 0 ? args[listAt + 1] : undefined;
  if (!email || email.startsWith('--') || (listAt >= 0 && !list)) {
    io.err.write(LINK_HELP + '\n');
    return 2;
  }
  // Before any link is made or any input read (the name is not echoed: it may hold anything).
  if (list !== undefined && !isListName(list)) {
    io.err.write('--list takes a list name: 1 to 64 of A-Z a-z 0-9 . _ -\n');
    return 2;
  }
  // Something that is no address is wrong usage, said before the database is opened.
  if (command === 'headers' || email !== '-') {
    try {
      validateEmail(email);
    } catch (error) {
      if (!isAppError(error)) throw error;
      io.err.write(`${error.message}\n`);
      return 2;
    }
  }
  const base = linkBase(config);
  if (!config.unsubscribeBaseUrl && !config.publicUrl)
    io.err.write(`UNSUBSCRIBE_BASE_URL (or PUBLIC_URL) is not set: the link points at ${base}\n`);
  // A plain http base elsewhere than here was said already (settingWarnings, linkBaseWarning).
  else if (
    !base.startsWith('https://') &&
    !plainHttpLinkWarning(config.unsubscribeBaseUrl) &&
    !(!config.unsubscribeBaseUrl && plainHttpLinkWarning(config.publicUrl, 'PUBLIC_URL'))
  )
    io.err.write('RFC 8058: mailbox providers use one-click only with an https URL\n');
  const makeLink = linkMaker(config, await linkTokens(), list);
  if (command === 'link' && email === '-') return linksFromLines(io.in, makeLink, io.out, io.err);
  const url = makeLink(email);
  io.out.write(
    command === 'link' ? `${url}\n` : listUnsubscribeHeaders(url).replace(/\r\n/g, '\n'),
  );
  return 0;
}

export const LINK_KEY_HELP =
  'Usage: durable-unsubscribe link-key accept\n\nThe database remembers a fingerprint (never the secret) of every unsubscribe-link key that\nissued links; "serve", "link" and "headers" refuse to start when none of the configured keys\n(UNSUBSCRIBE_LINK_SECRET, or DATA_DIR/unsubscribe-link.secret, and UNSUBSCRIBE_LINK_OLD_KEYS)\nis one of them, and never make a lost DATA_DIR secret file anew: the links already sent would\nstop working. Restore the key from a backup. Only if it is truly lost: "accept" records the\nconfigured current key (making the DATA_DIR file if missing); every link issued under a lost\nkey then stays broken (403). See docs/one-click.md.';

/** `link-key accept`: records the configured current key, whatever the database had seen. */
export async function runLinkKeyCommand(
  args: string[],
  config: Config,
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
  accept: () => Promise<LinkTokens | null>,
): Promise<number> {
  if (args[0] !== 'accept') {
    io.err.write(LINK_KEY_HELP + '\n');
    return 2;
  }
  if (!(await accept()))
    throw new ConfigError('UNSUBSCRIBE_LINK_SECRET is not set: there is no link key to accept');
  io.out.write(
    `unsubscribe-link key "${config.unsubscribeLinkKeyId}" recorded: serve, link and headers start with it\n`,
  );
  return 0;
}
