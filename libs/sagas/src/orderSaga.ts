import { defineSaga } from './sagaDefinition';

export interface OrderInput {
  orderId: string;
  items: { sku: string; quantity: number }[];
  amount: number;
  /** Ask a human before charging when the amount is at least this much; never when absent. */
  approvalAbove?: number;
}

const problem = (input: unknown): string | undefined => {
  const o = input as Partial<OrderInput> | null;
  if (typeof o !== 'object' || o === null) return 'input must be an object';
  if (typeof o.orderId !== 'string' || o.orderId === '') return 'orderId: expected a non-empty string';
  if (!Array.isArray(o.items) || o.items.length === 0) return 'items: expected a non-empty array';
  if (typeof o.amount !== 'number' || !(o.amount >= 0)) return 'amount: expected a number >= 0';
  return undefined;
};

/**
 * The seed's order saga: create order → reserve inventory → process payment → complete order,
 * undone by cancel order ← release inventory ← refund payment. Agents are chosen by capability.
 */
export const orderSaga = defineSaga<OrderInput>({
  name: 'order',
  validateInput: problem,
  steps: [
    {
      id: 'create-order',
      command: { kind: 'task', assignee: { capability: 'orders' }, description: 'create order', input: ({ input }) => ({ op: 'create', orderId: input.orderId, items: input.items, amount: input.amount }) },
      compensation: { kind: 'task', assignee: { capability: 'orders' }, description: 'cancel order', input: ({ input }) => ({ op: 'cancel', orderId: input.orderId }) },
      timeoutMs: 10_000,
    },
    {
      id: 'reserve-inventory',
      command: { kind: 'task', assignee: { capability: 'inventory' }, description: 'reserve inventory', input: ({ input }) => ({ op: 'reserve', orderId: input.orderId, items: input.items }) },
      compensation: { kind: 'task', assignee: { capability: 'inventory' }, description: 'release inventory', input: ({ input }) => ({ op: 'release', orderId: input.orderId, items: input.items }) },
      timeoutMs: 10_000,
    },
    {
      id: 'process-payment',
      command: { kind: 'task', assignee: { capability: 'payments' }, description: 'process payment', input: ({ input }) => ({ op: 'charge', orderId: input.orderId, amount: input.amount }) },
      compensation: { kind: 'task', assignee: { capability: 'payments' }, description: 'refund payment', input: ({ input }) => ({ op: 'refund', orderId: input.orderId, amount: input.amount }) },
      timeoutMs: 10_000,
    },
    {
      id: 'complete-order',
      command: { kind: 'task', assignee: { capability: 'orders' }, description: 'complete order', input: ({ input }) => ({ op: 'complete', orderId: input.orderId }) },
      timeoutMs: 10_000,
    },
  ],
});

/** Three steps on fixed agents (pipeline-1, -2, -3), each undone by its agent: the benchmark's saga and the shape of a fixed-id assignment. */
export const pipelineSaga = defineSaga<unknown>({
  name: 'pipeline',
  steps: (['first', 'second', 'third'] as const).map((id, i) => ({
    id,
    command: { kind: 'task' as const, assignee: { agentId: `pipeline-${i + 1}` }, description: `${id} step` },
    compensation: { kind: 'task' as const, assignee: { agentId: `pipeline-${i + 1}` }, description: `undo ${id} step` },
    timeoutMs: 30_000,
  })),
});

export const builtInSagas = [orderSaga, pipelineSaga];
