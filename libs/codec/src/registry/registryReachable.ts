import type { RegistryConnection } from '@agentbus/config';
import { RegistryUnavailableError } from './registryErrors';

/**
 * Proves the registry answers `GET /subjects` within `timeoutMs`, or fails with a (retriable)
 * RegistryUnavailableError when nothing answers or it answers 5xx. Any other answer, a refusal of
 * the credentials included, shows it is up; the call that needs the credentials reports them.
 */
export const assertRegistryReachable = async (connection: RegistryConnection, timeoutMs = 5000): Promise<void> => {
  const url = connection.url.replace(/\/+$/, '');
  const headers: Record<string, string> = connection.auth ? { authorization: `Basic ${Buffer.from(`${connection.auth.username}:${connection.auth.password}`).toString('base64')}` } : {};
  let status: number;
  try {
    const response = await fetch(`${url}/subjects`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    status = response.status;
    await response.body?.cancel();
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    throw new RegistryUnavailableError(url, e.cause?.code ?? e.cause?.message ?? e.message, error);
  }
  if (status >= 500) throw new RegistryUnavailableError(url, `HTTP ${status}`);
};
