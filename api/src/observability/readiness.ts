// What /readyz and the metrics say about a node's dependencies
// (docs/architecture.md, Modes): a node is ready while its database answers. Redis only
// carries live fan-out, shared rate limits and access events; without it
// streams read the log and the node still serves, so it is *degraded*, not
// unready. Reporting it unready would take every node of a cluster out of
// the load balancer at once on a Redis blip.

/** Each dependency's probe: true when it answered. */
export type DependencyChecks = Record<string, boolean>;

/** Dependencies a node cannot serve without. */
const REQUIRED: ReadonlySet<string> = new Set(['database']);

export interface Readiness {
  ready: boolean;
  /** ok: everything answers; degraded: ready, but something it can ride out is down; unready: a required dependency is down. */
  status: 'ok' | 'degraded' | 'unready';
  /** The dependencies that did not answer. */
  down: string[];
}

export function assessReadiness(checks: DependencyChecks): Readiness {
  const down = Object.entries(checks)
    .filter(([, up]) => !up)
    .map(([name]) => name);
  const ready = down.every((name) => !REQUIRED.has(name));
  return { ready, status: !ready ? 'unready' : down.length > 0 ? 'degraded' : 'ok', down };
}

/** How long a probe may take before its dependency counts as down (a health check must answer, even when a dependency hangs). */
export const PROBE_TIMEOUT_MS = 2_000;

/** True when `check` resolves within `timeoutMs`. Never rejects. */
export function probe(check: () => Promise<unknown>, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const answered = Promise.resolve()
    .then(check)
    .then(
      () => true,
      () => false,
    );
  return Promise.race([answered, late]).finally(() => clearTimeout(timer));
}
