import { useQuery } from '@tanstack/react-query';
import { api, type Overview } from '../api';

const Counts = ({ title, counts, testId }: { title: string; counts: Record<string, number>; testId: string }) => (
  <div className="card" data-testid={testId}>
    <h3>{title}</h3>
    {Object.keys(counts).length === 0 ? <span className="muted">none</span> : Object.entries(counts).map(([k, n]) => <div key={k} className={`status-${k}`}>{k}: {n}</div>)}
  </div>
);

export const OverviewPage = () => {
  // Live: the event stream replaces this query's data; the poll is only a fallback.
  const { data, error } = useQuery({ queryKey: ['overview'], queryFn: () => api<Overview>('/api/overview'), refetchInterval: 30_000 });
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return <p className="muted">loading…</p>;
  return (
    <div className="cards">
      <Counts title="agents" counts={data.agents} testId="overview-agents" />
      <Counts title="sagas" counts={data.sagas} testId="overview-sagas" />
      <Counts title="events per second (last minute)" counts={data.eventsPerSecond} testId="overview-rates" />
      <div className="card" data-testid="overview-dlq">
        <h3>dead letters waiting</h3>
        {data.deadLettersWaiting ?? <span className="muted">no audit trail yet</span>}
      </div>
      <div className="card">
        <h3>consumer lag</h3>
        {data.consumerLag === null ? <span className="muted">unavailable</span> : data.consumerLag.map((c) => <div key={c.consumer}>{c.consumer}: {c.lag} ({c.partitions} partitions)</div>)}
      </div>
    </div>
  );
};
