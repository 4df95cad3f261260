// The document list's preview line: the start of the text, kept on the
// Document row so that listing 50 documents reads 50 short strings instead
// of loading 50 heads (snapshot + log tail each). Written after commits, at
// most once per PREVIEW_DELAY_MS per document, from the head the commit
// left in this node's cache; a version guard keeps a late write of an older
// head (another node, a slow write) from replacing a newer preview.
import type { DeltaOp } from '../../../protocol/delta.ts';
import type { SqlSession } from '../store/database.ts';

/** Characters of text a preview keeps. */
export const PREVIEW_CHARS = 120;
/** How much of the text a preview reads at most (a document can be megabytes). */
const OPENING_UNITS = 16_384;
/** How long a document's preview write waits, so a burst of typing costs one write. */
const PREVIEW_DELAY_MS = 1_000;

/** A run of white space (one space in the preview) or a piece of a word. */
const RUN = /\s+|\S{1,256}/y;

/** The text's first characters, lines joined by spaces, embeds left out; cut with an ellipsis. */
export function previewOf(content: { readonly ops: readonly DeltaOp[] }, max = PREVIEW_CHARS): string {
  // Reads only what the preview needs: a document (or one insert) can be megabytes,
  // and this runs after commits. Past 2 * max + 2 UTF-16 units there are surely more than max characters.
  const enough = 2 * max + 2;
  let text = '';
  reading: for (const op of content.ops) {
    if (typeof op.insert !== 'string') continue;
    RUN.lastIndex = 0;
    for (let run = RUN.exec(op.insert); run !== null; run = RUN.exec(op.insert)) {
      text += /\s/.test(run[0][0]!) ? ' ' : run[0];
      if (text.length > enough) break reading;
    }
  }
  const line = text.replace(/ {2,}/g, ' ').trim();
  // Whole characters: never split a surrogate pair.
  const chars = Array.from(line);
  return chars.length <= max ? line : chars.slice(0, max - 1).join('').trimEnd() + '…';
}

const WRITE = 'UPDATE "Document" SET "preview" = $1, "previewVersion" = $2 WHERE "id" = $3 AND "previewVersion" < $2';

export interface PreviewWriterOptions {
  sql: SqlSession;
  /** The start of the head as this node has it (cached right after a commit): at least `units` of it. */
  opening: (documentId: string, units: number) => Promise<{ version: number; ops: DeltaOp[] }>;
  onError?: (error: unknown) => void;
  delayMs?: number;
}

export class PreviewWriter {
  private readonly options: PreviewWriterOptions;
  private readonly due = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly writing = new Set<Promise<void>>();

  constructor(options: PreviewWriterOptions) {
    this.options = options;
  }

  /** Ops were committed on this document: write its preview soon. */
  changed(documentId: string): void {
    if (this.due.has(documentId)) return;
    const timer = setTimeout(() => this.write(documentId), this.options.delayMs ?? PREVIEW_DELAY_MS);
    timer.unref?.();
    this.due.set(documentId, timer);
  }

  /** Writes the previews still due (on shutdown). */
  async flush(): Promise<void> {
    for (const [documentId, timer] of [...this.due]) {
      clearTimeout(timer);
      this.write(documentId);
    }
    await Promise.all([...this.writing]);
  }

  private write(documentId: string): void {
    this.due.delete(documentId);
    const run = (async () => {
      const head = await this.options.opening(documentId, OPENING_UNITS);
      await this.options.sql.query(WRITE, [previewOf(head), head.version, documentId]);
    })()
      .catch((error: unknown) => this.options.onError?.(error)) // a deleted document, a database hiccup: the next commit tries again
      .finally(() => this.writing.delete(run));
    this.writing.add(run);
  }
}
