/** The one-click scenario's link key and paths, shared by the benchmark and the profiler. */
import { LinkTokens } from '../../src/one-click/link-token.js';

const KEY = { id: 'bench', secret: 'benchmark-link-secret-0123456789abcdef' };
const tokens = new LinkTokens({ current: KEY, retired: [] }, 365 * 86400);
let runs = 0;

/** The service's environment for links: the bench's key, a rate limit counted but never hit. */
export const ONE_CLICK_ENV: Record<string, string> = {
  UNSUBSCRIBE_LINK_SECRET: KEY.secret,
  UNSUBSCRIBE_LINK_KEY_ID: KEY.id,
  UNSUBSCRIBE_RATE_LIMIT: '100000000',
};

export const ONE_CLICK_BODY = 'List-Unsubscribe=One-Click';
export const ONE_CLICK_TYPE = 'application/x-www-form-urlencoded';

/** A rotation of link paths, each for an address no rotation has used: every POST a change. */
export function oneClickPaths(): () => string {
  const run = runs++;
  let i = 0;
  return () => `/u/${tokens.create(`oneclick-${run}-${i++}@bench.example`)}`;
}
