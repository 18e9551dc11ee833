/**
 * The RFC 8058 header lines of an unsubscribe link (a module of its own; link-token.ts, the
 * library senders import, re-exports it).
 */
import { LinkKeyError } from './link-key-error.js';

/** The longest line of a message, without its CRLF (RFC 5322, section 2.1.1). */
const MAX_MAIL_LINE = 998;

/**
 * The two header lines RFC 8058 asks for, ready to paste into a message. A List-Unsubscribe
 * line longer than a message's line may be (a long address in another script) is folded: the
 * URL on lines of its own, cut only where one would be too long. RFC 2369 has whitespace
 * within the angle brackets ignored; unfolded, the line would be broken by mail servers
 * wherever they chose, and the message's DKIM signature with it.
 */
export function listUnsubscribeHeaders(url: string): string {
  // A line break or an angle bracket would end the URL, or the header, where the URL does not.
  if (/[\s<>]/.test(url)) throw new LinkKeyError('A link URL holds no white space, < or >');
  const line = `List-Unsubscribe: <${url}>`;
  const unsubscribe = line.length <= MAX_MAIL_LINE ? line : foldedListUnsubscribe(url);
  return `${unsubscribe}\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n`;
}

function foldedListUnsubscribe(url: string): string {
  // Each continuation line starts with a space.
  const room = MAX_MAIL_LINE - 1;
  const lines = ['List-Unsubscribe:'];
  let rest = `<${url}>`;
  for (; rest.length > room; rest = rest.slice(room)) lines.push(` ${rest.slice(0, room)}`);
  lines.push(` ${rest}`);
  return lines.join('\r\n');
}
