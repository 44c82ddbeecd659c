// Generated from schemas/ by scripts/schemas/generateTypes.ts. Do not edit.

/** A proposed action was approved and may be taken. */
export interface ActionApprovedPayload {
  actionId: string;
  /** The approving human or agent. */
  approvedBy: string;
  comment?: string | null;
}

/** An agent proposes an action that needs approval before it is taken. */
export interface ActionProposedPayload {
  actionId: string;
  /** The proposing agent. */
  proposedBy: string;
  /** What to do, e.g. transfer_funds. */
  action: string;
  /** The action's arguments as a JSON string. */
  arguments: string;
  /** Why the agent proposes it. */
  rationale?: string | null;
  /** Ordered, so filters can compare by position. */
  risk: ActionRisk;
  /** Epoch ms by which a decision is needed; null for none. */
  deadline?: number | null;
}

export type ActionRisk = 'low' | 'medium' | 'high' | 'critical';
export const actionRiskSymbols = ['low', 'medium', 'high', 'critical'] as const;

/** A proposed action was rejected and must not be taken. */
export interface ActionVetoedPayload {
  actionId: string;
  /** The vetoing human or agent. */
  vetoedBy: string;
  reason: string;
}

/** An agent paused or resumed intake on one subscription. Kafka lets a slow consumer pause instead of dropping events, so this reports a state change, not a drop count. */
export interface AgentBackpressurePayload {
  agentId: string;
  /** The subscription whose intake changed, e.g. its pattern or consumer group. */
  subscription: string;
  /** A state this reader does not know reads as paused, the cautious assumption. */
  state: BackpressureState;
  /** Events buffered locally when the state changed. */
  queueSize: number;
  /** The in-flight limit that triggers a pause. */
  maxInFlight: number;
  /** On resumed: how long intake was paused; null on paused. */
  pausedMs?: number | null;
}

export type BackpressureState = 'paused' | 'resumed';
export const backpressureStateSymbols = ['paused', 'resumed'] as const;

/** Periodic proof of life with the agent's health and load. */
export interface AgentHeartbeatPayload {
  agentId: string;
  /** A status this reader does not know reads as degraded: neither trusted fully nor written off. */
  status: AgentHealth;
  /** Fraction of capacity in use, 0..1. */
  load: number;
  memoryUsageBytes: number;
  /** Tasks or events being processed right now. */
  inFlight: number;
}

export type AgentHealth = 'healthy' | 'degraded' | 'unhealthy';
export const agentHealthSymbols = ['healthy', 'degraded', 'unhealthy'] as const;

/** An agent left deliberately. An unannounced loss shows up as agent.suspected_failure instead. */
export interface AgentOfflinePayload {
  agentId: string;
  /** Why, e.g. system.shutdown or scale-in. */
  reason?: string | null;
}

/** An agent announced its presence and what it can do. */
export interface AgentOnlinePayload {
  agentId: string;
  /** Kind of agent, e.g. summariser; null when unclassified. */
  agentClass?: string | null;
  /** What the agent can do; task.created requiredCapability is matched against these. */
  capabilities: string[];
  /** How many more tasks the agent can take now. */
  capacity: number;
  /** Domains the agent is best at, e.g. financial. */
  specializations: string[];
  /** How often the agent publishes agent.heartbeat; monitors derive the failure timeout from it. */
  heartbeatIntervalMs: number;
}

/** An agent stopped taking new work but stays online. */
export interface AgentPausedPayload {
  agentId: string;
  /** Why, e.g. paused by an operator or awaiting approval. */
  reason?: string | null;
}

/** An agent suspected of failure was heard from again. */
export interface AgentRecoveredPayload {
  agentId: string;
  /** Time between the last sign of life before the suspicion and lastSeen. */
  outageMs: number;
  /** When the agent was heard from again, epoch ms. */
  lastSeen: number;
}

/** An agent's process started or resumed after a pause and takes work again. */
export interface AgentStartedPayload {
  agentId: string;
  /** Why, e.g. resumed by an operator. */
  reason?: string | null;
}

