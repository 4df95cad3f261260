// Operational transformation of an incoming change over the ops committed
// since its base version. The committed op wins ties (DESIGN §3): at one
// position, text already in the log stays before the incoming insert.
import { transform } from '../../../web/src/sync/delta.js';
import type { Delta } from './quill-delta.js';

export function rebase(incoming: Delta, committedSinceBase: readonly { delta: Delta }[]): Delta {
  let delta = incoming;
  for (const op of committedSinceBase) delta = transform(op.delta, delta, true);
  return delta;
}
