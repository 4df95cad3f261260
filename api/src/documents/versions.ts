// A document's history as sessions (collab/history.ts), its named versions,
// and export to and import from files (convert/). Callers pass a
// DocumentView, so the viewer's access to read was already checked
// (Documents.access); what writes checks its own role here.
import type { Converter } from '../convert/converter.ts';
import type { DocumentFormat } from '../convert/formats.ts';
import { historyPage, type HistoryEntry, type HistoryRules } from '../collab/history.ts';
import { snapshotRequired } from '../collab/retention.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import type { OperationLog } from '../collab/types.ts';
import { badInput, notFound } from '../errors.ts';
import type { PrismaClient } from '../store/generated/client.ts';
import { RETENTION_LOCK_SQL } from '../store/log-retention.ts';
import { checkText } from '../validation/text.ts';
import { requireViewer, type DocumentView, type Documents, type Viewer } from './documents.ts';

export interface NamedVersionView {
  version: number;
  name: string;
  authorId: string | null;
  createdAt: Date;
}

/** Like a title: 1 to 200 characters after trimming, well-formed text. */
const MAX_NAME = 200;
const MAX_NAME_BYTES = 4 * MAX_NAME;
const MAX_HISTORY_PAGE = 100;
const DEFAULT_HISTORY_PAGE = 20;

function checkName(name: string): string {
  const trimmed = checkText(name, 'name', { trim: true, minLength: 1, maxBytes: MAX_NAME_BYTES });
  if (trimmed.length > MAX_NAME) throw badInput(`name must be 1 to ${MAX_NAME} characters`, { field: 'name' });
  return trimmed;
}

export class Versions {
  private readonly prisma: PrismaClient;
  private readonly log: OperationLog;
  private readonly sequencer: Sequencer;
  private readonly documents: Documents;
  private readonly converter: Converter;
  private readonly rules: HistoryRules | undefined;
  /** `converter` runs export and import off the main thread (convert/converter.ts). */
  constructor(prisma: PrismaClient, log: OperationLog, sequencer: Sequencer, documents: Documents, converter: Converter, rules?: HistoryRules) {
    this.prisma = prisma;
    this.log = log;
    this.sequencer = sequencer;
    this.documents = documents;
    this.converter = converter;
    this.rules = rules;
  }

  /** Sessions newest first that end before `beforeVersion` (default: all), at most `first` (default 20, max 100). */
  async history(doc: DocumentView, first: number | null, beforeVersion: number | null): Promise<HistoryEntry[]> {
    const limit = first ?? DEFAULT_HISTORY_PAGE;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_HISTORY_PAGE) throw badInput(`first must be 1 to ${MAX_HISTORY_PAGE}`, { field: 'first' });
    const head = (await this.sequencer.head(doc.id)).version;
    const before = beforeVersion ?? head + 1;
    if (!Number.isSafeInteger(before) || before < 1 || before > head + 1) {
      throw badInput(`beforeVersion must be between 1 and the head version + 1 (${head + 1})`, { field: 'beforeVersion', headVersion: head });
    }
    // Names end sessions, so the grouping needs those below `before`. Few
    // per document (each is a person's deliberate act).
    const named = await this.prisma.namedVersion.findMany({ where: { documentId: doc.id, version: { lt: before } }, select: { version: true, name: true } });
    const names = new Map(named.map((n) => [n.version, n.name]));
    return historyPage({
      head,
      beforeVersion: before,
      first: limit,
      names,
      ...(this.rules && { rules: this.rules }),
      readStamps: (upTo, count) => this.log.readStamps(doc.id, upTo, count),
      trimmed: await this.trimmedEntry(doc.id, names),
    });
  }

  /**
   * The history entry for the versions log retention dropped (1 to the
   * floor), or null when nothing was dropped. Their stamps are gone, so
   * it is one entry: its authors are the clients retention remembered
   * (DroppedClient), it starts when the document was created and ends when
   * the floor's op was committed.
   */
  private async trimmedEntry(documentId: string, names: ReadonlyMap<number, string>): Promise<HistoryEntry | null> {
    const doc = await this.prisma.document.findUnique({ where: { id: documentId }, select: { logFloor: true, logFloorAt: true, createdAt: true } });
    if (!doc || doc.logFloor === 0) return null;
    const clients = await this.prisma.droppedClient.findMany({ where: { documentId }, orderBy: { lastVersion: 'desc' }, select: { authorId: true } });
    const authorIds = [...new Set(clients.flatMap((c) => (c.authorId ? [c.authorId] : [])))];
    return {
      fromVersion: 1,
      toVersion: doc.logFloor,
      authorIds,
      startedAt: doc.createdAt,
      endedAt: doc.logFloorAt ?? doc.createdAt,
      name: names.get(doc.logFloor) ?? null,
      trimmed: true,
    };
  }

  /** Newest version first. */
  namedVersions(documentId: string): Promise<NamedVersionView[]> {
    return this.prisma.namedVersion.findMany({
      where: { documentId },
      orderBy: { version: 'desc' },
      select: { version: true, name: true, authorId: true, createdAt: true },
    });
  }

  /** Names `version` (1 to head; EDITOR or above). Naming a named version again replaces its name. */
  async nameVersion(viewer: Viewer | null, documentId: string, version: number, nameInput: string): Promise<NamedVersionView> {
    const name = checkName(nameInput);
    await this.documents.access(viewer, documentId, 'EDITOR');
    const head = (await this.sequencer.head(documentId)).version;
    if (!Number.isSafeInteger(version) || version < 1 || version > head) {
      throw badInput(`version must be between 1 and the head version ${head}`, { field: 'version', headVersion: head });
    }
    const authorId = viewer!.userId;
    try {
      // Under the lock a retention cut of this document takes
      // (store/log-retention.ts): either the cut sees this name and keeps a
      // snapshot of it, or this sees the cut and names only what is still
      // readable.
      return await this.prisma.$transaction(async (tx) => {
        await tx.$queryRawUnsafe(RETENTION_LOCK_SQL, documentId);
        const doc = await tx.document.findUnique({ where: { id: documentId }, select: { logFloor: true } });
        if (doc && version < doc.logFloor) {
          const pinned = await tx.snapshot.findUnique({ where: { documentId_version: { documentId, version } }, select: { version: true } });
          if (!pinned) throw snapshotRequired(doc.logFloor, { headVersion: head });
        }
        return tx.namedVersion.upsert({
          where: { documentId_version: { documentId, version } },
          create: { documentId, version, name, authorId },
          update: { name, authorId, createdAt: new Date() },
          select: { version: true, name: true, authorId: true, createdAt: true },
        });
      });
    } catch (error) {
      // The document was deleted meanwhile (its foreign key is gone).
      if ((error as { code?: unknown } | null)?.code === 'P2003') throw notFound();
      throw error;
    }
  }

  /** The content at `version` (default: head) in `format`. */
  async export(doc: DocumentView, format: DocumentFormat, version: number | null): Promise<string> {
    const content = version === null ? (await this.sequencer.head(doc.id)).content : await this.sequencer.contentAt(doc.id, version);
    return this.converter.export(content, format, doc.title);
  }

  /** A new document (owned by the viewer) whose version 1 is the file's content. */
  async import(viewer: Viewer | null, title: string, format: DocumentFormat, textInput: string): Promise<DocumentView> {
    requireViewer(viewer);
    // Its size is bounded by the request body limit (MAX_PAYLOAD_BYTES).
    const text = checkText(textInput, 'text');
    // create() checks the title and holds the content to the node's delta policy (formats, sizes, URLs).
    return this.documents.create(viewer, title, await this.converter.import(text, format));
  }
}
