/**
 * Environment variables that look like a setting but are not one (a typo, another unit, the
 * wrong case): the service ignores them, so an operator who set MAX_BODY_SIZE believing it
 * limits bodies is told so instead of silently running on the default.
 */

export interface Lookalike {
  /** The variable as set (its value is never shown: it may be a secret). */
  name: string;
  /** The setting it most likely meant. */
  meant: string;
}

// Words that name a unit or a kind of limit: MAX_BODY_SIZE and MAX_BODY_BYTES say the same.
const UNIT =
  /_(MS|MILLIS|MILLISECONDS|S|SEC|SECS|SECONDS|MIN|MINS|MINUTES|H|HOURS|DAYS|BYTES|KB|MB|GB|SIZE|PERCENT|PCT|PAGES|COUNT|NUMBER|MAX|LIMIT)$/;
// Prefixes only this service's settings use: anything else under them is a mistake.
const OWN_PREFIXES = ['MKTOWS_', 'SFDC_', 'UNSUBSCRIBE_'];

function stem(name: string): string {
  let s = name;
  for (let previous = ''; previous !== s;) {
    previous = s;
    s = s.replace(UNIT, '');
  }
  return s;
}

/** Edit distance, stopping early once above `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost);
      best = Math.min(best, next[j]!);
    }
    if (best > limit) return limit + 1;
    row = next;
  }
  return row[b.length]!;
}

function closest(name: string, known: readonly string[]): string | null {
  const upper = name.toUpperCase();
  if (known.includes(upper)) return upper;
  const sameStem = known.find((k) => stem(k) === stem(upper) && stem(upper).includes('_'));
  if (sameStem) return sameStem;
  // One edit in a short name, two in a long one (HOME is not a misspelt HOST).
  const limit = upper.length >= 8 ? 2 : 1;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = distance(upper, k, limit);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  if (best) return best;
  if (OWN_PREFIXES.some((p) => upper.startsWith(p))) {
    const prefix = OWN_PREFIXES.find((p) => upper.startsWith(p))!;
    return known.find((k) => k.startsWith(prefix)) ?? null;
  }
  return null;
}

/** The variables of `env` that are not settings but look like one of `known`, by name. */
export function settingLookalikes(env: NodeJS.ProcessEnv, known: readonly string[]): Lookalike[] {
  const found: Lookalike[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.includes(name) || env[name] === undefined) continue;
    const meant = closest(name, known);
    if (meant) found.push({ name, meant });
  }
  return found;
}

/** One line per look-alike, naming both variables, never a value. */
export function lookalikeLine(l: Lookalike): string {
  return `${l.name} is not a setting and is ignored; did you mean ${l.meant}? ("durable-unsubscribe config --defaults" lists the settings)`;
}
