// HTML -> Delta, for import (and the last step of Markdown import). The
// HTML is parsed by htmlparser2 (a tolerant, streaming parser: it closes
// what authors leave open and decodes entities); this file only maps
// elements to Quill's formats, the way Quill's own clipboard does in a
// browser:
// - lines: p, div, h1-h6, li (in ul/ol; data-checked for checklists),
//   pre (code-block, one line per text line), blockquote; br ends a line;
// - inline: strong/b, em/i, u, s/strike/del, code, sub/sup, a[href],
//   img[src], and what quill-delta-to-html writes as classes and styles
//   (ql-size-*, ql-font-*, ql-align-*, ql-indent-*, ql-direction-rtl,
//   color, background-color), so an HTML export comes back as it left.
// Everything else keeps its text and loses its markup; script, style and
// the like lose both. Links and images must pass protocol/safe-url.ts
// (an unsafe link keeps its text; an unsafe image is dropped). White space
// collapses as a browser collapses it (runs become one space; none at the
// start or end of a line) except inside pre.
import { Parser } from 'htmlparser2';
import { Delta } from '../../../protocol/delta.ts';
import { isSafeUrl } from '../../../protocol/safe-url.ts';

type Attributes = Record<string, string | number | boolean>;

interface Frame {
  tag: string;
  inline: Attributes;
  block: Attributes;
  /** Lines ended when the element opened: a line element that ends none is an empty line. */
  linesAtOpen: number;
  /** Text inside is not content (script, style, head…). */
  skip: boolean;
  /** Inside pre: text is code, kept as it is. */
  pre: boolean;
  /** Nesting depth of ul/ol. */
  listDepth: number;
  /** For ul/ol: the list type its items take. */
  listType?: string;
}

