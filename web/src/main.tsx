import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider as UrqlProvider } from 'urql';
import { createApiClients } from './api/client.ts';
import { Session } from './api/session.ts';
import { createSyncTransport } from './api/sync-transport.ts';
import { App } from './App.tsx';
import { ServicesContext, type Services } from './app/services.ts';
import { IndexedDbPendingStore } from './sync/indexeddb-store.ts';
import './styles.css';

const session = new Session('/graphql');
const clients = createApiClients(session);
const services: Services = {
  session,
  clients,
  transport: createSyncTransport(clients),
  store: IndexedDbPendingStore.supported() ? new IndexedDbPendingStore() : null,
};

// The app shell for offline reloads (web/src/offline/service-worker.ts); built only by `vite build`.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  void navigator.serviceWorker.register('/sw.js').catch(() => {});
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <UrqlProvider value={clients.urql}>
        <App />
      </UrqlProvider>
    </ServicesContext.Provider>
  </StrictMode>,
);
