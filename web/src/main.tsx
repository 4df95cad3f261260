import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Provider as UrqlProvider } from 'urql';
import { createApiClients } from './api/client.js';
import { Session } from './api/session.js';
import { createSyncTransport } from './api/sync-transport.js';
import { App } from './app/App.js';
import { ServicesContext, type Services } from './app/services.js';
import { IndexedDbPendingStore } from './sync/indexeddb-store.js';
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
