import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, type Agent, type Page } from '../api';

const time = (t: string | null) => (t ? new Date(t).toLocaleTimeString() : '-');

export const AgentsPage = () => {
  const [params, setParams] = useSearchParams();
  const capability = params.get('capability') ?? '';
  const all = useInfiniteQuery({
    queryKey: ['agents', 'all'],
    queryFn: ({ pageParam }) => api<Page<Agent>>(`/api/agents?limit=100${pageParam ? `&after=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.next ?? undefined,
    enabled: capability === '',
  });
  const capable = useQuery({
    queryKey: ['agents', 'capability', capability],
    queryFn: () => api<{ agents: { agentId: string }[] }>(`/api/agents?capability=${encodeURIComponent(capability)}&minCapacity=0`),
    enabled: capability !== '',
  });
  const agents = all.data?.pages.flatMap((p) => p.items) ?? [];
  const capableIds = capability ? new Set(capable.data?.agents.map((a) => a.agentId)) : undefined;
  return (
    <>
      <form onSubmit={(e) => e.preventDefault()}>
        <label>
          capability{' '}
          <input defaultValue={capability} onChange={(e) => setParams(e.target.value ? { capability: e.target.value } : {})} placeholder="e.g. summarise" />
        </label>
        {capability && <span className="muted"> online agents with spare capacity, as GET /agents?capability= answers</span>}
      </form>
      {capability ? (
        <table>
          <thead><tr><th>agent</th></tr></thead>
          <tbody>{[...(capableIds ?? [])].map((id) => <tr key={id}><td>{id}</td></tr>)}</tbody>
        </table>
      ) : (
        <table data-testid="agents">
          <thead>
            <tr><th>agent</th><th>status</th><th>class</th><th>capabilities</th><th>capacity</th><th>load</th><th>in flight</th><th>backpressure</th><th>last heartbeat</th></tr>
          </thead>
          <tbody>
            {agents.map((a) => (
              <tr key={a.agentId} className={a.status} data-agent={a.agentId} data-status={a.status}>
                <td>{a.agentId}</td>
                <td className={`status-${a.status}`}>{a.status}</td>
                <td>{a.agentClass ?? '-'}</td>
                <td>{a.capabilities.join(', ')}</td>
                <td>{a.capacity}</td>
                <td>{a.load === null ? '-' : `${Math.round(a.load * 100)}%`}</td>
                <td>{a.inFlight ?? '-'}</td>
                <td>{a.backpressure ?? '-'}</td>
                <td>{time(a.lastHeartbeatAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {all.hasNextPage && <button onClick={() => void all.fetchNextPage()}>more</button>}
    </>
  );
};
