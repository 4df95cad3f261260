// Machine-made edits for the fairness workload: each agent rewrites its own
// block of `blockChars` characters (delete it, insert a new one) in a loop,
// one edit in flight. Blocks keep their size, so block k of a document
// always starts at k × blockChars: agents never need to read the document.
// Ours: the agent path (an API token, editDocument over HTTP); ShareDB: its
// own client (it has no tokens and no text-level API).
import http from 'node:http';
import type { DeltaOp } from '../../web/src/sync/index.ts';
import { ShareDbApi, type ShareDbWriter } from './sharedb.ts';

export interface AgentSlot {
  documentId: string;
  /** Which block of the document this agent owns (block k starts at k × blockChars). */
  slot: number;
}

export interface AgentsSpec {
  system: 'ours' | 'sharedb';
  url: string;
  /** Ours: the API token (`cgat_…`) the agents use. */
  token: string | null;
  blockChars: number;
  agents: AgentSlot[];
}

export interface AgentCounts {
  /** Edits acknowledged so far (all agents). */
  acked: number;
  /** Edits that failed (the agent goes on). */
  errors: number;
  firstError: string | null;
}

/** Lines of ~60 characters; `variant` changes every line's first letter, so every edit is new text. */
export function blockText(chars: number, variant: number): string {
  const line = 'machine-made text, rewritten whole on every pass of the agent\n';
  const letter = String.fromCharCode(97 + (variant % 26));
  const body = (letter + line.slice(1)).repeat(Math.ceil(chars / line.length));
  return body.slice(0, chars);
}

/** Replace block `slot`; or, setting up (`replace` false), insert it at the start of the document. */
export function blockDelta(slot: number, blockChars: number, text: string, replace: boolean): DeltaOp[] {
  const at = replace ? slot * blockChars : 0;
  return [...(at > 0 ? [{ retain: at }] : []), { insert: text }, ...(replace ? [{ delete: blockChars }] : [])];
}

const EDIT = 'mutation Edit($input: EditDocumentInput!) { editDocument(input: $input) { version } }';
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function postJson(url: string, token: string, body: string): Promise<{ data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url + '/graphql',
      { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)} (${String(error)})`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** One edit of our agent: editDocument with text-level edits at the head. */
async function oursEdit(spec: AgentsSpec, agent: AgentSlot, text: string, replace: boolean, key: string): Promise<void> {
  const at = replace ? agent.slot * spec.blockChars : 0;
  const edits = [...(replace ? [{ deleteText: { index: at, length: spec.blockChars } }] : []), { insertText: { index: at, text } }];
  const reply = await postJson(spec.url, spec.token!, JSON.stringify({ query: EDIT, variables: { input: { documentId: agent.documentId, edits, idempotencyKey: key } } }));
  if (reply.errors) throw new Error(`editDocument: ${reply.errors[0]!.extensions?.code ?? ''} ${reply.errors[0]!.message}`);
}

export interface RunningAgents {
  counts(): AgentCounts;
  stop(): Promise<void>;
}

/**
 * Writes every agent's first block at the start of its document, one after
 * the other, highest slot first (so block k ends up at k × blockChars, before
 * the text that was there), then starts the loops.
 */
export async function startAgents(spec: AgentsSpec): Promise<RunningAgents> {
  const counts: AgentCounts = { acked: 0, errors: 0, firstError: null };
  const writers = new Map<AgentSlot, ShareDbWriter>();
  const api = spec.system === 'sharedb' ? new ShareDbApi(spec.url) : null;
  let edits = 0;
  const edit = async (agent: AgentSlot, replace: boolean) => {
    const text = blockText(spec.blockChars, edits++);
    if (!api) return oursEdit(spec, agent, text, replace, `fair-${agent.documentId}-${agent.slot}-${edits}`);
    const writer = writers.get(agent) ?? (await api.openWriter(agent.documentId));
    writers.set(agent, writer);
    writer.edit(blockDelta(agent.slot, spec.blockChars, text, replace));
    await writer.synced();
  };
  const setupOrder = [...spec.agents].sort((a, b) => b.slot - a.slot);
  for (const agent of setupOrder) await edit(agent, false);

  let stopped = false;
  const loops = spec.agents.map(async (agent) => {
    while (!stopped) {
      try {
        await edit(agent, true);
        counts.acked++;
      } catch (error) {
        counts.errors++;
        counts.firstError ??= String(error);
        // A writer whose op failed is dropped: a fresh one reads the head again.
        writers.get(agent)?.close().catch(() => {});
        writers.delete(agent);
      }
    }
  });
  return {
    counts: () => ({ ...counts }),
    async stop() {
      stopped = true;
      await Promise.all(loops);
      await Promise.allSettled([...writers.values()].map((w) => w.close()));
      keepAlive.destroy();
    },
  };
}
