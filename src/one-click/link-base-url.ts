/**
 * The base URL a sender's links are made on (unsubscribeLink), read as the service reads
 * UNSUBSCRIBE_BASE_URL: white space around it removed (a value a secret store or a file hands
 * over keeps its line end), an absolute http(s) URL without query, fragment, quotes or spaces.
 * Taken as given, "https://unsub.example.com\n" made links broken in every message, and a
 * List-Unsubscribe line broken in two, whose one-click no mailbox provider offered.
 */
import { ConfigError } from '../config.js';
import { publicBaseUrl } from '../config/parse.js';
import { LinkKeyError } from './link-key-error.js';

const EXAMPLE = 'https://unsubscribe.example.com';
const read = publicBaseUrl('baseUrl', EXAMPLE);

export function linkBaseUrl(given: string): string {
  let base: string;
  try {
    base = read(given);
  } catch (error) {
    if (error instanceof ConfigError) throw new LinkKeyError(error.message);
    throw error;
  }
  if (base === '')
    throw new LinkKeyError(`baseUrl is the public URL of the service, e.g. ${EXAMPLE}`);
  return base;
}
