// The Quill editor of one open document: the toolbar of the issue (bold,
// italic, underline, headings, lists, links), remote cursors, read-only for
// viewers. The editable area is Quill's `.ql-editor`.
import Quill from 'quill';
// The core build and its stylesheet: the default build injects a <style>
// element at run time, which the page's CSP (style-src 'self') refuses.
import QuillCursors from 'quill-cursors/core';
import 'quill-cursors/css';
import 'quill/dist/quill.snow.css';
import { useEffect, useRef } from 'react';
import type { DocumentSync } from '../sync/index.ts';
import { bindQuill } from './quill-binding.ts';

Quill.register('modules/cursors', QuillCursors);

const TOOLBAR = [[{ header: [1, 2, 3, false] }], ['bold', 'italic', 'underline'], [{ list: 'ordered' }, { list: 'bullet' }], ['link', 'clean']];

export function Editor({ sync, readOnly }: { sync: DocumentSync; readOnly: boolean }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const wrapper = host.current!;
    const container = document.createElement('div');
    wrapper.append(container);
    const quill = new Quill(container, {
      theme: 'snow',
      placeholder: readOnly ? '' : 'Start writing…',
      readOnly,
      modules: {
        toolbar: readOnly ? false : TOOLBAR,
        // Undo only what this person did, over everyone's later edits.
        history: { userOnly: true },
        cursors: { hideDelayMs: 2500, transformOnTextChange: false },
      },
    });
    const unbind = bindQuill(quill, sync);
    if (!readOnly) quill.focus();
    return () => {
      unbind();
      wrapper.replaceChildren(); // the toolbar is a sibling of the container
    };
  }, [sync, readOnly]);

  return <div className="editor" ref={host} data-testid="editor" />;
}
