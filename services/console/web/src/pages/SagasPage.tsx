import { useInfiniteQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { api, type Page, type SagaSummary } from '../api';

const statuses = ['', 'running', 'compensating', 'completed', 'failed', 'compensated', 'failed_compensation'];

export const SagasPage = () => {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const q = params.get('q') ?? '';
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  };
  const sagas = useInfiniteQuery({
    queryKey: ['sagas', status, q],
    queryFn: ({ pageParam }) => api<Page<SagaSummary>>(`/api/sagas?limit=50&status=${encodeURIComponent(status)}&q=${encodeURIComponent(q)}${pageParam ? `&after=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.next ?? undefined,
  });
  return (
    <>
      <form onSubmit={(e) => e.preventDefault()}>
        <select value={status} onChange={(e) => set('status', e.target.value)} aria-label="status">
          {statuses.map((s) => <option key={s} value={s}>{s || 'any status'}</option>)}
        </select>{' '}
        <input defaultValue={q} placeholder="search id, name or correlation" onChange={(e) => set('q', e.target.value)} />
      </form>
      <table>
        <thead><tr><th>saga</th><th>name</th><th>status</th><th>step</th><th>requested</th><th>finished</th></tr></thead>
        <tbody>
          {sagas.data?.pages.flatMap((p) => p.items).map((s) => (
            <tr key={s.saga_id}>
              <td><Link to={`/sagas/${encodeURIComponent(s.saga_id)}`}>{s.saga_id}</Link></td>
              <td>{s.saga_name}</td>
              <td className={`status-${s.status ?? ''}`}>{s.status ?? 'requested'}</td>
              <td className={s.failed_step ? 'failed' : ''}>{s.failed_step ?? s.current_step ?? ''}</td>
              <td>{s.requested_at ? new Date(s.requested_at).toLocaleString() : ''}</td>
              <td>{s.finished_at ? new Date(s.finished_at).toLocaleString() : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sagas.hasNextPage && <button onClick={() => void sagas.fetchNextPage()}>more</button>}
    </>
  );
};
