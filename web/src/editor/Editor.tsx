// The Quill editor of one open document: the toolbar of the issue (bold,
// italic, underline, headings, lists, links), remote cursors, read-only for
// viewers. The editable area is Quill's `.ql-editor`.
import { useEffect, useRef, useState } from 'react';
import type { DocumentSync } from '../sync/index.ts';
import type Quill from 'quill';
import { bindQuill } from './quill-binding.ts';
import { setUpQuill } from './quill-setup.ts';
import type { SuggestDraft } from './suggesting.ts';

const TOOLBAR = [[{ header: [1, 2, 3, false] }], ['bold', 'italic', 'underline'], [{ list: 'ordered' }, { list: 'bullet' }], ['link', 'clean']];

/**
 * `autoFocus` (default true): the caret goes to the text when it opens; false when the page wants the title named first.
 * `draft`: suggesting mode (suggesting.ts). `onQuill`: the Quill instance once it is bound (null when it goes), for overlays.
 */
export function Editor({ sync, readOnly, autoFocus = true, draft, onQuill }: { sync: DocumentSync; readOnly: boolean; autoFocus?: boolean; draft?: SuggestDraft; onQuill?: (quill: Quill | null) => void }) {
  const host = useRef<HTMLDivElement>(null);
  // A failure inside Quill outside React's render (applying a remote
  // change) is rethrown here, for the error boundary around the editor.
  const [broken, setBroken] = useState<unknown>(null);
  if (broken) throw broken;

  useEffect(() => {
    const Quill = setUpQuill();
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
    const unbind = bindQuill(quill, sync, (error) => setBroken(() => error), draft);
    if (!readOnly && autoFocus) quill.focus();
    onQuill?.(quill);
    return () => {
      onQuill?.(null);
      unbind();
      wrapper.replaceChildren(); // the toolbar is a sibling of the container
    };
  }, [sync, readOnly, draft]);

  return <div className="editor" ref={host} data-testid="editor" />;
}
