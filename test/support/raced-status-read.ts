import type { Transactions } from '../../src/domain/ports.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `tx`, whose write units run `between` right after their first call of the status store's
 * `read` (`get`: a master status; `lastSubscribedAt`: an address's last re-subscribe): the
 * other request gets up to `waitMs` to commit (it may have to wait for this one's locks).
 * `done` is that request, once started.
 */
export function racingAfterStatusRead(
  tx: Transactions,
  read: 'get' | 'lastSubscribedAt',
  between: () => Promise<unknown>,
  waitMs: number,
): { tx: Transactions; done: () => Promise<unknown> } {
  let started: Promise<unknown> | null = null;
  const wrapped = new Proxy(tx, {
    get(target, name) {
      if (name === 'write')
        return (work: Parameters<Transactions['write']>[0]) =>
          target.write((repos) => {
            const statuses = repos.emailStatus;
            const original = (statuses[read] as (key: string) => Promise<unknown>).bind(statuses);
            const raced = new Proxy(statuses, {
              get(s, member) {
                if (member !== read) return Reflect.get(s, member, s) as unknown;
                return async (key: string) => {
                  const found = await original(key);
                  if (!started) {
                    started = between();
                    started.catch(() => undefined);
                    await Promise.race([started, pause(waitMs)]);
                  }
                  return found;
                };
              },
            });
            return work(
              new Proxy(repos, {
                get: (r, m) => (m === 'emailStatus' ? raced : (Reflect.get(r, m, r) as unknown)),
              }),
            );
          });
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { tx: wrapped, done: () => started ?? Promise.resolve() };
}
