import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaClasspath, kafkaLibDir } from '../infra/kafka';
import { loadInfraSettings } from '../infra/settings';
import { requireJava } from '../infra/toolchain';

export interface ProducerPerfRun {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
  /** The summary line the tool printed, verbatim. */
  line: string;
}

/** `N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th.` */
export const parseProducerPerf = (output: string): ProducerPerfRun => {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /records sent, [\d.]+ records\/sec/.test(l));
  // With --warmup-records the tool prints the whole run, then a steady-state line: prefer the latter.
  const line = lines.find((l) => /steady state/i.test(l)) ?? lines.at(-1);
  if (!line) throw new Error(`ProducerPerformance printed no summary line:\n${output.slice(-2000)}`);
  const num = (re: RegExp): number => Number(re.exec(line)?.[1] ?? Number.NaN);
  return {
    records: num(/(\d+) (?:steady state )?records sent/),
    recordsPerSec: num(/([\d.]+) records\/sec/),
    mbPerSec: num(/\(([\d.]+) MB\/sec\)/),
    avgLatencyMs: num(/([\d.]+) ms avg latency/),
    p50Ms: num(/([\d.]+) ms 50th/),
    p99Ms: num(/([\d.]+) ms 99th/),
    line,
  };
};

export const kafkaToolsAvailable = (): { java: string; classpath: string } => {
  const settings = loadInfraSettings();
  const libs = kafkaLibDir(settings);
  if (!existsSync(libs) || !existsSync(join(libs, '..', '.complete'))) {
    throw new Error(`Kafka jars not found in ${libs}: run npm run infra -- up once to fetch them`);
  }
  return { java: requireJava(settings.javaHome), classpath: kafkaClasspath(settings) };
};

/**
 * Kafka's own producer benchmark (the Java client, tuned by Kafka's defaults: batch.size 16 KiB,
 * linger.ms 5), with the bus's durability settings: acks=all, idempotence on.
 */
export const runProducerPerf = (options: { topic: string; records: number; warmupRecords: number; recordSize: number; bootstrap: string }): Promise<ProducerPerfRun> => {
  const { java, classpath } = kafkaToolsAvailable();
  const args = [
    '-Xms256m',
    '-Xmx1g',
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    options.topic,
    '--num-records',
    String(options.records + options.warmupRecords),
    '--warmup-records',
    String(options.warmupRecords),
    '--record-size',
    String(options.recordSize),
    '--throughput',
    '-1',
    '--reporting-interval',
    '60000',
    '--producer-props',
    `bootstrap.servers=${options.bootstrap}`,
    'acks=all',
    'enable.idempotence=true',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ProducerPerformance exited with ${code}:\n${output.slice(-2000)}`));
      try {
        resolve(parseProducerPerf(output));
      } catch (error) {
        reject(error);
      }
    });
  });
};
