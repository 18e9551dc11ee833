export interface LoginThrottleOptions {
  /** Failed logins one client address may make in windowMs. */
  maxFailures: number;
  windowMs: number;
  now?: () => number;
  /**
   * Bounds memory when many addresses or names fail: the oldest addresses are forgotten first;
   * accounts as accountToForget says, never one whose attempts wait.
   */
  maxTracked?: number;
  /** Failures in a row one account may have before each next attempt must wait. */
  accountFreeFailures?: number;
  /** The longest an account's wait grows to. */
  accountMaxBackoffMs?: number;
}

/** The window failed logins per client address are counted in. */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

/** Failures in a row an account may have for free, then 1 s, 2 s, 4 s… between attempts. */
export const ACCOUNT_FREE_FAILURES = 5;
export const ACCOUNT_MAX_BACKOFF_MS = 15 * 60 * 1000;
/** An account's failures are forgotten after this long without an attempt. */
const ACCOUNT_MEMORY_MS = 60 * 60 * 1000;
/** How long, and how many, client addresses an account logged in from are remembered. */
const KNOWN_CLIENT_MS = 30 * 24 * 60 * 60 * 1000;
const KNOWN_CLIENTS_PER_ACCOUNT = 8;

/**
 * An account's failures, counted under its name in any case (ALICE's guesses slow alice down
 * too), and how many of them each spelling made: operator names are case-sensitive, so one
 * operator's success takes back only its own spelling's.
 */
interface AccountState {
  failures: number;
  lastAt: number;
  bySpelling: Map<string, number>;
}

