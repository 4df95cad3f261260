// Reverting a run (revertRun): the one forward op that takes back every op
// of an agent's run while keeping what everyone else wrote around and after
// it. Pure: the server feeds it the log from the run's first op to the head.
//
// The walk is forward, in log order, keeping one delta `undo` that leads
// from the real document at that point to the document as it would be had
// the run never happened:
//   - a run op `o` (applied to content C): undo' = invert(o, C) ∘ undo:
//     first take `o` back, then what was already owed;
//   - anyone else's op `h`: both `h` and `undo` apply to the same content,
//     so `undo` is transformed over `h` (h' = h seen from the run-less
//     document; undo' = undo seen after h, so that h ∘ undo' = undo ∘ h').
//     `h` goes first at a tie: its inserts stay before any text the revert
//     puts back at the same spot, and its formats win over the run's
//     inverse formats (someone who formatted after the agent keeps theirs).
// At the head, `undo` is the revert. Later ops of the run are inverted at
// their own place in the walk, so a run that edits its own text (inserts
// then fixes it) comes back out in one piece.
//
// Content is needed only to invert run ops: it is composed forward from
// the content before the run's first op, and dropped after its last one.
// Cost: one compose per op up to the run's last op, one transform per op
// after the first; nothing is read twice.
//
// What "survives" means when people touched the run's text
// (docs/protocol.md §11, revertRun):
//   - text the run inserted goes, with whatever was done to it (formats,
//     deletions of part of it); text people typed inside it stays;
//   - text the run deleted comes back where it was, unless someone had
//     already deleted it before the run's op committed (then the run did
//     not delete it: the log's op does not contain it);
//   - formats the run set go back to what they were before the run's op,
//     except where someone set the same format after it (theirs stays);
//   - text people typed exactly where the run deleted text lands before the
//     restored text (the tie above): the log cannot tell which side of the
//     deleted text they meant.
import { Delta, transform } from './delta.ts';

export class RunRevert {
  /** The content the next op applies to, while run ops are still to come. */
  private content: Delta | null;
  private runOpsLeft: number;
  private undo = new Delta();

  /**
   * @param base the document just before the run's first op.
   * @param runOps how many ops the run has: after the last one, content is no longer kept.
   */
  constructor(base: Delta, runOps: number) {
    this.content = base;
    this.runOpsLeft = runOps;
  }

  /** The next op of the log (from the run's first op on, in version order, without gaps). */
  add(delta: Delta, inRun: boolean): void {
    if (inRun) {
      if (this.content === null) throw new RangeError('RunRevert: more run ops than announced');
      this.undo = delta.invert(this.content).compose(this.undo);
      this.runOpsLeft -= 1;
    } else {
      // Both apply to the same content; `delta` was committed, so it goes first.
      this.undo = transform(delta, this.undo, true);
    }
    if (this.content !== null) this.content = this.runOpsLeft > 0 ? this.content.compose(delta) : null;
  }

  /** The revert, applying to the document after the last op added. */
  result(): Delta {
    if (this.runOpsLeft > 0) throw new RangeError('RunRevert: the run has ops not added yet');
    return this.undo.chop();
  }
}

/** The revert of the run in one call: `ops` from the run's first op to the head. */
export function revertDelta(base: Delta, ops: readonly { delta: Delta; inRun: boolean }[]): Delta {
  const revert = new RunRevert(base, ops.filter((op) => op.inRun).length);
  for (const op of ops) revert.add(op.delta, op.inRun);
  return revert.result();
}
