// What every page needs, created once in main.tsx: the session, the API
// clients, the sync transport and the store for pending edits.
import { createContext, useContext } from 'react';
import type { ApiClients } from '../api/client.ts';
import type { Session } from '../api/session.ts';
import type { PendingStore, SyncTransport } from '../sync/index.ts';

export interface Services {
  session: Session;
  clients: ApiClients;
  transport: SyncTransport;
  /** Null when the browser cannot keep pending edits across reloads. */
  store: PendingStore | null;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside ServicesContext');
  return services;
}
