import type { Services } from '../../src/domain/services.js';

/** A person a LastUpdateAt paging run served, and the updatedAt it was served with. */
export interface Served {
  id: number;
  at: number;
}

/** A LastUpdateAt paging position: the last (updatedAt, id) served. */
export type UpdatedPosition = { updatedAt: number; id: number } | null;

/**
 * One getMultipleLeads LastUpdateAt paging run from `oldest` (and `after`), a lead a page, to
 * its end (nothing remaining; 10 pages at most): what it served, and the position it reached.
 */
export async function pageUpdated(
  s: Services,
  oldest: number,
  after: UpdatedPosition = null,
): Promise<{ served: Served[]; after: UpdatedPosition }> {
  const served: Served[] = [];
  for (let pages = 0; pages < 10; pages++) {
    const page = await s.leads.listUpdated({ oldest, latest: null }, after, 1);
    for (const l of page.leads) served.push({ id: l.id, at: l.updatedAt.getTime() });
    const last = page.leads[page.leads.length - 1];
    if (last) after = { updatedAt: last.updatedAt.getTime(), id: last.id };
    if (page.remaining === 0) break;
  }
  return { served, after };
}
