import { cpus, release, totalmem, type as osType } from 'node:os';
import { readFileSync } from 'node:fs';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  kafka: string;
  os: string;
}

const distro = (): string | undefined => {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
};

export const machine = (kafkaVersion: string): Machine => {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kafka: kafkaVersion,
    os: [distro(), `${osType()} ${release()}`, process.arch].filter(Boolean).join(', '),
  };
};
