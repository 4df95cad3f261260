// Markdown -> Delta: Markdown -> HTML by marked (CommonMark with GitHub's
// extensions: strikethrough, task lists), then HTML -> Delta
// (html-delta.ts). Raw HTML in the Markdown goes through the same mapping
// as any HTML: only Quill's formats survive, and only safe URLs.
import { Marked } from 'marked';
import type { Delta } from '../../../protocol/delta.ts';
import { htmlToDelta } from './html-delta.ts';

const marked = new Marked({ gfm: true, async: false });

export const markdownToDelta = (markdown: string): Delta => htmlToDelta(marked.parse(markdown, { async: false }));
