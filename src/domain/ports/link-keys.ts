/** An unsubscribe-link key as the database remembers it: its fingerprint, never its secret. */
export interface RecordedLinkKey {
  fingerprint: string;
  keyId: string;
}

/** The link keys that have issued links, so that a start with other keys is refused. */
export interface LinkKeyFingerprintStore {
  /**
   * Reads the recorded keys and records what `decide` returns (null: nothing), holding a lock
   * that a concurrent start waits for: two starts on an empty table cannot both record.
   * `decide` may throw, which records nothing.
   */
  settle(
    decide: (recorded: readonly RecordedLinkKey[]) => Promise<RecordedLinkKey | null>,
  ): Promise<void>;
}
