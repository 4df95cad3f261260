// The formats a document is exported to and imported from (ExportFormat in
// the schema): one entry point each way.
import { Delta } from '../../../protocol/delta.ts';
import { deltaToHtml, htmlDocument } from './delta-html.ts';
import { deltaToMarkdown } from './delta-markdown.ts';
import { deltaToText } from './delta-text.ts';
import { htmlToDelta } from './html-delta.ts';
import { markdownToDelta } from './markdown-delta.ts';

export const DOCUMENT_FORMATS = ['TEXT', 'MARKDOWN', 'HTML'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** The content in `format`; HTML is a whole page titled `title`. */
export function exportContent(content: Delta, format: DocumentFormat, title: string): string {
  if (format === 'TEXT') return deltaToText(content);
  if (format === 'MARKDOWN') return deltaToMarkdown(content);
  return htmlDocument(title, deltaToHtml(content));
}

/** A document's content from a file's text in `format` (inserts only, ending with a newline). */
export function importContent(text: string, format: DocumentFormat): Delta {
  if (format === 'HTML') return htmlToDelta(text);
  if (format === 'MARKDOWN') return markdownToDelta(text);
  const normalised = text.replace(/\r\n?/g, '\n');
  return new Delta().insert(normalised.endsWith('\n') ? normalised : `${normalised}\n`);
}
