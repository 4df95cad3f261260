// Quill's global registry, filled once for every editor and preview on the
// page: remote cursors, and the placeholder for embeds it cannot show.
import Quill from 'quill';
// The core build and its stylesheet: the default build injects a <style>
// element at run time, which the page's CSP (style-src 'self') refuses.
import QuillCursors from 'quill-cursors/core';
import 'quill-cursors/css';
import 'quill/dist/quill.snow.css';
import { UnknownEmbedBlot } from './unknown-embed-blot.ts';

let registered = false;

export function setUpQuill(): typeof Quill {
  if (!registered) {
    Quill.register('modules/cursors', QuillCursors);
    Quill.register(UnknownEmbedBlot as never, true);
    registered = true;
  }
  return Quill;
}
