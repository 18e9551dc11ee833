import type { GuardLimits } from '../../src/soap-transport/envelope-guard.js';

/** The endpoint's envelope limits for the benchmark's readers: the WSDL's members, in any case. */
export function wsdlGuardLimits(wsdlXml: string): GuardLimits {
  const members = new Set(
    [...wsdlXml.matchAll(/<xs:element\s+name="([^"]+)"/g)].map((m) => m[1]!.toLowerCase()),
  );
  return {
    maxDepth: 64,
    maxNameLength: 256,
    knownElements: { has: (n: string) => members.has(n.toLowerCase()) } as ReadonlySet<string>,
  };
}
