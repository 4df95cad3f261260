// A comment's text with the members it names marked (`@name`, the rule
// the server lists Comment.mentions by: protocol/mentions.ts).
import type { ReactNode } from 'react';
import { mentionRanges } from '../../../protocol/mentions.ts';

export function CommentBody({ body, mentions }: { body: string; mentions?: ReadonlyArray<{ name: string }> | null }) {
  const ranges = mentions?.length ? mentionRanges(body, mentions.map((m) => m.name)) : [];
  if (ranges.length === 0) return <>{body}</>;
  const parts: ReactNode[] = [];
  let at = 0;
  for (const r of ranges) {
    if (r.index > at) parts.push(body.slice(at, r.index));
    parts.push(
      <span key={r.index} className="mention" title={r.name}>
        {body.slice(r.index, r.index + r.length)}
      </span>,
    );
    at = r.index + r.length;
  }
  parts.push(body.slice(at));
  return <>{parts}</>;
}
