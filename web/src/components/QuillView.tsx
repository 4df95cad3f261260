// A read-only rendering of a delta with Quill's own styles (history preview).
import type Quill from 'quill';
import { useEffect, useRef } from 'react';
import { toEditor } from '../editor/embeds.ts';
import { setUpQuill } from '../editor/quill-setup.ts';
import type { Delta } from '../sync/index.ts';

export function QuillView({ content }: { content: Delta }) {
  const host = useRef<HTMLDivElement>(null);
  const quill = useRef<Quill | null>(null);
  useEffect(() => {
    const wrapper = host.current!;
    const container = document.createElement('div');
    wrapper.append(container);
    const Quill = setUpQuill();
    quill.current = new Quill(container, { theme: 'snow', readOnly: true, modules: { toolbar: false } });
    return () => {
      quill.current = null;
      wrapper.replaceChildren();
    };
  }, []);
  useEffect(() => {
    quill.current?.setContents(toEditor(content), 'silent');
  }, [content]);
  return <div className="preview" ref={host} data-testid="history-preview" />;
}
