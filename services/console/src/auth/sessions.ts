import { createHmac, timingSafeEqual } from 'node:crypto';
import { roles, type Role } from './users';

export interface Session {
  user: string;
  role: Role;
  expiresAt: number;
}

export const sessionCookie = 'agentbus_console';

const sign = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('base64url');

/** A stateless session: its content, then an HMAC of it. The same token works as a cookie or a bearer token. */
export const issueSession = (secret: string, session: Session): string => {
  const body = Buffer.from(JSON.stringify({ u: session.user, r: session.role, e: session.expiresAt })).toString('base64url');
  return `${body}.${sign(secret, body)}`;
};

export const readSession = (secret: string, token: string | undefined, now: number): Session | undefined => {
  if (!token) return undefined;
  const [body, mac, ...rest] = token.split('.');
  if (!body || !mac || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const { u, r, e } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { u: unknown; r: unknown; e: unknown };
    if (typeof u !== 'string' || typeof e !== 'number' || !(roles as readonly unknown[]).includes(r) || e <= now) return undefined;
    return { user: u, role: r as Role, expiresAt: e };
  } catch {
    return undefined;
  }
};

export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
};

export const bearerToken = (header: string | undefined): string | undefined => /^Bearer (\S+)$/.exec(header ?? '')?.[1];
