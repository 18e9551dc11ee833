/**
 * mulberry32: a small seeded generator, the same sequence on every machine, so that a failing
 * run of a randomised test can be replayed from its seed. One copy for every test that draws
 * numbers from a seed (hammer.ts, durable-model-run.ts, soap/fast-read-oddities.ts).
 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