/** A monitor heard nothing from an agent for longer than its timeout. */
export interface AgentSuspectedFailurePayload {
  agentId: string;
  /** When the last heartbeat or event from the agent was seen, epoch ms. */
  lastSeen: number;
  /** The silence threshold that was exceeded. */
  timeoutMs: number;
  /** load from the last heartbeat; null if none was seen. */
  lastLoad?: number | null;
  /** The monitor that raised the suspicion. */
  detectedBy: string;
}

/** An agent finished processing a document. */
export interface DocumentProcessedPayload {
  documentId: string;
  /** The agent that processed it. */
  agentId: string;
  /** MIME type, e.g. application/pdf. */
  contentType: string;
  /** Size of the document. */
  bytes: number;
  summary?: string | null;
}

/** An embedding of a document was computed and stored. */
export interface EmbeddingGeneratedPayload {
  documentId: string;
  /** The agent that computed it. */
  agentId: string;
  /** Embedding model, e.g. text-embedding-3-small. */
  model: string;
  dimensions: number;
  /** Where the vector is stored, e.g. a vector-store URI; vectors are too large to carry in events. */
  vectorRef: string;
}

/** An agent changed one entry of its memory; replaying these rebuilds the memory. */
export interface MemoryUpdatedPayload {
  agentId: string;
  /** Memory entry, e.g. user_context. */
  key: string;
  /** New value as a JSON string; the JSON literal null clears the entry. */
  value: string;
}

/** An operator acted through the console (replayed dead letters, ran the audit verification): who, what and with which outcome; the event's timestamp says when. */
export interface OperatorActionPayload {
  /** The console user who acted. */
  operator: string;
  /** Their role when they acted, e.g. operator. */
  role: string;
  /** What they did, e.g. dlq.replay or audit.verify. */
  action: string;
  /** What it was done to, as a JSON string (dead-letter positions, a topic). */
  target: string;
  /** What came of it, as a JSON string (records re-published, problems found). */
  outcome: string;
}

/** Every compensation succeeded. */
export interface SagaCompensatedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  /** Steps that were compensated, in the order they ran. */
  steps: string[];
}

/** A step failed for good; the completed steps are undone in reverse order. */
export interface SagaCompensatingPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  failedStep: string;
  reason: string;
  /** Steps whose compensations run, in the order they run. */
  steps: string[];
}

/** Every step of the saga succeeded. */
export interface SagaCompletedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  /** Each step's output by step id, as a JSON string. */
  output: string;
}

/** An event reached a saga that must not act on it: a duplicate, a late outcome, or one for a finished saga. Recorded, never acted upon. */
export interface SagaEventIgnoredPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  eventId: string;
  eventType: string;
  /** duplicate, late, finished or unexpected. */
  reason: string;
}

/** The saga ended without completing. */
export interface SagaFailedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  /** failed: compensated; failed_compensation: a compensation failed for good and an operator must act. An unknown status reads as failed_compensation, the cautious assumption. */
  status: SagaFailureStatus;
  /** The step whose failure (or compensation) ended the saga. */
  failedStep?: string | null;
  reason: string;
}

export type SagaFailureStatus = 'failed' | 'failed_compensation';
export const sagaFailureStatusSymbols = ['failed', 'failed_compensation'] as const;

/** A saga needs a human: a compensation failed after its retries. */
export interface SagaOperatorAlertPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  sagaName: string;
  /** An unknown severity reads as critical. */
  severity: AlertSeverity;
  stepId?: string | null;
  reason: string;
}

export type AlertSeverity = 'warning' | 'critical';
export const alertSeveritySymbols = ['warning', 'critical'] as const;

/** The orchestrator accepted a workflow.requested and began the saga. */
export interface SagaStartedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  sagaName: string;
  /** The saga's input as a JSON string. */
  input: string;
  /** Step ids in definition order. */
  steps: string[];
}

/** A step (or its compensation) succeeded. */
export interface SagaStepCompletedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  stepId: string;
  /** forward: the step itself; compensation: undoing it. */
  phase: SagaPhase;
  attempt: number;
  /** The event that completed it. */
  outcomeEventId: string;
  /** The step's result as a JSON string. */
  output?: string | null;
}

