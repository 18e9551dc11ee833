/** Most reads in one message: a bound on its size and on the wait of its last read. */
export const MOST_READS_PER_MESSAGE = 16;

/**
 * Gathers what is asked for in one turn of the event loop (the reads of the requests read
 * together from their sockets) and hands it over together once that turn ends, at most `most`
 * at a time: the next item after a full gathering starts one of its own. One gathering per
 * key (a knex client: the primary's, a replica's, the SQLite reader threads').
 */
export class TurnGatherer<K extends object, T> {
  private readonly gatheringOf = new WeakMap<K, { items: T[] | null }>();

  constructor(
    private readonly serve: (key: K, items: T[]) => void,
    private readonly most = MOST_READS_PER_MESSAGE,
  ) {}

  add(key: K, item: T): void {
    let state = this.gatheringOf.get(key);
    if (state === undefined) {
      state = { items: null };
      this.gatheringOf.set(key, state);
    }
    let items = state.items;
    if (items === null) {
      const gathered: T[] = (items = state.items = []);
      const of = state;
      setImmediate(() => {
        if (of.items === gathered) of.items = null;
        this.serve(key, gathered);
      });
    }
    items.push(item);
    if (items.length >= this.most) state.items = null;
  }
}
