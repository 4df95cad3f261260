// The fairness workload's agents, in a thread of their own: building and
// sending 400 KB edits (and, for ShareDB's clients, applying the others')
// must not delay the person's and the watcher's clocks in the main thread.
// Messages in: 'counts' (reply: AgentCounts), 'stop' (reply: the final
// counts, then the thread ends). Out first: 'ready' once the blocks exist.
import { parentPort, workerData } from 'node:worker_threads';
import { startAgents, type AgentsSpec } from './agents.ts';

const agents = await startAgents(workerData as AgentsSpec);
parentPort!.postMessage({ type: 'ready' });
parentPort!.on('message', async (message: string) => {
  if (message === 'counts') parentPort!.postMessage({ type: 'counts', counts: agents.counts() });
  if (message === 'stop') {
    await agents.stop();
    parentPort!.postMessage({ type: 'stopped', counts: agents.counts() });
    parentPort!.close();
  }
});