export type SagaPhase = 'forward' | 'compensation';
export const sagaPhaseSymbols = ['forward', 'compensation'] as const;

/** The orchestrator sent a step's command (or its compensation) and waits for its outcome. */
export interface SagaStepDispatchedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  stepId: string;
  /** forward: the step itself; compensation: undoing it. */
  phase: SagaPhase;
  /** 1 for the first try, then each retry. */
  attempt: number;
  /** Event id of the command sent; stable across relays. */
  commandId: string;
  /** e.g. task.assigned or action.proposed. */
  commandType: string;
  /** The task id or action id the outcome must carry. */
  correlationKey: string;
  /** The agent chosen, for task commands. */
  agentId?: string | null;
  /** The capability the agent was chosen for, if any. */
  capability?: string | null;
  /** When the attempt times out, epoch ms. */
  deadline: number;
}

/** An attempt at a step (or its compensation) failed, or could not be dispatched. */
export interface SagaStepFailedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  stepId: string;
  /** forward: the step itself; compensation: undoing it. */
  phase: SagaPhase;
  attempt: number;
  error: string;
  /** True when another attempt follows at retryAt. */
  willRetry: boolean;
  /** When the next attempt is dispatched, epoch ms. */
  retryAt?: number | null;
  /** The event that failed it; null for a dispatch failure, e.g. no capable agent. */
  outcomeEventId?: string | null;
}

/** An attempt at a step (or its compensation) reached its deadline without an outcome. */
export interface SagaStepTimedOutPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  stepId: string;
  /** forward: the step itself; compensation: undoing it. */
  phase: SagaPhase;
  attempt: number;
  deadline: number;
  /** True when another attempt follows at retryAt. */
  willRetry: boolean;
  /** When the next attempt is dispatched, epoch ms. */
  retryAt?: number | null;
}

/** An agent's trust score changed. */
export interface ScoreUpdatedPayload {
  agentId: string;
  /** The new score; higher is more trusted. */
  score: number;
  /** null for the agent's first score. */
  previousScore?: number | null;
  /** Why it changed, e.g. the violation or task that caused it. */
  reason?: string | null;
}

/** The system is shutting down; agents finish or hand back their work and go offline. */
export interface SystemShutdownPayload {
  reason?: string | null;
  /** Grace period in ms to finish in-flight work before agents are stopped; null when none is set. */
  deadlineMs?: number | null;
}

/** The assigned agent accepted the task and started on it. */
export interface TaskAcknowledgedPayload {
  taskId: string;
  /** The agent that accepted the task. */
  agentId: string;
}

/** A task was given to one agent. Publishers set routingKey task.assigned.<agentId> so an agent can subscribe to its own work. */
export interface TaskAssignedPayload {
  taskId: string;
  /** The agent that should do the task. */
  agentId: string;
  /** Agent or service that made the assignment, e.g. the orchestrator. */
  assignedBy: string;
  /** What to do, copied from the task so the agent needs no other event. */
  description: string;
  /** Open-ended task input as a JSON string. */
  input?: string | null;
  /** The capability the assignment was made for, when it was chosen by capability. */
  requiredCapability?: string | null;
  /** Epoch ms by which the task should be completed; null for no deadline. */
  deadline?: number | null;
  /** 1 for the first assignment, incremented on each reassignment after a failure. */
  attempt: number;
}

/** An agent finished a task. v2 adds the seed's result metrics; v1 readers ignore them, v2 readers see null for v1 events. */
export interface TaskCompletedPayload {
  taskId: string;
  result: TaskResult;
}

export interface TaskResult {
  status: TaskResultStatus;
  /** Open-ended result as a JSON string. */
  output: string;
  metrics?: TaskMetrics | null;
}

export type TaskResultStatus = 'success' | 'partial';
export const taskResultStatusSymbols = ['success', 'partial'] as const;

export interface TaskMetrics {
  durationMs: number;
  tokensUsed?: number | null;
}

