// The layer drawn over the editor's text: comment ranges highlighted,
// suggested deletions struck through, suggested formats underlined,
// suggested inserts marked at their place, the suggestion being typed
// tinted. It is a sibling of Quill's editable root, positioned from the
// DOM ranges of the text (one rectangle per line box), and never part of
// the content: the sync engine and the document never see it.
import type Quill from 'quill';
import type { TextRange } from './marks.ts';

export type MarkKind = 'comment' | 'delete' | 'format' | 'draft';

export interface OverlayMark {
  /** The thread or suggestion it belongs to. */
  owner: string;
  kind: MarkKind;
  range: TextRange;
}

export interface OverlayInsert {
  owner: string;
  index: number;
}

export interface Box {
  top: number;
  left: number;
  width: number;
  height: number;
}

type Leaf = { length(): number; position(offset: number, inclusive: boolean): [Node, number] };

/** The DOM position of the character position `index`, preferring the leaf that starts there. */
function domPoint(quill: Quill, index: number): [Node, number] | null {
  let [leaf, offset] = quill.getLeaf(index) as unknown as [Leaf | null, number];
  if (!leaf) return null;
  if (offset === leaf.length()) {
    const [next] = quill.getLeaf(index + 1) as unknown as [Leaf | null, number];
    const [line] = quill.getLine(index);
    const [nextLine] = quill.getLine(index + 1);
    if (next && line === nextLine) {
      leaf = next;
      offset = 0;
    }
  }
  return leaf.position(offset, true);
}

/** The boxes of `range`'s text, one per line box, relative to `origin` (a DOMRect in viewport coordinates). */
export function rangeBoxes(quill: Quill, range: TextRange, origin: DOMRect): Box[] {
  const boxes: Box[] = [];
  const end = Math.min(range.index + range.length, quill.getLength());
  for (const line of quill.getLines(range.index, Math.max(0, end - range.index))) {
    const start = quill.getIndex(line);
    // A line's newline has no glyph: the range stops before it.
    const a = Math.max(range.index, start);
    const b = Math.min(end, start + line.length() - 1);
    if (b <= a) continue;
    const from = domPoint(quill, a);
    const to = domPoint(quill, b);
    if (!from || !to) continue;
    const dom = document.createRange();
    try {
      dom.setStart(from[0], from[1]);
      dom.setEnd(to[0], to[1]);
    } catch {
      continue; // a position Quill maps outside the text (an embed's edge): nothing to draw
    }
    for (const r of dom.getClientRects()) {
      if (r.width < 0.5 || r.height < 0.5) continue;
      boxes.push({ top: r.top - origin.top, left: r.left - origin.left, width: r.width, height: r.height });
    }
  }
  return mergeLineBoxes(boxes);
}

/** Rectangles of one line box (text split across inline elements) joined into one. */
export function mergeLineBoxes(boxes: readonly Box[]): Box[] {
  const out: Box[] = [];
  for (const b of [...boxes].sort((x, y) => x.top - y.top || x.left - y.left)) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.top - b.top) < 2 && b.left <= last.left + last.width + 1) {
      const right = Math.max(last.left + last.width, b.left + b.width);
      last.height = Math.max(last.height, b.height);
      last.width = right - last.left;
    } else out.push({ ...b });
  }
  return out;
}

/** The overlay of one editor: call draw() after anything moved; remove() when done. */
export class Overlay {
  readonly layer: HTMLDivElement;
  private readonly quill: Quill;

  constructor(quill: Quill) {
    this.quill = quill;
    this.layer = document.createElement('div');
    this.layer.className = 'team-overlay';
    this.layer.setAttribute('aria-hidden', 'true');
  }

  /** Draws the marks; returns each owner's top (px from the top of the container) for the margin. */
  draw(marks: readonly OverlayMark[], inserts: readonly OverlayInsert[], focused: string | null): Map<string, number> {
    // Put (back) in place here rather than when made: React may remove it and draw again.
    if (this.layer.parentNode !== this.quill.container) this.quill.container.prepend(this.layer);
    const origin = this.quill.container.getBoundingClientRect();
    const tops = new Map<string, number>();
    const top = (owner: string, y: number) => tops.set(owner, Math.min(tops.get(owner) ?? Infinity, y));
    const parts: HTMLElement[] = [];
    for (const mark of marks) {
      for (const box of rangeBoxes(this.quill, mark.range, origin)) {
        parts.push(this.piece(`team-mark ${mark.kind}${mark.owner === focused ? ' focused' : ''}`, box, mark.owner));
        top(mark.owner, box.top);
      }
    }
    for (const insert of inserts) {
      const at = this.quill.getBounds(Math.min(insert.index, this.quill.getLength() - 1), 0);
      if (!at) continue;
      const box = { top: at.top, left: at.left - 1, width: 3, height: at.height };
      parts.push(this.piece(`team-mark insert${insert.owner === focused ? ' focused' : ''}`, box, insert.owner));
      top(insert.owner, box.top);
    }
    this.layer.replaceChildren(...parts);
    return tops;
  }

  remove(): void {
    this.layer.remove();
  }

  private piece(className: string, box: Box, owner: string): HTMLElement {
    const el = document.createElement('div');
    el.className = className;
    el.dataset.owner = owner;
    el.style.top = `${box.top}px`;
    el.style.left = `${box.left}px`;
    el.style.width = `${box.width}px`;
    el.style.height = `${box.height}px`;
    return el;
  }
}
