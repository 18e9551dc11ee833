import crypto from 'node:crypto';
import { expect } from 'chai';
import { BLOCK_BYTES, BodyPieces } from '../../src/soap-transport/body-pieces.js';

/** `body` cut at random places, pieces of 1 to `most` bytes. */
function cut(body: Buffer, most: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    const length = 1 + crypto.randomInt(most);
    pieces.push(Buffer.from(body.subarray(at, at + length)));
    at += length;
  }
  return pieces;
}

describe('BodyPieces', () => {
  it('gives back a body whole, whatever its pieces', () => {
    const body = crypto.randomBytes(200_000);
    for (const most of [1, 7, 1000, BLOCK_BYTES - 1, BLOCK_BYTES + 1, 70_000]) {
      const pieces = new BodyPieces();
      for (const piece of cut(body, most)) {
        pieces.add(piece);
        // A look at the start in between changes nothing after.
        if (pieces.size % 997 === 0)
          expect(pieces.all()).to.deep.equal(body.subarray(0, pieces.size));
      }
      expect(pieces.size).to.equal(body.length);
      expect(pieces.all().equals(body), `pieces of up to ${most} bytes`).to.equal(true);
    }
  });

  it('is the one piece itself when the body came in one', () => {
    const piece = Buffer.from('<Envelope/>');
    const pieces = new BodyPieces();
    pieces.add(piece);
    expect(pieces.all()).to.equal(piece);
  });

  it('keeps tiny pieces in blocks, not one object each', () => {
    const pieces = new BodyPieces();
    for (let i = 0; i < 100_000; i++) pieces.add(Buffer.from('a'));
    const kept = (pieces as unknown as { kept: Buffer[] }).kept;
    // The first piece, then full blocks.
    expect(kept.length).to.be.at.most(1 + Math.ceil(100_000 / BLOCK_BYTES));
    expect(pieces.all().toString()).to.equal('a'.repeat(100_000));
  });
});
