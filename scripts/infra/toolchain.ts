import { join } from 'node:path';
import { InfraError } from './infraError';
import { commandOutput } from './processes';

export const javaBinary = (javaHome: string | undefined): string => (javaHome ? join(javaHome, 'bin', 'java') : 'java');

/** Kafka 4 and Apicurio 3.0 both need Java 17 or newer. */
export const requireJava = (javaHome: string | undefined): string => {
  const java = javaBinary(javaHome);
  const { ok, output } = commandOutput(java, ['-version']);
  if (!ok) throw new InfraError(`Java not found (${java}): install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`);
  const major = Number(/version "(\d+)/.exec(output)?.[1] ?? 0);
  if (major < 17) throw new InfraError(`Java ${major} found at ${java}; Kafka 4 needs Java 17+: install it or set JAVA_HOME`);
  return java;
};

export const requireMaven = (): string => {
  const { ok } = commandOutput('mvn', ['-v']);
  if (!ok) throw new InfraError('Maven (mvn) not found: install it (e.g. apt-get install maven); it fetches Kafka and the registry from Maven Central');
  return 'mvn';
};
