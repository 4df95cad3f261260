// Delta -> plain text: the text inserts as they are (each line ends with
// its newline); embeds (images, videos) have no text and are left out.
import type { Delta } from '../../../protocol/delta.ts';

export const deltaToText = (content: Delta): string =>
  content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
