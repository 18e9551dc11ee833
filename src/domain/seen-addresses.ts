/**
 * The addresses one import has met, to reject a line that repeats an earlier one, in bounded
 * memory: 48-bit fingerprints in an open-addressing table that stops growing at `capacity`
 * addresses (8 bytes a slot, at most half full: 32 MiB for the default 2,000,000). A Set of
 * them grew with the file (hundreds of MiB for a list of millions) and could not hold more
 * than 16,777,216 at all: a larger list died there with a RangeError, every time it was run.
 * Past the capacity, an address not remembered is not known to repeat: it goes to the
 * database like any line, where an address already suppressed is left as it is (counted as
 * "already suppressed"), so the master status is the same either way.
 */
export class SeenAddresses {
  private slots: Float64Array;
  private held = 0;

  constructor(readonly capacity = 2_000_000) {
    this.slots = new Float64Array(Math.min(1 << 16, SeenAddresses.sizeFor(capacity)));
  }

  /** Slots for `n` fingerprints at most half full: a power of two. */
  private static sizeFor(n: number): number {
    let size = 16;
    while (size < n * 2) size *= 2;
    return size;
  }

  /** Whether the table stopped remembering new addresses. */
  get full(): boolean {
    return this.held >= this.capacity;
  }

  /**
   * True when `print` (a fingerprint below 2^53) was added before; otherwise remembers it,
   * while there is room, and answers false.
   */
  add(print: number): boolean {
    const value = print + 1; // 0 marks an empty slot
    const at = this.find(value);
    if (this.slots[at] === value) return true;
    if (this.full) return false;
    this.slots[at] = value;
    this.held++;
    if (this.held * 2 > this.slots.length) this.grow();
    return false;
  }

  /** The slot holding `value`, or the empty one where it would go (linear probing). */
  private find(value: number): number {
    const mask = this.slots.length - 1;
    // The low bits of a hash fingerprint are as well spread as any.
    let i = (value % this.slots.length) & mask;
    while (this.slots[i] !== 0 && this.slots[i] !== value) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    for (const value of old) if (value !== 0) this.slots[this.find(value)] = value;
  }
}
