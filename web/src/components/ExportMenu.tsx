// Download a document (or one version of it) as Markdown, HTML or text:
// the server converts (Document.export), the browser saves the file.
import { useState } from 'react';
import { useClient } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { ExportDocument } from '../api/operations.ts';
import type { ExportFormat } from '../gql/graphql.ts';

const FORMATS: Array<{ format: ExportFormat; label: string; extension: string; type: string }> = [
  { format: 'MARKDOWN', label: 'Markdown (.md)', extension: 'md', type: 'text/markdown' },
  { format: 'HTML', label: 'Web page (.html)', extension: 'html', type: 'text/html' },
  { format: 'TEXT', label: 'Plain text (.txt)', extension: 'txt', type: 'text/plain' },
];

/** A file name from a title: no path separators or characters file systems refuse. */
const fileName = (title: string, extension: string) => `${title.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ').trim().slice(0, 100) || 'document'}.${extension}`;

export function ExportMenu({ documentId, version, label = 'Download' }: { documentId: string; version?: number; label?: string }) {
  const client = useClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const download = async (choice: (typeof FORMATS)[number]) => {
    setProblem(null);
    setBusy(true);
    const result = await client.query(ExportDocument, { id: documentId, format: choice.format, version: version ?? null }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    const doc = result.data?.document;
    if (result.error || !doc) return setProblem(messageFor(apiErrorOf(result.error), 'document'));
    const url = URL.createObjectURL(new Blob([doc.export], { type: `${choice.type};charset=utf-8` }));
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName(version === undefined ? doc.title : `${doc.title} (version ${version})`, choice.extension);
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  return (
    <details className="export-menu" data-testid="export-menu">
      <summary className="button ghost">{label}</summary>
      <div className="export-choices" role="menu">
        {FORMATS.map((choice) => (
          <button key={choice.format} type="button" role="menuitem" className="button ghost small" disabled={busy} onClick={() => void download(choice)} data-format={choice.format}>
            {choice.label}
          </button>
        ))}
        {problem && (
          <p className="error small" role="alert">
            {problem}
          </p>
        )}
      </div>
    </details>
  );
}
