import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from '@tanstack/react-query';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, NavLink, Outlet, RouterProvider } from 'react-router';
import { api, type Me, type Overview } from './api';
import { AgentsPage } from './pages/AgentsPage';
import { AuditPage } from './pages/AuditPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { LoginPage } from './pages/LoginPage';
import { OverviewPage } from './pages/OverviewPage';
import { SagaPage } from './pages/SagaPage';
import { SagasPage } from './pages/SagasPage';
import { TracePage } from './pages/TracePage';
import './style.css';

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } } });

/** Server-sent events: new overview figures replace the cached ones; a changed agent status refetches the agents. */
const useLiveUpdates = () => {
  const client = useQueryClient();
  useEffect(() => {
    const source = new EventSource('/api/stream');
    source.addEventListener('overview', (e) => client.setQueryData(['overview'], JSON.parse((e as MessageEvent<string>).data) as Overview));
    source.addEventListener('agents', () => void client.invalidateQueries({ queryKey: ['agents'] }));
    return () => source.close();
  }, [client]);
};

const Layout = () => {
  const me = useQuery({ queryKey: ['me'], queryFn: () => api<Me>('/api/me') });
  useLiveUpdates();
  if (!me.data) return <p className="muted">loading…</p>;
  return (
    <>
      <header>
        <strong>agentbus console</strong>
        <nav>
          <NavLink to="/" end>overview</NavLink>
          <NavLink to="/agents">agents</NavLink>
          <NavLink to="/sagas">sagas</NavLink>
          <NavLink to="/trace">trace</NavLink>
          <NavLink to="/dead-letters">dead letters</NavLink>
          <NavLink to="/audit">audit</NavLink>
        </nav>
        <span className="who" data-testid="who">
          {me.data.user} ({me.data.role})
        </span>
        <button onClick={() => void api('/api/logout', { method: 'POST' }).then(() => location.assign('/login'))}>log out</button>
      </header>
      <main>
        <Outlet context={me.data} />
      </main>
    </>
  );
};

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: <Layout />,
    children: [
      { path: '/', element: <OverviewPage /> },
      { path: '/agents', element: <AgentsPage /> },
      { path: '/sagas', element: <SagasPage /> },
      { path: '/sagas/:id', element: <SagaPage /> },
      { path: '/trace', element: <TracePage /> },
      { path: '/trace/:id', element: <TracePage /> },
      { path: '/dead-letters', element: <DeadLettersPage /> },
      { path: '/audit', element: <AuditPage /> },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
