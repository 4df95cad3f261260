// Reproducible random rich-text edits for integration tests.
import { Delta } from '../../web/src/sync/ot-client.ts';

/** A deterministic pseudo-random sequence in [0, 1) (tests must be reproducible). */
export function prng(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** An insert, delete or format at a random place of `doc`. */
export function randomEdit(doc: Delta, rand: () => number): Delta {
  const length = doc.length();
  const pos = Math.floor(rand() * (length + 1));
  const roll = rand();
  if (roll < 0.6 || length - pos < 1) return new Delta().retain(pos).insert(['a', 'bc', ' ', 'xyz', '\n'][Math.floor(rand() * 5)]!);
  const span = Math.min(length - pos, 1 + Math.floor(rand() * 3));
  if (roll < 0.85) return new Delta().retain(pos).delete(span);
  return new Delta().retain(pos).retain(span, rand() < 0.5 ? { bold: true } : { italic: true });
}

