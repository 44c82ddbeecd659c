import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { api, type DeadLetter, type Me, type Page } from '../api';

const Detail = ({ ref_ }: { ref_: string }) => {
  const { data } = useQuery({ queryKey: ['dead-letter', ref_], queryFn: () => api<DeadLetter & { hex: string | null; event: unknown; decodeError: string | null; headers: Record<string, string> }>(`/api/dead-letters/${ref_}`) });
  if (!data) return <p className="muted">loading…</p>;
  return (
    <div data-testid="dead-letter-detail">
      <h3>dead letter {data.ref}</h3>
      <p>{data.reason}</p>
      <pre>{JSON.stringify(data.headers, null, 2)}</pre>
      {data.event ? <pre>{JSON.stringify(data.event, null, 2)}</pre> : <p className="muted">not decodable: {data.decodeError}</p>}
      <h4>raw bytes (hex)</h4>
      <pre data-testid="hex">{data.hex?.replace(/(.{2})/g, '$1 ').trim() ?? '(none)'}</pre>
    </div>
  );
};

export const DeadLettersPage = () => {
  const me = useOutletContext<Me>();
  const client = useQueryClient();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const letters = useInfiniteQuery({
    queryKey: ['dead-letters'],
    queryFn: ({ pageParam }) => api<Page<DeadLetter>>(`/api/dead-letters?limit=100${pageParam ? `&after=${encodeURIComponent(pageParam)}` : ''}`),
    initialPageParam: '',
    getNextPageParam: (last) => last.next ?? undefined,
    refetchInterval: 2000,
  });
  const replay = useMutation({
    mutationFn: (refs: string[]) => api<{ republished: number; sourceRecords: string[] }>('/api/dead-letters/replay', { method: 'POST', body: { refs } }),
    onSuccess: (r) => {
      setOutcome(`re-published ${r.republished} source record(s): ${r.sourceRecords.join(', ')}`);
      setSelected(new Set());
      void client.invalidateQueries({ queryKey: ['dead-letters'] });
    },
    onError: (e) => setOutcome(`replay failed: ${e.message}`),
  });
  const items = letters.data?.pages.flatMap((p) => p.items) ?? [];
  const toggle = (ref: string) => setSelected((s) => (s.has(ref) ? new Set([...s].filter((r) => r !== ref)) : new Set([...s, ref])));
  const confirmReplay = () => {
    if (window.confirm(`Re-publish the source records of ${selected.size} dead letter(s) to their topics?`)) replay.mutate([...selected]);
  };
  return (
    <>
      {me.role === 'operator' ? (
        <button disabled={selected.size === 0 || replay.isPending} onClick={confirmReplay} data-testid="replay">
          replay {selected.size} selected
        </button>
      ) : (
        <p className="muted" data-testid="viewer-note">viewers cannot replay</p>
      )}
      {outcome && <p data-testid="replay-outcome">{outcome}</p>}
      <table data-testid="dead-letters">
        <thead><tr><th /><th>dlq</th><th>failed at</th><th>code</th><th>reason</th><th>source</th><th>subscription</th><th>key</th></tr></thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.ref} data-ref={d.ref}>
              <td>{me.role === 'operator' && <input type="checkbox" checked={selected.has(d.ref)} onChange={() => toggle(d.ref)} aria-label={`select ${d.ref}`} />}</td>
              <td><button onClick={() => setOpen(d.ref)}>{d.ref}</button></td>
              <td>{d.failedAt ? new Date(d.failedAt).toLocaleString() : '-'}</td>
              <td>{d.code}</td>
              <td>{d.reason}</td>
              <td>{`${d.sourceTopic}/${d.sourcePartition}/${d.sourceOffset}`}</td>
              <td>{d.subscription}</td>
              <td>{d.key ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p className="muted">no dead letters waiting</p>}
      {letters.hasNextPage && <button onClick={() => void letters.fetchNextPage()}>more</button>}
      {open && <Detail ref_={open} />}
    </>
  );
};