/** A unit of work was created and awaits an agent. */
export interface TaskCreatedPayload {
  taskId: string;
  description: string;
  /** Ordered: content filters compare by symbol position, so $gte high matches high and critical. */
  priority: TaskPriority;
  /** Business domain, e.g. financial. */
  domain?: string | null;
  requiredCapability?: string | null;
  /** Open-ended task input as a JSON string. */
  input?: string | null;
}

export type TaskPriority = 'low' | 'normal' | 'high' | 'critical';
export const taskPrioritySymbols = ['low', 'normal', 'high', 'critical'] as const;

/** An attempt at a task failed. */
export interface TaskFailedPayload {
  taskId: string;
  /** The agent whose attempt failed; null when the task failed without one, e.g. no capable agent or a missed deadline. */
  agentId?: string | null;
  /** Human-readable description of the failure. */
  error: string;
  /** True when another attempt may succeed; only retriable failures are reassigned. */
  retriable: boolean;
  /** The attempt that failed, as in task.assigned. */
  attempt: number;
}

/** An agent called a tool. */
export interface ToolInvokedPayload {
  agentId: string;
  /** Unique per call. */
  invocationId: string;
  /** Tool name, e.g. search. */
  tool: string;
  /** The call's parameters as a JSON string. */
  params: string;
  /** The task the call was made for, if any. */
  taskId?: string | null;
}

/** An agent broke a policy. */
export interface ViolationDetectedPayload {
  agentId: string;
  /** The rule broken, e.g. unapproved_tool_use. */
  violation: string;
  /** Ordered. A severity this reader does not know reads as high, so it is not under-triaged. */
  severity: ViolationSeverity;
  /** Supporting data as a JSON string. */
  evidence?: string | null;
}

export type ViolationSeverity = 'low' | 'medium' | 'high' | 'critical';
export const violationSeveritySymbols = ['low', 'medium', 'high', 'critical'] as const;

/** Asks the saga orchestrator to start a saga. Publishing it again with the same sagaId starts nothing new. */
export interface WorkflowRequestedPayload {
  /** The saga instance; the Kafka key of every event about it. */
  sagaId: string;
  /** A saga definition the orchestrator knows, e.g. order. */
  sagaName: string;
  /** The saga's input as a JSON string. */
  input: string;
  /** The agent, human or tool that asked. */
  requestedBy: string;
}

/** The payload type of every event type, newest schema version. */
export interface EventPayloads {
  'action.approved': ActionApprovedPayload;
  'action.proposed': ActionProposedPayload;
  'action.vetoed': ActionVetoedPayload;
  'agent.backpressure': AgentBackpressurePayload;
  'agent.heartbeat': AgentHeartbeatPayload;
  'agent.offline': AgentOfflinePayload;
  'agent.online': AgentOnlinePayload;
  'agent.paused': AgentPausedPayload;
  'agent.recovered': AgentRecoveredPayload;
  'agent.started': AgentStartedPayload;
  'agent.suspected_failure': AgentSuspectedFailurePayload;
  'document.processed': DocumentProcessedPayload;
  'embedding.generated': EmbeddingGeneratedPayload;
  'memory.updated': MemoryUpdatedPayload;
  'operator.action': OperatorActionPayload;
  'saga.compensated': SagaCompensatedPayload;
  'saga.compensating': SagaCompensatingPayload;
  'saga.completed': SagaCompletedPayload;
  'saga.event_ignored': SagaEventIgnoredPayload;
  'saga.failed': SagaFailedPayload;
  'saga.operator_alert': SagaOperatorAlertPayload;
  'saga.started': SagaStartedPayload;
  'saga.step.completed': SagaStepCompletedPayload;
  'saga.step.dispatched': SagaStepDispatchedPayload;
  'saga.step.failed': SagaStepFailedPayload;
  'saga.step.timed_out': SagaStepTimedOutPayload;
  'score.updated': ScoreUpdatedPayload;
  'system.shutdown': SystemShutdownPayload;
  'task.acknowledged': TaskAcknowledgedPayload;
  'task.assigned': TaskAssignedPayload;
  'task.completed': TaskCompletedPayload;
  'task.created': TaskCreatedPayload;
  'task.failed': TaskFailedPayload;
  'tool.invoked': ToolInvokedPayload;
  'violation.detected': ViolationDetectedPayload;
  'workflow.requested': WorkflowRequestedPayload;
}

