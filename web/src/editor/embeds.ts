// What the editor can show of a document's embeds. The API accepts any
// embed (an object with one key), but Quill can only build blots it knows,
// and one it does not know (`{ mention: "bob" }`) makes it throw and the
// page go blank. So content on its way into Quill has every embed it cannot
// show safely swapped for a placeholder blot that carries the original, and
// edits on their way out get the original back: the document itself never
// changes, only what Quill is handed. Images are shown when their URL is
// safe (protocol/safe-url.ts); anything else is a placeholder.
import { isSafeImage } from '../../../protocol/safe-url.ts';
import { Delta, type DeltaOp } from '../sync/index.ts';

/** The placeholder's blot name (unknown-embed-blot.ts); its value is the original embed. */
export const UNKNOWN_EMBED = 'unknown-embed';

type Embed = Record<string, unknown>;

const isEmbed = (insert: unknown): insert is Embed => typeof insert === 'object' && insert !== null;

/** Whether Quill may be handed this embed as it is. */
export function showable(embed: Embed): boolean {
  const keys = Object.keys(embed);
  if (keys.length !== 1) return false;
  const value = embed[keys[0]!];
  return keys[0] === 'image' && typeof value === 'string' && isSafeImage(value);
}

function mapInserts(delta: Delta, map: (embed: Embed) => Embed): Delta {
  let changed = false;
  const ops = delta.ops.map((op: DeltaOp) => {
    if (!isEmbed(op.insert)) return op;
    const insert = map(op.insert);
    if (insert === op.insert) return op;
    changed = true;
    return { ...op, insert };
  });
  return changed ? new Delta(ops) : delta;
}

/** Content or a change, as Quill may be handed it: embeds it cannot show become placeholders. */
export function toEditor(delta: Delta): Delta {
  return mapInserts(delta, (embed) => (showable(embed) ? embed : { [UNKNOWN_EMBED]: embed }));
}

/** A change Quill made, as the document has it: placeholders are their original embeds again. */
export function fromEditor(delta: Delta): Delta {
  return mapInserts(delta, (embed) => {
    const original = embed[UNKNOWN_EMBED];
    return Object.keys(embed).length === 1 && isEmbed(original) ? original : embed;
  });
}

/** What a placeholder says: the embed's kind, and its value when that is short text. */
export function describeEmbed(embed: unknown): string {
  if (!isEmbed(embed)) return 'embedded content';
  const [kind] = Object.keys(embed);
  if (kind === undefined) return 'embedded content';
  const value = embed[kind];
  if (kind === 'image') return 'image (address not allowed)';
  return typeof value === 'string' && value.length > 0 && value.length <= 40 ? `${kind}: ${value}` : kind;
}
