// Where the edits are: saved, being sent, or waiting for the network.
import { useEffect, useState } from 'react';
import type { SyncSnapshot } from '../sync/index.ts';

function label(snapshot: SyncSnapshot, now: number): string {
  const pending = snapshot.pendingEdits;
  const edits = `${pending} unsaved edit${pending === 1 ? '' : 's'}`;
  switch (snapshot.status) {
    case 'connecting':
      return 'Connecting…';
    case 'online':
      return pending === 0 ? 'All changes saved' : `Saving… (${edits})`;
    case 'reconnecting': {
      const wait = snapshot.retryAt === null ? 0 : Math.max(0, Math.ceil((snapshot.retryAt - now) / 1000));
      return `Reconnecting${wait > 0 ? ` in ${wait}s` : '…'}${pending ? ` · ${edits}` : ''}`;
    }
    case 'offline':
      return pending ? `Offline · ${edits}, sent when you are back` : 'Offline';
    case 'closed':
      return 'Disconnected';
  }
}

export function ConnectionIndicator({ snapshot }: { snapshot: SyncSnapshot }) {
  const [now, setNow] = useState(Date.now());
  // Count down to the next reconnect attempt.
  useEffect(() => {
    if (snapshot.status !== 'reconnecting') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [snapshot.status]);
  return (
    <span
      className={`connection ${snapshot.status}`}
      data-testid="connection"
      data-status={snapshot.status}
      data-pending={snapshot.pendingEdits}
      data-version={snapshot.version}
      data-persisting={snapshot.persisting}
      role="status"
      title={snapshot.durable ? undefined : 'This browser cannot keep unsaved edits across a reload'}
    >
      <span className="dot" />
      {label(snapshot, now)}
    </span>
  );
}
