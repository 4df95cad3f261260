// The placeholder Quill shows for an embed it cannot show (embeds.ts): an
// inline, non-editable chip that names the embed and keeps the original as
// its value, so the document round-trips unchanged through the editor.
import Quill from 'quill';
import { describeEmbed, UNKNOWN_EMBED } from './embeds.ts';

const Embed = Quill.import('blots/embed') as unknown as {
  new (...args: never[]): object;
  create(value?: unknown): Node;
};

export class UnknownEmbedBlot extends Embed {
  static blotName = UNKNOWN_EMBED;
  static tagName = 'SPAN';
  static className = 'ql-unknown-embed';

  static create(value: unknown): Node {
    const node = super.create(value) as HTMLElement;
    // Text, never HTML: the value comes from whoever wrote the document.
    node.textContent = describeEmbed(value);
    node.setAttribute('title', 'This content cannot be shown here; it is kept as it is.');
    node.dataset.embed = JSON.stringify(value);
    return node;
  }

  static value(node: HTMLElement): unknown {
    try {
      return JSON.parse(node.dataset.embed ?? 'null');
    } catch {
      return null;
    }
  }
}
