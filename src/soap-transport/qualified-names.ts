/** A QName written in a value (an xsi:type), resolved with the namespace bindings in scope. */
export interface ResolvedQName {
  /** The QName as written, decoded, without the whitespace around it. */
  written: string;
  /** Its namespace: '' for none; undefined when its prefix is bound nowhere in scope. */
  ns: string | undefined;
  local: string;
}

/**
 * Resolves a QName value (decoded) as XML Schema reads one: the whitespace around it collapsed
 * away, its prefix looked up with `resolve` (the bindings in scope where the value stands), and
 * no prefix meaning the default namespace ('' when none is declared).
 */
export function resolveQName(
  value: string,
  resolve: (prefix: string) => string | undefined,
): ResolvedQName {
  const written = value.trim();
  const colon = written.indexOf(':');
  return {
    written,
    ns: resolve(colon === -1 ? '' : written.slice(0, colon)),
    local: written.slice(colon + 1),
  };
}
