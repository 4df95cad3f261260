// Delta -> Markdown: Delta -> HTML (delta-html.ts) -> Markdown by turndown
// (on Node it parses the HTML with its own bundled DOM, domino). Markdown
// has no syntax for colours, sizes, fonts, alignment, underline or sub-
// and superscript: those formats are dropped (docs/protocol.md, "Export
// and import", lists what a round trip keeps).
import TurndownService from 'turndown';
import type { Delta } from '../../../protocol/delta.ts';
import { deltaToHtml } from './delta-html.ts';

function createTurndown(): TurndownService {
  const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*', strongDelimiter: '**' });
  // Markdown readers render raw HTML: text that looks like a tag (or an
  // entity) must stay text, so `<` and `&` are escaped on top of turndown's
  // Markdown escaping. A Markdown reader turns them back into the characters.
  const escapeMarkdown = service.escape.bind(service);
  service.escape = (text: string) => escapeMarkdown(text).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  // quill-delta-to-html writes a code block as <pre> without <code>: a fence
  // longer than any run of backticks inside, so the code cannot close it.
  service.addRule('code-block', {
    filter: (node) => node.nodeName === 'PRE',
    replacement: (_content, node) => {
      const code = (node.textContent ?? '').replace(/\n$/, '');
      const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((run) => run.length));
      const fence = '`'.repeat(Math.max(3, longest + 1));
      return `\n\n${fence}\n${code}\n${fence}\n\n`;
    },
  });
  // Checklists (<li data-checked>) as GFM task items.
  service.addRule('task-item', {
    filter: (node) => node.nodeName === 'LI' && (node as HTMLElement).hasAttribute('data-checked'),
    replacement: (content, node) => {
      const checked = (node as HTMLElement).getAttribute('data-checked') === 'true';
      return `- [${checked ? 'x' : ' '}] ${content.trim()}\n`;
    },
  });
  // Formats Markdown cannot say: keep the text, drop the format.
  service.addRule('formats-without-markdown', {
    filter: ['u', 'sub', 'sup', 'span'],
    replacement: (content) => content,
  });
  service.addRule('strike', { filter: (node) => ['S', 'DEL', 'STRIKE'].includes(node.nodeName), replacement: (content) => `~~${content}~~` });
  return service;
}

let turndown: TurndownService | undefined;

export function deltaToMarkdown(content: Delta): string {
  turndown ??= createTurndown();
  const markdown = turndown.turndown(deltaToHtml(content));
  return markdown === '' ? '' : `${markdown}\n`;
}
