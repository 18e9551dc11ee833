/** What the link library throws for a link it will not make (link-token.ts re-exports it). */
export class LinkKeyError extends Error {
  override name = 'LinkKeyError';
}