export type EventType = keyof EventPayloads;

/** The category, and so the topic, of every event type: where its schema file lives. */
export const eventTypeCategories = {
  'action.approved': 'decision',
  'action.proposed': 'decision',
  'action.vetoed': 'decision',
  'agent.backpressure': 'agent',
  'agent.heartbeat': 'agent',
  'agent.offline': 'agent',
  'agent.online': 'agent',
  'agent.paused': 'agent',
  'agent.recovered': 'agent',
  'agent.started': 'agent',
  'agent.suspected_failure': 'agent',
  'document.processed': 'data',
  'embedding.generated': 'data',
  'memory.updated': 'agent',
  'operator.action': 'system',
  'saga.compensated': 'saga',
  'saga.compensating': 'saga',
  'saga.completed': 'saga',
  'saga.event_ignored': 'saga',
  'saga.failed': 'saga',
  'saga.operator_alert': 'saga',
  'saga.started': 'saga',
  'saga.step.completed': 'saga',
  'saga.step.dispatched': 'saga',
  'saga.step.failed': 'saga',
  'saga.step.timed_out': 'saga',
  'score.updated': 'trust',
  'system.shutdown': 'system',
  'task.acknowledged': 'task',
  'task.assigned': 'task',
  'task.completed': 'task',
  'task.created': 'task',
  'task.failed': 'task',
  'tool.invoked': 'system',
  'violation.detected': 'trust',
  'workflow.requested': 'saga',
} as const;

/** The schema version these types describe; producers put it in metadata.version. */
export const eventSchemaVersions = {
  'action.approved': 1,
  'action.proposed': 1,
  'action.vetoed': 1,
  'agent.backpressure': 1,
  'agent.heartbeat': 1,
  'agent.offline': 1,
  'agent.online': 1,
  'agent.paused': 1,
  'agent.recovered': 1,
  'agent.started': 1,
  'agent.suspected_failure': 1,
  'document.processed': 1,
  'embedding.generated': 1,
  'memory.updated': 1,
  'operator.action': 1,
  'saga.compensated': 1,
  'saga.compensating': 1,
  'saga.completed': 1,
  'saga.event_ignored': 1,
  'saga.failed': 1,
  'saga.operator_alert': 1,
  'saga.started': 1,
  'saga.step.completed': 1,
  'saga.step.dispatched': 1,
  'saga.step.failed': 1,
  'saga.step.timed_out': 1,
  'score.updated': 1,
  'system.shutdown': 1,
  'task.acknowledged': 1,
  'task.assigned': 1,
  'task.completed': 2,
  'task.created': 1,
  'task.failed': 1,
  'tool.invoked': 1,
  'violation.detected': 1,
  'workflow.requested': 1,
} as const;

export const eventTypes = [
  'action.approved',
  'action.proposed',
  'action.vetoed',
  'agent.backpressure',
  'agent.heartbeat',
  'agent.offline',
  'agent.online',
  'agent.paused',
  'agent.recovered',
  'agent.started',
  'agent.suspected_failure',
  'document.processed',
  'embedding.generated',
  'memory.updated',
  'operator.action',
  'saga.compensated',
  'saga.compensating',
  'saga.completed',
  'saga.event_ignored',
  'saga.failed',
  'saga.operator_alert',
  'saga.started',
  'saga.step.completed',
  'saga.step.dispatched',
  'saga.step.failed',
  'saga.step.timed_out',
  'score.updated',
  'system.shutdown',
  'task.acknowledged',
  'task.assigned',
  'task.completed',
  'task.created',
  'task.failed',
  'tool.invoked',
  'violation.detected',
  'workflow.requested',
] as const;
