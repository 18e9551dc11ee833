/**
 * Waiting for something another process does (a server ready, a standby streaming, a health
 * check passed) by the clock, not by a count of rounds: on a loaded machine each round of a
 * poll takes longer than its pause, and a bound of "200 rounds of 25 ms" runs out in far less
 * wall time than it seems to allow once the check itself is slow. The bounds are generous: a
 * wait that is met returns as soon as it is, so only a failure costs the whole bound.
 */

/** How long a test waits, at most, for another process to reach a state (ms). */
export const SETTLE_MS = 60000;

/**
 * Polls `check` every `everyMs` until it answers true or `withinMs` have passed; whether it
 * did. The last check is made at or after the deadline, so a slow round never loses the race.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  withinMs = SETTLE_MS,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** waitFor, failing with `what` (and the last error `check` threw, if any) when not met. */
export async function settle(
  what: string,
  check: () => boolean | Promise<boolean>,
  withinMs = SETTLE_MS,
  everyMs = 50,
): Promise<void> {
  let last: unknown;
  const met = await waitFor(
    async () => {
      try {
        return await check();
      } catch (error) {
        last = error;
        return false;
      }
    },
    withinMs,
    everyMs,
  );
  if (!met)
    throw new Error(
      `${what}: not within ${withinMs} ms${last instanceof Error ? ` (last: ${last.message})` : ''}`,
    );
}
