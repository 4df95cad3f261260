// Where the cards of the comments margin go: each as close as it can be to
// the top of its text, none overlapping. Cards keep the order of their text;
// a card that would overlap the one above is pushed down. A focused card
// sits exactly at its text, and the cards above it are pushed up instead
// (never above the top of the margin; then it moves down after all).

export interface CardBox {
  id: string;
  /** Where its text starts, px from the top of the margin. */
  want: number;
  /** The card's height, px. */
  height: number;
  /** Where its text starts in the document: orders cards whose text starts on the same line. */
  index?: number;
}

/** Each card's top, px, by id. `gap`: space kept between cards. */
export function layoutCards(cards: readonly CardBox[], gap: number, focused?: string | null): Map<string, number> {
  const sorted = [...cards].sort(byPlace);
  const tops = new Array<number>(sorted.length);
  const at = focused ? sorted.findIndex((c) => c.id === focused) : -1;
  if (at < 0) {
    pushDown(sorted, tops, 0, 0, gap);
  } else {
    // The focused card at its text, then the ones above packed upwards.
    tops[at] = Math.max(0, sorted[at]!.want);
    let limit = tops[at]!;
    for (let i = at - 1; i >= 0; i--) {
      tops[i] = Math.min(sorted[i]!.want, limit - gap - sorted[i]!.height);
      limit = tops[i]!;
    }
    // Too little room above: everything from the top down, the focused card as close as it can be.
    if (at > 0 && tops[0]! < 0) pushDown(sorted, tops, 0, 0, gap, at);
    const focusedBottom = tops[at]! + sorted[at]!.height + gap;
    pushDown(sorted, tops, at + 1, focusedBottom, gap);
  }
  return new Map(sorted.map((c, i) => [c.id, tops[i]!]));
}

/** Lays out cards from `from` on (up to and including `through`, default all), none above `floor`. */
function pushDown(cards: readonly CardBox[], tops: number[], from: number, floor: number, gap: number, through = cards.length - 1): void {
  let next = floor;
  for (let i = from; i <= through; i++) {
    tops[i] = Math.max(cards[i]!.want, next);
    next = tops[i]! + cards[i]!.height + gap;
  }
}

function byPlace(a: CardBox, b: CardBox): number {
  return a.want - b.want || (a.index ?? 0) - (b.index ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
