import { execSync } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InfraError } from './infraError';
import { assertPortFree, waitForPortsFree } from './processes';
import { runInfraCli as cli } from './runInfraCli';
import { requireJava } from './toolchain';

describe('infra script errors say what to do in one line', () => {
  it('a missing Java names the path and JAVA_HOME', () => {
    expect(() => requireJava('/nonexistent/jdk')).toThrow(InfraError);
    expect(() => requireJava('/nonexistent/jdk')).toThrow(/Java not found \(\/nonexistent\/jdk\/bin\/java\).*JAVA_HOME/);
  });

  it('a port in use names the port, its owner and the variable that moves it', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      await expect(assertPortFree(port, 'Kafka', 'AGENTBUS_KAFKA_PORT')).rejects.toThrow(
        `port ${port} (Kafka) is already in use by another process: stop it, or pick another port with AGENTBUS_KAFKA_PORT=<port>`,
      );
    } finally {
      server.close();
    }
  });

  it('a free port passes', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    await expect(assertPortFree(port, 'Kafka', 'AGENTBUS_KAFKA_PORT')).resolves.toBeUndefined();
  });

  it('an unknown command or part exits 1 with one line', () => {
    const bad = cli(['start']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('infra: unknown command "start"; try: npm run infra -- help');
    const badPart = cli(['up', 'zookeeper']);
    expect(badPart.status).toBe(1);
    expect(badPart.stderr.trim()).toBe('infra: unknown part "zookeeper": expected one of postgres, kafka, registry');
  });

  it('a missing Maven, when the Kafka jars still have to be fetched, names the tool and how to get it', () => {
    const javaHome = dirname(dirname(realpathSync(execSync('command -v java', { encoding: 'utf8' }).trim())));
    const result = cli(['up', 'kafka'], {
      PATH: '/nonexistent',
      JAVA_HOME: javaHome,
      AGENTBUS_CACHE_DIR: mkdtempSync(join(tmpdir(), 'agentbus-empty-cache-')),
      AGENTBUS_STATE_DIR: mkdtempSync(join(tmpdir(), 'agentbus-state-')),
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('infra: Maven (mvn) not found: install it (e.g. apt-get install maven); it fetches Kafka and the registry from Maven Central');
  });

  it('a malformed port variable is refused before anything starts, naming the variable', () => {
    const result = cli(['status'], { AGENTBUS_REGISTRY_PORT: 'eighty' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('AGENTBUS_REGISTRY_PORT');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('waitForPortsFree', () => {
  it('waits for a port a dying process still holds, then returns once it is released', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    let released = false;
    const releasing = new Promise<void>((resolve) => setTimeout(() => server.close(() => ((released = true), resolve())), 300));
    await waitForPortsFree([{ port, owner: 'Kafka', variable: 'AGENTBUS_KAFKA_PORT' }], 30_000);
    expect(released).toBe(true);
    await releasing;
  });

  it('names the port and its variable when it stays taken', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    try {
      await expect(waitForPortsFree([{ port, owner: 'Kafka', variable: 'AGENTBUS_KAFKA_PORT' }], 300)).rejects.toThrow(`port ${port} (Kafka) is already in use`);
    } finally {
      server.close();
    }
  });
});
