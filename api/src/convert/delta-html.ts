// Delta -> HTML, for export (and the first step of Markdown export), by
// quill-delta-to-html: it escapes every text and attribute value and checks
// colours, sizes and fonts. Links and images are also checked against the
// protocol's URL rules (protocol/safe-url.ts), which the log already
// enforces on input: an unsafe one is dropped (the text stays), never
// emitted, so an export is safe to open whatever the log holds.
import pkg from 'quill-delta-to-html';
import { isSafeUrl } from '../../../protocol/safe-url.ts';
import type { Delta, DeltaOp } from '../../../protocol/delta.ts';

const { QuillDeltaToHtmlConverter } = pkg;

/** The op without a link that is not safe, or null for an embed whose URL is not safe. */
function safeOp(op: DeltaOp): DeltaOp | null {
  const insert = op.insert;
  if (insert !== null && typeof insert === 'object') {
    for (const [type, value] of Object.entries(insert)) {
      const kind = type === 'image' ? 'image' : type === 'video' ? 'frame' : null;
      if (kind && (typeof value !== 'string' || !isSafeUrl(value, kind))) return null;
    }
  }
  const link = op.attributes?.link;
  if (link === undefined) return op;
  if (typeof link === 'string' && isSafeUrl(link, 'link')) return op;
  const { link: _unsafe, ...attributes } = op.attributes!;
  return { ...op, attributes };
}

/** The content as an HTML fragment: one element per block (p, h1-h6, ul/ol, pre, blockquote). */
export function deltaToHtml(content: Delta): string {
  const ops = content.ops.map(safeOp).filter((op): op is DeltaOp => op !== null);
  const converter = new QuillDeltaToHtmlConverter(ops as never, {
    multiLineParagraph: false,
    linkTarget: '',
    linkRel: 'noopener noreferrer',
    // No `urlSanitizer`: given one, the converter writes what it returns
    // into href/src without encoding it (a `"` in a URL would end the
    // attribute); its default encodes. URLs were checked above.
  });
  return converter.convert();
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A whole HTML file around the fragment: what a download saves. */
export function htmlDocument(title: string, body: string): string {
  return `<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeText(title)}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}
