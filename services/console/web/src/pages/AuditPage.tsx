import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useOutletContext } from 'react-router';
import { api, type ChainHead, type Me } from '../api';

interface Verification {
  ok: boolean;
  verified: number;
  partitions: number;
  problems: { text: string }[];
}

export const AuditPage = () => {
  const me = useOutletContext<Me>();
  const client = useQueryClient();
  const audit = useQuery({ queryKey: ['audit'], queryFn: () => api<{ heads: ChainHead[]; lastVerification: (Verification & { at: string; by: string }) | null }>('/api/audit'), refetchInterval: 5000 });
  const verify = useMutation({ mutationFn: () => api<Verification>('/api/audit/verify', { method: 'POST' }), onSuccess: () => void client.invalidateQueries({ queryKey: ['audit'] }) });
  const recorded = verify.data ? null : audit.data?.lastVerification;
  const last = verify.data ?? recorded;
  return (
    <>
      {me.role === 'operator' && (
        <button onClick={() => verify.mutate()} disabled={verify.isPending} data-testid="verify">
          {verify.isPending ? 'verifying…' : 'verify the chains'}
        </button>
      )}
      {last && (
        <div data-testid="verification" className={last.ok ? '' : 'failed'}>
          {last.ok ? `verified ${last.verified} records in ${last.partitions} partitions` : 'the audit trail was tampered with:'}
          {last.problems.map((p) => <pre key={p.text}>{p.text}</pre>)}
          {recorded && <span className="muted"> (by {recorded.by} at {new Date(recorded.at).toLocaleString()})</span>}
        </div>
      )}
      <table>
        <thead><tr><th>topic</th><th>partition</th><th>records</th><th>next offset</th><th>chain head</th><th>updated</th></tr></thead>
        <tbody>
          {audit.data?.heads.map((h) => (
            <tr key={`${h.topic}/${h.partition}`}>
              <td>{h.topic}</td><td>{h.partition}</td><td>{h.rows}</td><td>{h.nextOffset}</td><td><code>{h.lastHash.slice(0, 16)}…</code></td><td>{new Date(h.updatedAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
};
