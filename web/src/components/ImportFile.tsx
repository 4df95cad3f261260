// Create a document from a Markdown, HTML or text file: chosen with a
// button, or dropped anywhere on the documents page. The server converts
// the file (importDocument) with the same rules as its exports, and holds
// the result to the same limits as any content.
import { useState, type DragEvent } from 'react';
import { useMutation } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { ImportDocument } from '../api/operations.ts';
import { navigate } from '../app/router.ts';
import type { ExportFormat } from '../gql/graphql.ts';

/** The request body limit is 1 MiB; a bigger file is refused here with a clear message. */
const MAX_FILE_BYTES = 1_000_000;
const ACCEPT = '.md,.markdown,.html,.htm,.txt,text/markdown,text/html,text/plain';

function formatOf(file: File): ExportFormat | null {
  const name = file.name.toLowerCase();
  if (/\.(md|markdown)$/.test(name) || file.type === 'text/markdown') return 'MARKDOWN';
  if (/\.html?$/.test(name) || file.type === 'text/html') return 'HTML';
  if (/\.txt$/.test(name) || file.type === 'text/plain') return 'TEXT';
  return null;
}

/** Imports a file and opens the new document; reports what went wrong otherwise. */
export function useImportFile(onProblem: (message: string | null) => void) {
  const [{ fetching }, importDocument] = useMutation(ImportDocument);
  const importFile = async (file: File) => {
    onProblem(null);
    const format = formatOf(file);
    if (!format) return onProblem(`“${file.name}” is not a Markdown, HTML or text file.`);
    if (file.size > MAX_FILE_BYTES) return onProblem(`“${file.name}” is too large to import (at most 1 MB).`);
    const title = file.name.replace(/\.[^.]+$/, '').trim().slice(0, 200) || 'Imported document';
    const result = await importDocument({ title, format, text: await file.text() });
    if (result.data) navigate(`/documents/${result.data.importDocument.id}`);
    else onProblem(messageFor(apiErrorOf(result.error), 'list'));
  };
  return { importFile, importing: fetching };
}

export function ImportButton({ onProblem }: { onProblem: (message: string | null) => void }) {
  const { importFile, importing } = useImportFile(onProblem);
  return (
    <label className="button ghost" data-testid="import-document">
      {importing ? 'Importing…' : 'Import file'}
      <input
        type="file"
        accept={ACCEPT}
        hidden
        disabled={importing}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void importFile(file);
        }}
      />
    </label>
  );
}

/** Drop handlers for an element: a file dropped on it is imported. `dragging` is true while a file is over it. */
export function useImportDrop(onProblem: (message: string | null) => void) {
  const { importFile } = useImportFile(onProblem);
  const [dragging, setDragging] = useState(false);
  const hasFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  return {
    dragging,
    handlers: {
      onDragOver: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setDragging(true);
      },
      onDragLeave: (e: DragEvent) => {
        if (e.currentTarget === e.target) setDragging(false);
      },
      onDrop: (e: DragEvent) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (file) void importFile(file);
      },
    },
  };
}