const HEADINGS: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };
/** Elements that end the line before them and after them. */
const BLOCKS = new Set(['p', 'div', 'li', 'ul', 'ol', 'pre', 'blockquote', 'section', 'article', 'header', 'footer', 'main', 'aside', 'nav', 'figure', 'table', 'tr', 'hr', 'dl', 'dt', 'dd', 'address', ...Object.keys(HEADINGS)]);
/** Blocks that are a line even when empty (<p></p>, <p><br></p>). */
const LINES = new Set(['p', 'li', 'pre', ...Object.keys(HEADINGS)]);
const SKIPPED = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'iframe', 'object', 'svg', 'math', 'select', 'textarea']);
const INLINE: Record<string, Attributes> = {
  strong: { bold: true },
  b: { bold: true },
  em: { italic: true },
  i: { italic: true },
  u: { underline: true },
  s: { strike: true },
  strike: { strike: true },
  del: { strike: true },
  code: { code: true },
  sub: { script: 'sub' },
  sup: { script: 'super' },
};
/** A CSS colour as Quill writes them: #hex, rgb()/rgba(), or a name. */
const COLOR = /^(#[0-9a-f]{3,8}|rgba?\([\d\s.,%]+\)|[a-z]{3,20})$/i;

function classFormats(className: string | undefined): { inline: Attributes; block: Attributes } {
  const inline: Attributes = {};
  const block: Attributes = {};
  for (const name of (className ?? '').split(/\s+/)) {
    let m: RegExpExecArray | null;
    if ((m = /^ql-size-(small|large|huge)$/.exec(name))) inline.size = m[1]!;
    else if ((m = /^ql-font-(serif|monospace)$/.exec(name))) inline.font = m[1]!;
    else if ((m = /^ql-align-(center|right|justify)$/.exec(name))) block.align = m[1]!;
    else if ((m = /^ql-indent-([1-8])$/.exec(name))) block.indent = Number(m[1]);
    else if (name === 'ql-direction-rtl') block.direction = 'rtl';
  }
  return { inline, block };
}

function styleFormats(style: string | undefined): Attributes {
  const formats: Attributes = {};
  for (const declaration of (style ?? '').split(';')) {
    const [property, ...rest] = declaration.split(':');
    const value = rest.join(':').trim();
    if (!COLOR.test(value)) continue;
    const name = property?.trim().toLowerCase();
    if (name === 'color') formats.color = value;
    else if (name === 'background-color' || name === 'background') formats.background = value;
  }
  return formats;
}

/** The attributes of a Delta op: none at all rather than an empty object. */
const attrs = (a: Attributes) => (Object.keys(a).length > 0 ? a : undefined);

export function htmlToDelta(html: string): Delta {
  const out = new Delta();
  let lines = 0;
  // The line being built: its inserts, and the block formats of where its text is.
  let line: Array<{ insert: string | Record<string, string>; attributes?: Attributes }> = [];
  let lineBlock: Attributes | null = null;
  let code = '';
  const root: Frame = { tag: '#root', inline: {}, block: {}, linesAtOpen: 0, skip: false, pre: false, listDepth: 0 };
  const stack: Frame[] = [root];
  const top = () => stack.at(-1)!;

  const endLine = (block: Attributes) => {
    const last = line.at(-1);
    if (last && typeof last.insert === 'string') {
      last.insert = last.insert.replace(/ +$/, '');
      if (last.insert === '') line.pop();
    }
    for (const op of line) out.insert(op.insert, attrs(op.attributes ?? {}));
    out.insert('\n', attrs(lineBlock ?? block));
    line = [];
    lineBlock = null;
    lines++;
  };
  const add = (insert: string | Record<string, string>, frame: Frame) => {
    if (line.length === 0) lineBlock = frame.block;
    const last = line.at(-1);
    line.push({ insert, attributes: frame.inline });
    if (typeof insert === 'string' && last && typeof last.insert === 'string' && last.insert.endsWith(' ') && insert.startsWith(' ')) {
      line[line.length - 1] = { insert: insert.slice(1), attributes: frame.inline };
    }
  };

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const parent = top();
        const frame: Frame = { ...parent, tag: name, inline: { ...parent.inline }, block: { ...parent.block }, linesAtOpen: lines };
        delete frame.listType;
        stack.push(frame);
        if (parent.skip || SKIPPED.has(name)) {
          frame.skip = true;
          return;
        }
        const classes = classFormats(attributes.class);
        Object.assign(frame.inline, INLINE[name], classes.inline, styleFormats(attributes.style));
        if (BLOCKS.has(name)) {
          if (line.length > 0) endLine(parent.block);
          Object.assign(frame.block, classes.block);
          if (name === 'ul' || name === 'ol') {
            frame.listDepth = parent.listDepth + 1;
            frame.listType = name === 'ol' ? 'ordered' : 'bullet';
          }
          if (name === 'li') {
            const checked = attributes['data-checked'];
            frame.block.list = checked === 'true' ? 'checked' : checked === 'false' ? 'unchecked' : (parent.listType ?? 'bullet');
            if (frame.listDepth > 1) frame.block.indent = frame.listDepth - 1;
            // A GFM task item as marked writes it: <li><input type="checkbox" checked> …
          }
          if (HEADINGS[name]) frame.block.header = HEADINGS[name]!;
          if (name === 'blockquote') frame.block.blockquote = true;
          if (name === 'pre') {
            frame.pre = true;
            frame.block['code-block'] = true;
            code = '';
          }
        }
        if (name === 'input' && attributes.type === 'checkbox' && parent.tag === 'li' && line.length === 0) {
          parent.block.list = 'checked' in attributes ? 'checked' : 'unchecked';
          frame.block.list = parent.block.list;
        }
        if (name === 'a') {
          const href = attributes.href;
          if (href !== undefined && isSafeUrl(href, 'link')) frame.inline.link = href;
        }
        if (name === 'br' && !frame.pre) endLine(parent.block);
        if (name === 'br' && frame.pre) code += '\n';
        if (name === 'img') {
          const src = attributes.src;
          if (src !== undefined && src !== '' && isSafeUrl(src, 'image')) add({ image: src }, parent);
        }
      },
      ontext(text) {
        const frame = top();
        if (frame.skip) return;
        if (frame.pre) {
          code += text;
          return;
        }
        let collapsed = text.replace(/[ \t\n\r\f]+/g, ' ');
        if (line.length === 0) collapsed = collapsed.replace(/^ /, '');
        if (collapsed !== '') add(collapsed, frame);
      },
      onclosetag(name) {
        const frame = stack.pop()!;
        if (frame.skip) return;
        if (name === 'pre') {
          // One line per line of code; a single final newline is the end of the last line, not an empty one.
          const codeLines = code.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
          for (const text of codeLines) {
            if (text !== '') add(text, { ...frame, inline: {} });
            endLine(frame.block);
          }
          code = '';
          return;
        }
        if (top().pre) return;
        if (!BLOCKS.has(name)) return;
        if (line.length > 0) endLine(frame.block);
        else if (LINES.has(name) && lines === frame.linesAtOpen) endLine(frame.block);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  if (line.length > 0) endLine({});
  if (out.ops.length === 0) out.insert('\n');
  return out;
}
