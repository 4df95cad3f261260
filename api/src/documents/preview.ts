// The document list's preview line: the start of the text, kept on the
// Document row so that listing 50 documents reads 50 short strings instead
// of loading 50 heads (snapshot + log tail each). Written after commits, at
// most once per PREVIEW_DELAY_MS per document, from the head the commit
// left in this node's cache: every document due at once, in one statement.
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

// Every preview due, in one statement: one transaction (embedded: one fsync)
// for all the documents changed in the last PREVIEW_DELAY_MS, not one per
// document. $1 is a JSON array of { id, p: preview, v: version }. Rows are
// locked in id order with SKIP LOCKED: a row another transaction holds (a
// commit moving that document's head, which may hold several documents'
// rows at once) is left alone, never waited for, so this cannot take part
// in a deadlock; the statement returns those ids, to be written next time.
// The version guard keeps a late write of an older head (another node, a
// slow write) from replacing a newer preview. The last SELECT sees the rows
// as they were before the statement (a CTE's changes are not visible to
// it): still behind and not written = skipped.
// A preview is a cache, so its commit does not wait for the WAL to reach
// the disk (synchronous_commit off for this transaction alone): embedded,
// that wait was an fsync on the node's thread once a second, in the way of
// whatever commit came next; the next op's commit syncs the WAL anyway, and
// a crash before it costs at most a preview the next commit writes again.
// Ops, snapshots and everything else keep their synced commits.
const WRITE = `
  WITH s AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
  i AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(id text, p text, v integer)),
  l AS MATERIALIZED (
    SELECT d."id" FROM "Document" d JOIN i ON i.id = d."id" CROSS JOIN s
    WHERE d."previewVersion" < i.v
    ORDER BY d."id"
    FOR UPDATE OF d SKIP LOCKED
  ),
  u AS (
    UPDATE "Document" d SET "preview" = i.p, "previewVersion" = i.v
    FROM i JOIN l ON l.id = i.id
    WHERE d."id" = i.id AND d."previewVersion" < i.v
    RETURNING d."id"
  )
  SELECT i.id FROM i JOIN "Document" d ON d."id" = i.id
  WHERE d."previewVersion" < i.v AND i.id NOT IN (SELECT u."id" FROM u)`;

/** Most previews in one statement. */
const PREVIEWS_PER_WRITE = 500;

export interface PreviewWriterOptions {
  sql: SqlSession;
  /** The start of the head as this node has it (cached right after a commit): at least `units` of it. */
  opening: (documentId: string, units: number) => Promise<{ version: number; ops: DeltaOp[] }>;
  onError?: (error: unknown) => void;
  /** How long a changed document's preview waits; every preview due then is written together. @default PREVIEW_DELAY_MS */
  delayMs?: number;
  /** Awaited before each write: when the database can best spare it (embedded: Sequencer.afterCommit). @default at once */
  slot?: () => Promise<void>;
}

export class PreviewWriter {
  private readonly options: PreviewWriterOptions;
  /** Documents whose preview is due when `timer` fires. */
  private due = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly writing = new Set<Promise<void>>();

  constructor(options: PreviewWriterOptions) {
    this.options = options;
  }

  /** Ops were committed on this document: write its preview soon (at most once per delay). */
  changed(documentId: string): void {
    this.due.add(documentId);
    if (this.timer) return;
    this.timer = setTimeout(() => this.writeDue(), this.options.delayMs ?? PREVIEW_DELAY_MS);
    this.timer.unref?.();
  }

  /** Writes the previews still due (on shutdown). */
  async flush(): Promise<void> {
    this.writeDue();
    await Promise.all([...this.writing]);
  }

  private writeDue(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids = [...this.due];
    this.due = new Set();
    for (let i = 0; i < ids.length; i += PREVIEWS_PER_WRITE) this.track(this.write(ids.slice(i, i + PREVIEWS_PER_WRITE)));
  }

  private async write(ids: string[]): Promise<void> {
    // A document whose head cannot be read (deleted meanwhile) is left out; the others are written.
    const heads = await Promise.allSettled(ids.map((id) => this.options.opening(id, OPENING_UNITS)));
    const rows: Array<{ id: string; p: string; v: number }> = [];
    heads.forEach((head, i) => {
      if (head.status === 'fulfilled') rows.push({ id: ids[i]!, p: previewOf(head.value), v: head.value.version });
      else this.options.onError?.(head.reason);
    });
    if (rows.length === 0) return;
    await this.options.slot?.();
    const skipped = await this.options.sql.query<{ id: string }>(WRITE, [JSON.stringify(rows)]);
    for (const { id } of skipped) this.changed(id);
  }

  private track(write: Promise<void>): void {
    const run = write
      .catch((error: unknown) => this.options.onError?.(error)) // a database hiccup: the next commit tries again
      .finally(() => this.writing.delete(run));
    this.writing.add(run);
  }
}
