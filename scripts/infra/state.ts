import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type PartName = 'postgres' | 'kafka' | 'registry';

export interface PartState {
  /** Set only when `up` started the process; `down` stops nothing else. */
  pid?: number;
  mode: string;
  endpoint: string;
  /** Kafka only: the SASL/SCRAM listener; the password is in .agentbus/kafka/scram.json. */
  scramEndpoint?: string;
  startedAt: string;
}

export type InfraState = Partial<Record<PartName, PartState>>;

const stateFile = (stateDir: string) => join(stateDir, 'infra.json');

export const readState = (stateDir: string): InfraState =>
  existsSync(stateFile(stateDir)) ? (JSON.parse(readFileSync(stateFile(stateDir), 'utf8')) as InfraState) : {};

export const writeState = (stateDir: string, state: InfraState): void => {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(stateFile(stateDir), `${JSON.stringify(state, null, 2)}\n`);
};

export const updatePart = (stateDir: string, part: PartName, value: PartState | undefined): void => {
  const state = readState(stateDir);
  if (value) state[part] = value;
  else delete state[part];
  writeState(stateDir, state);
};
