// Seeded, stateless-by-derivation random numbers for masks and shuffling: every stream is
// derived from (seed, purpose, index), so a run resumed at step t draws what an uninterrupted
// run draws at step t.

/** splitmix64-style mixing of 32-bit words; returns a 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9 >>> 0;
  for (const p of parts) {
    let x = (Math.floor(p) >>> 0) ^ Math.floor(p / 4294967296);
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    h = Math.imul(h ^ x ^ (x >>> 16), 0x27d4eb2f) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}

/** A small seeded generator (mulberry32). */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** uniform in [0, 1) */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Fisher-Yates shuffle in place */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
