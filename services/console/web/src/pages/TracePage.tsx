import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api, type Trace, type TraceNode } from '../api';

const flatten = (n: TraceNode, depth = 0): { node: TraceNode; depth: number }[] => [{ node: n, depth }, ...n.children.flatMap((c) => flatten(c, depth + 1))];

const EventDetail = ({ eventId }: { eventId: string }) => {
  const { data } = useQuery({ queryKey: ['event', eventId], queryFn: () => api<Record<string, unknown>>(`/api/events/${encodeURIComponent(eventId)}`) });
  // JSON as text: React escapes it, nothing in a payload is ever parsed as HTML.
  return <pre data-testid="event-detail">{data ? JSON.stringify(data, null, 2) : 'loading…'}</pre>;
};

export const TracePage = () => {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [open, setOpen] = useState<string | null>(null);
  const trace = useQuery({ queryKey: ['trace', id], queryFn: () => api<Trace>(`/api/trace/${encodeURIComponent(id)}`), enabled: id !== '' });
  const rows = trace.data?.roots.flatMap((r) => flatten(r)) ?? [];
  const total = Math.max(1, trace.data?.durationMs ?? 1);
  return (
    <>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const value = String(new FormData(e.currentTarget).get('id') ?? '').trim();
          if (value) navigate(`/trace/${encodeURIComponent(value)}`);
        }}
      >
        <input name="id" defaultValue={id} placeholder="correlation id, task id or saga id" size={40} /> <button type="submit">trace</button>
      </form>
      {trace.error && <p className="error">{trace.error.message}</p>}
      {trace.data && (
        <>
          <p>
            {trace.data.events} events, {trace.data.durationMs} ms, agents: {trace.data.agents.join(', ')}
          </p>
          <table className="waterfall" data-testid="waterfall">
            <thead><tr><th>event</th><th>agent</th><th>+ms</th><th className="lane">timeline</th></tr></thead>
            <tbody>
              {rows.map(({ node, depth }) => (
                <tr key={node.eventId} onClick={() => setOpen(open === node.eventId ? null : node.eventId)} data-depth={depth}>
                  <td style={{ paddingLeft: `${0.5 + depth * 1.2}rem` }}>{node.type}</td>
                  <td>{node.source}</td>
                  <td>{node.sinceStartMs}</td>
                  <td className="lane">
                    <div className="bar" style={{ marginLeft: `${(node.sinceStartMs / total) * 100}%`, width: `${Math.max(0.5, ((node.sinceCauseMs ?? 0) / total) * 100)}%` }} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {open && <EventDetail eventId={open} />}
        </>
      )}
    </>
  );
};
