/** Pieces smaller than this are copied into blocks of this size rather than kept one by one. */
export const BLOCK_BYTES = 16 * 1024;

/**
 * The pieces of a request body as they arrive, kept so that a body sent in tiny pieces costs
 * about what its bytes do. node hands every piece of a chunked body (and every read of a slow
 * one) to the stream as a Buffer of its own: kept one by one, a body sent as one-byte chunks
 * cost some 260 bytes of heap per byte (measured: ten unauthenticated SOAP requests of
 * 60,000 one-byte chunks each, 360 KB on the wire apiece, held 159 MB until their body timeout;
 * a few hundred such connections would exhaust the heap). A piece smaller than BLOCK_BYTES is
 * copied into a block; the first piece and large ones are kept as they are, so a body that
 * arrives in one piece (most) is that piece, not a copy. At most twice the body's bytes are
 * held, whatever the pieces.
 */
export class BodyPieces {
  private readonly kept: Buffer[] = [];
  private block: Buffer | null = null;
  private filled = 0;
  /** Bytes so far. */
  size = 0;

  add(piece: Buffer): void {
    this.size += piece.length;
    if ((this.kept.length === 0 && this.block === null) || piece.length >= BLOCK_BYTES) {
      this.seal();
      this.kept.push(piece);
      return;
    }
    if (this.block !== null && this.filled + piece.length > this.block.length) this.seal();
    this.block ??= Buffer.allocUnsafe(BLOCK_BYTES);
    piece.copy(this.block, this.filled);
    this.filled += piece.length;
  }

  /** Every byte so far, in one Buffer (the first piece itself when it is the only one). */
  all(): Buffer {
    if (this.block === null && this.kept.length === 1) return this.kept[0]!;
    const pieces = this.block === null ? this.kept : [...this.kept, this.open()];
    return Buffer.concat(pieces, this.size);
  }

  /** The block's filled part. */
  private open(): Buffer {
    return this.block!.subarray(0, this.filled);
  }

  /** The block, if any, joins the kept pieces as far as it is filled; the next starts anew. */
  private seal(): void {
    if (this.block === null) return;
    this.kept.push(this.open());
    this.block = null;
    this.filled = 0;
  }
}
