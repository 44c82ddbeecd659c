import type { NewEvent } from '@agentbus/events';
import { seededRandom } from '../seededRandom';

export interface TaskCreatedPayload {
  taskId: string;
  description: string;
  priority: 'low' | 'normal' | 'high' | 'critical';
  domain: string | null;
  requiredCapability: string | null;
  input: string | null;
}

export type TaskCreatedInput = NewEvent<'task.created', TaskCreatedPayload>;

const verbs = ['Summarise', 'Classify', 'Translate', 'Reconcile', 'Review', 'Extract entities from', 'Draft a reply to', 'Score the risk of', 'Deduplicate', 'Tag'];
const objects = [
  'the quarterly revenue report for the EMEA region',
  'customer ticket about a failed card payment',
  'the onboarding documents uploaded by a new supplier',
  'yesterday’s incident post-mortem and its action items',
  'the contract amendment received from the legal team',
  'a batch of product reviews scraped from the marketplace',
  'the meeting transcript of the architecture review',
  'invoices that do not match a purchase order',
];
const domains = ['financial', 'support', 'legal', 'operations', 'research', null];
const capabilities = ['summarise', 'classify', 'translate', 'extract', 'review', null];
const priorities = ['low', 'normal', 'high', 'critical'] as const;
const languages = ['en', 'de', 'fr', 'es', 'ja'];

/**
 * `task.created` events shaped like the demo's planner output but fuller: a sentence of
 * description, a domain, a capability and a JSON input of a few hundred bytes. Deterministic.
 */
export const taskCreatedInputs = (count: number, runTag: string, seed = 42): TaskCreatedInput[] => {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const inputs: TaskCreatedInput[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = `task-${runTag}-${String(i).padStart(7, '0')}`;
    const documents = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, d) => `s3://agentbus-bench/inbox/${runTag}/${i}-${d}.pdf`);
    const input = JSON.stringify({
      documents,
      language: pick(languages),
      maxTokens: 256 + Math.floor(random() * 3840),
      temperature: Math.round(random() * 100) / 100,
      requestedBy: `did:agent:planner-${1 + Math.floor(random() * 8)}`,
      deadline: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 30 * 86_400_000)).toISOString(),
    });
    inputs.push({
      type: 'task.created',
      source: `did:agent:planner-${1 + (i % 8)}`,
      payload: {
        taskId,
        description: `${pick(verbs)} ${pick(objects)} (batch ${Math.floor(i / 500)}, item ${i % 500}).`,
        priority: pick(priorities),
        domain: pick(domains),
        requiredCapability: pick(capabilities),
        input: random() < 0.9 ? input : null,
      },
    });
  }
  return inputs;
};

export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
