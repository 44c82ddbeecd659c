import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, type SagaDetail } from '../api';

export const SagaPage = () => {
  const { id = '' } = useParams();
  const { data, error } = useQuery({ queryKey: ['saga', id], queryFn: () => api<SagaDetail>(`/api/sagas/${encodeURIComponent(id)}`), refetchInterval: 5000 });
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return <p className="muted">loading…</p>;
  const { saga, timeline } = data;
  const start = timeline[0] ? Date.parse(timeline[0].occurred_at) : 0;
  return (
    <>
      <h2>
        saga {saga.saga_id} ({saga.saga_name}): <span className={`status-${saga.status ?? ''}`}>{saga.status ?? 'requested'}</span>
      </h2>
      {saga.failed_step && (
        <p className="failed" data-testid="failed-step">
          failed at {saga.failed_step}: {saga.reason}
        </p>
      )}
      <p>
        correlation {saga.correlation_id ? <Link to={`/trace/${encodeURIComponent(saga.correlation_id)}`}>{saga.correlation_id}</Link> : '-'}
      </p>
      <table data-testid="timeline">
        <thead><tr><th>+ms</th><th>event</th><th>step</th><th>agent</th><th>detail</th></tr></thead>
        <tbody>
          {timeline.map((t) => (
            <tr key={t.event_id} className={t.phase === 'compensation' ? 'compensation' : t.type.includes('failed') ? 'failed' : ''} data-phase={t.phase ?? ''}>
              <td>{Date.parse(t.occurred_at) - start}</td>
              <td>{t.type.replace(/^saga\./, '')}</td>
              <td>{t.step_id ? `${t.step_id}${t.phase === 'compensation' ? ' (undo)' : ''}${t.attempt && t.attempt > 1 ? ` #${t.attempt}` : ''}` : ''}</td>
              <td>{t.agent_id ?? ''}</td>
              <td>{t.detail ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};