/**
 * A brake on password guessing, in this process only, on top of scrypt's cost per guess:
 * failed logins per client address in a sliding window, and per account an exponential wait
 * between attempts once it has failed several times in a row (from any address).
 *
 * An attempt is counted as a failure when it is admitted, before its password is checked, and
 * taken back if it succeeds: parallel requests cannot all pass the check while the first ones
 * are still hashing.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly accounts = new Map<string, AccountState>();
  /** Per account name (as spelt), the client addresses it logged in from, with when. */
  private readonly knownClients = new Map<string, Map<string, number>>();
  private readonly now: () => number;
  private readonly maxTracked: number;
  private readonly freeFailures: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.maxTracked = Math.max(1, options.maxTracked ?? 10000);
    this.freeFailures = options.accountFreeFailures ?? ACCOUNT_FREE_FAILURES;
    this.maxBackoffMs = options.accountMaxBackoffMs ?? ACCOUNT_MAX_BACKOFF_MS;
  }

  /**
   * Admits one login attempt of `client` for `account` (null: a name no operator can have) and
   * counts it as failed, or refuses it: returns the seconds to wait, 0 when admitted.
   */
  admit(client: string, account: string | null): number {
    // The account's wait holds back a guess spread over many addresses, and the operator with
    // it: whoever kept guessing could keep the operator out for good. An address the account
    // logged in from is held by its own limit only (a neighbour behind it guesses no faster).
    const accountWait = this.isKnownClient(client, account)
      ? 0
      : this.accountRetryAfterSeconds(account);
    const wait = Math.max(this.retryAfterSeconds(client), accountWait);
    if (wait > 0) return wait;
    const key = account?.toLowerCase();
    if (key !== undefined && !this.accounts.has(key) && this.accounts.size >= this.maxTracked) {
      // Room for a new name, or it waits until an account's wait ends: the names kept are
      // never the ones made-up names push out.
      const forget = this.accountToForget();
      if (typeof forget === 'number') return forget;
      this.accounts.delete(forget);
    }
    this.fail(client);
    if (key !== undefined) {
      const state = this.accountState(key);
      const bySpelling = new Map(state.bySpelling);
      bySpelling.set(account!, (bySpelling.get(account!) ?? 0) + 1);
      this.accounts.delete(key); // re-inserted last: the map stays in the order of attempts
      this.accounts.set(key, { failures: state.failures + 1, lastAt: this.now(), bySpelling });
    }
    return 0;
  }

  /** Accounts remembered (bounded by maxTracked). */
  trackedAccounts(): number {
    return this.accounts.size;
  }

  /**
   * The account to forget to make room, spraying made-up names in mind: the oldest forgotten one
   * (no attempt for ACCOUNT_MEMORY_MS), else the oldest with fewer failures than are free, else
   * the oldest whose wait is over; never one whose attempts wait now. When every one waits,
   * the seconds until the first wait ends (the new name waits that long).
   */
  private accountToForget(): string | number {
    const now = this.now();
    let waited: string | undefined;
    let soonestMs = Infinity;
    for (const [key, state] of this.accounts) {
      // The map is in the order of attempts: past the first account not forgotten none is, so
      // the first one forgotten or not escalated is the one to forget (no need to read on).
      if (now - state.lastAt > ACCOUNT_MEMORY_MS || state.failures < this.freeFailures) return key;
      const left = state.lastAt + this.backoffMs(state.failures) - now;
      if (left <= 0) waited ??= key;
      else soonestMs = Math.min(soonestMs, left);
    }
    return waited ?? Math.max(1, Math.ceil(soonestMs / 1000));
  }

  private backoffMs(failures: number): number {
    return Math.min(2 ** (failures - this.freeFailures) * 1000, this.maxBackoffMs);
  }

  /** Seconds until the client may try again, or 0 if it may try now. */
  retryAfterSeconds(client: string): number {
    const recent = this.recent(client);
    if (recent.length < this.options.maxFailures) return 0;
    const oldest = recent[recent.length - this.options.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.options.windowMs - this.now()) / 1000));
  }

  /** Seconds until the account may be tried again, from any address, or 0. */
  accountRetryAfterSeconds(account: string | null): number {
    if (account === null) return 0;
    const state = this.accountState(account.toLowerCase());
    if (state.failures < this.freeFailures) return 0;
    const left = state.lastAt + this.backoffMs(state.failures) - this.now();
    return left > 0 ? Math.max(1, Math.ceil(left / 1000)) : 0;
  }

  fail(client: string): void {
    const recent = this.recent(client);
    recent.push(this.now());
    remember(this.failures, client, recent, this.maxTracked);
  }

  /**
   * A successful login takes back the one failure its admission counted for the client, and
   * clears the account's failures made under its exact name. Not the client's whole count: whoever holds one password (an
   * operator's own) could otherwise log in between guesses at the other names and guess on
   * from the same address without end.
   */
  succeed(client: string, account: string | null = null): void {
    if (account !== null) this.rememberClient(client, account);
    const recent = this.recent(client);
    recent.pop();
    if (recent.length === 0) this.failures.delete(client);
    else this.failures.set(client, recent);
    if (account === null) return;
    // The failures of this very name only: another operator's name in another case (whose
    // password its holder knows) must not wipe the guesses at this one.
    const key = account.toLowerCase();
    const state = this.accountState(key);
    const own = state.bySpelling.get(account) ?? 0;
    if (own >= state.failures) {
      this.accounts.delete(key);
      return;
    }
    const bySpelling = new Map(state.bySpelling);
    bySpelling.delete(account);
    this.accounts.set(key, { ...state, failures: state.failures - own, bySpelling });
  }

  /** Whether `account` (as spelt) logged in from `client` within KNOWN_CLIENT_MS. */
  isKnownClient(client: string, account: string | null): boolean {
    if (account === null) return false;
    const at = this.knownClients.get(account)?.get(client);
    return at !== undefined && this.now() - at <= KNOWN_CLIENT_MS;
  }

  /**
   * Remembers that `account` (as spelt) logged in from `client`: a successful login does, and a
   * worker process is told of the instance's others (cluster/instance-limits.ts).
   */
  rememberClient(client: string, account: string): void {
    const clients = new Map(this.knownClients.get(account));
    remember(clients, client, this.now(), KNOWN_CLIENTS_PER_ACCOUNT);
    remember(this.knownClients, account, clients, this.maxTracked);
  }

  private recent(client: string): number[] {
    const since = this.now() - this.options.windowMs;
    return (this.failures.get(client) ?? []).filter((t) => t > since);
  }

  private accountState(key: string): AccountState {
    const state = this.accounts.get(key);
    if (!state || this.now() - state.lastAt > ACCOUNT_MEMORY_MS)
      return { failures: 0, lastAt: 0, bySpelling: new Map() };
    return state;
  }
}

/** Sets `key` as the newest entry of `map`, forgetting the oldest beyond `max`. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}
