// A read-only rendering of a delta with Quill's own styles (history preview).
import Quill from 'quill';
import { useEffect, useRef } from 'react';
import type { Delta } from '../sync/index.ts';

export function QuillView({ content }: { content: Delta }) {
  const host = useRef<HTMLDivElement>(null);
  const quill = useRef<Quill | null>(null);
  useEffect(() => {
    const wrapper = host.current!;
    const container = document.createElement('div');
    wrapper.append(container);
    quill.current = new Quill(container, { theme: 'snow', readOnly: true, modules: { toolbar: false } });
    return () => {
      quill.current = null;
      wrapper.replaceChildren();
    };
  }, []);
  useEffect(() => {
    quill.current?.setContents(content, 'silent');
  }, [content]);
  return <div className="preview" ref={host} data-testid="history-preview" />;
}
