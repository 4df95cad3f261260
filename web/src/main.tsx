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

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <UrqlProvider value={clients.urql}>
        <App />
      </UrqlProvider>
    </ServicesContext.Provider>
  </StrictMode>,
);
