// Export and import: a round trip through HTML keeps every format the
// editor has; through Markdown, every format Markdown can say (and drops
// exactly the others); exports are safe to open whatever the content.
import { describe, expect, it } from 'vitest';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { exportContent, importContent } from './formats.ts';

/** A Delta built op by op, so that neighbours with the same formats merge as in any stored content. */
const doc = (...ops: DeltaOp[]) => ops.reduce((d, op) => d.insert(op.insert as string, op.attributes), new Delta());
const roundTrip = (content: Delta, format: 'HTML' | 'MARKDOWN' | 'TEXT') => importContent(exportContent(content, format, 'T'), format).ops;

/** What Markdown can say: headings, lists (nested, checklists), links, bold/italic/strike, code, code blocks, quotes, images. */
const markdownable = doc(
  { insert: 'Title' },
  { insert: '\n', attributes: { header: 1 } },
  { insert: 'Section' },
  { insert: '\n', attributes: { header: 2 } },
  { insert: 'Plain, ' },
  { insert: 'bold', attributes: { bold: true } },
  { insert: ', ' },
  { insert: 'italic', attributes: { italic: true } },
  { insert: ', ' },
  { insert: 'both', attributes: { bold: true, italic: true } },
  { insert: ', ' },
  { insert: 'struck', attributes: { strike: true } },
  { insert: ', ' },
  { insert: 'a link', attributes: { link: 'https://example.com/a?b=c&d=e' } },
  { insert: ' and ' },
  { insert: 'x = 1', attributes: { code: true } },
  { insert: '.\nOne' },
  { insert: '\n', attributes: { list: 'bullet' } },
  { insert: 'Nested' },
  { insert: '\n', attributes: { list: 'bullet', indent: 1 } },
  { insert: 'Two' },
  { insert: '\n', attributes: { list: 'bullet' } },
  { insert: 'First' },
  { insert: '\n', attributes: { list: 'ordered' } },
  { insert: 'Second' },
  { insert: '\n', attributes: { list: 'ordered' } },
  { insert: 'Done' },
  { insert: '\n', attributes: { list: 'checked' } },
  { insert: 'To do' },
  { insert: '\n', attributes: { list: 'unchecked' } },
  { insert: 'const a = "<b>";' },
  { insert: '\n', attributes: { 'code-block': true } },
  { insert: '  return `x`;' },
  { insert: '\n', attributes: { 'code-block': true } },
  { insert: 'A quote' },
  { insert: '\n', attributes: { blockquote: true } },
  { insert: 'Text with <tags> & *stars* and _underscores_ # not a heading' },
  { insert: '\n' },
  { insert: { image: 'https://example.com/a.png' } },
  { insert: '\n' },
);

describe('export then import', () => {
  it('HTML keeps headings, lists, links, bold/italic, code and code blocks', () => {
    expect(roundTrip(markdownable, 'HTML')).toEqual(markdownable.ops);
  });

  it('Markdown keeps headings, lists, links, bold/italic, code and code blocks', () => {
    expect(roundTrip(markdownable, 'MARKDOWN')).toEqual(markdownable.ops);
  });

  it('HTML also keeps what only HTML can say: colours, sizes, fonts, underline, scripts, alignment, indent, empty lines', () => {
    const rich = doc(
      { insert: 'red', attributes: { color: '#e60000' } },
      { insert: ' ' },
      { insert: 'marked', attributes: { background: '#ffff00', underline: true } },
      { insert: ' ' },
      { insert: 'big serif', attributes: { size: 'large', font: 'serif' } },
      { insert: ' H' },
      { insert: '2', attributes: { script: 'sub' } },
      { insert: 'O' },
      { insert: '\n', attributes: { align: 'center' } },
      { insert: 'indented' },
      { insert: '\n', attributes: { indent: 2 } },
      { insert: '\n\nafter two empty lines\n' },
    );
    expect(roundTrip(rich, 'HTML')).toEqual(rich.ops);
  });

  it('Markdown drops exactly what it cannot say (colours, sizes, fonts, underline, scripts, alignment) and keeps the text', () => {
    const rich = doc(
      { insert: 'red', attributes: { color: '#e60000', bold: true } },
      { insert: ' ' },
      { insert: 'under', attributes: { underline: true } },
      { insert: ' H' },
      { insert: '2', attributes: { script: 'sub' } },
      { insert: 'O' },
      { insert: '\n', attributes: { align: 'center' } },
    );
    expect(roundTrip(rich, 'MARKDOWN')).toEqual([{ insert: 'red', attributes: { bold: true } }, { insert: ' under H2O\n' }]);
  });

  it('text keeps the text and nothing else', () => {
    expect(exportContent(markdownable, 'TEXT', 'T')).toBe(
      'Title\nSection\nPlain, bold, italic, both, struck, a link and x = 1.\nOne\nNested\nTwo\nFirst\nSecond\nDone\nTo do\nconst a = "<b>";\n  return `x`;\nA quote\nText with <tags> & *stars* and _underscores_ # not a heading\n\n',
    );
    const plain = doc({ insert: 'line one\nline two\n\n  indented\n' });
    expect(roundTrip(plain, 'TEXT')).toEqual(plain.ops);
  });
});

describe('exports are safe to open', () => {
  // Content as the log could hold it only if validation were bypassed: the export must not trust it either.
  const hostile = doc(
    { insert: '<script>alert(1)</script> & <img src=x onerror=alert(2)>' },
    { insert: 'click', attributes: { link: 'javascript:alert(3)' } },
    { insert: 'quote"s', attributes: { link: 'https://example.com/"onmouseover="alert(4)' } },
    { insert: { image: 'javascript:alert(5)' } },
    { insert: { image: 'data:image/svg+xml;base64,PHN2Zz4=' } },
    { insert: '\n' },
  );

  it('HTML escapes text and attribute values and emits only safe URLs', () => {
    const html = exportContent(hostile, 'HTML', '</title><script>alert(6)</script>');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/"onmouseover=/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;&#x2F;script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('<title>&lt;/title&gt;&lt;script&gt;alert(6)&lt;/script&gt;</title>');
    expect(html).toContain('alert(2)&gt;click<a href="https://example.com/&quot;onmouseover');
  });

  it('Markdown escapes text that a Markdown reader would take for HTML, and emits only safe URLs', () => {
    const markdown = exportContent(hostile, 'MARKDOWN', 'T');
    expect(markdown).not.toMatch(/<script|<img/i);
    expect(markdown).not.toMatch(/javascript:/i);
    expect(markdown).toContain('&lt;script>');
    // And it reads back as the same text.
    expect(importContent(markdown, 'MARKDOWN').ops[0]).toEqual({ insert: '<script>alert(1)</script> & <img src=x onerror=alert(2)>click' });
  });
});

describe('import', () => {
  it('keeps only formats and URLs the editor allows from hostile HTML', () => {
    const ops = importContent(
      '<p onclick="x()">a <a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">good</a><script>alert(2)</script><style>p{}</style><img src="javascript:alert(3)"><img src="https://ok.example/i.png"></p><iframe src="https://x"></iframe>',
      'HTML',
    ).ops;
    expect(ops).toEqual([{ insert: 'a bad ' }, { insert: 'good', attributes: { link: 'https://ok.example/' } }, { insert: { image: 'https://ok.example/i.png' } }, { insert: '\n' }]);
  });

  it('reads Markdown as people write it: loose lists, fenced code with a language, task lists, raw HTML', () => {
    const md = '# Notes\n\n- one\n\n- two\n\n```js\nlet x;\n```\n\n- [x] done\n- [ ] open\n\nSome <b>bold</b> HTML.\n';
    expect(importContent(md, 'MARKDOWN').ops).toEqual([
      { insert: 'Notes' },
      { insert: '\n', attributes: { header: 1 } },
      { insert: 'one' },
      { insert: '\n', attributes: { list: 'bullet' } },
      { insert: 'two' },
      { insert: '\n', attributes: { list: 'bullet' } },
      { insert: 'let x;' },
      { insert: '\n', attributes: { 'code-block': true } },
      { insert: 'done' },
      { insert: '\n', attributes: { list: 'checked' } },
      { insert: 'open' },
      { insert: '\n', attributes: { list: 'unchecked' } },
      { insert: 'Some ' },
      { insert: 'bold', attributes: { bold: true } },
      { insert: ' HTML.\n' },
    ]);
  });

  it('gives an empty file one empty line (a Quill document ends with a newline)', () => {
    for (const format of ['TEXT', 'MARKDOWN', 'HTML'] as const) expect(importContent('', format).ops).toEqual([{ insert: '\n' }]);
  });
});
