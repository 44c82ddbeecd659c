import { bearerToken, cookieValue, issueSession, readSession } from './sessions';
import { checkPassword, parseUsers, userEntry } from './users';

describe('console users', () => {
  const users = parseUsers([userEntry('olga', 'operator', 'right-1'), userEntry('victor', 'viewer', 'right-2')].join(','));

  it('accepts the right password only, for known users only', () => {
    expect(checkPassword(users, 'olga', 'right-1')).toMatchObject({ name: 'olga', role: 'operator' });
    expect(checkPassword(users, 'olga', 'right-2')).toBeUndefined();
    expect(checkPassword(users, 'nobody', 'right-1')).toBeUndefined();
    expect(checkPassword(users, undefined, 'right-1')).toBeUndefined();
    expect(checkPassword(users, 'olga', 42)).toBeUndefined();
  });

  it('refuses malformed entries, naming the entry but never the hash', () => {
    expect(() => parseUsers('olga:admin:00:00')).toThrow(/entry 1 \(olga\): role must be one of viewer, operator/);
    expect(() => parseUsers('olga:viewer')).toThrow(/expected user:role:salt:hash/);
    expect(() => parseUsers(`${userEntry('a', 'viewer', 'x')},${userEntry('a', 'operator', 'y')}`)).toThrow(/listed twice/);
  });
});

describe('console sessions', () => {
  const secret = 's'.repeat(40);
  const token = issueSession(secret, { user: 'olga', role: 'operator', expiresAt: 2000 });

  it('reads back a session it signed until it expires', () => {
    expect(readSession(secret, token, 1000)).toEqual({ user: 'olga', role: 'operator', expiresAt: 2000 });
    expect(readSession(secret, token, 2000)).toBeUndefined();
  });

  it('refuses a token signed with another secret or changed in any way', () => {
    expect(readSession('t'.repeat(40), token, 1000)).toBeUndefined();
    const [, mac] = token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ u: 'olga', r: 'operator', e: 9e12 })).toString('base64url')}.${mac}`;
    expect(readSession(secret, forged, 1000)).toBeUndefined();
    expect(readSession(secret, `${token}x`, 1000)).toBeUndefined();
    expect(readSession(secret, undefined, 1000)).toBeUndefined();
  });

  it('finds the token in a cookie header or a bearer header', () => {
    expect(cookieValue(`a=1; agentbus_console=${token}; b=2`, 'agentbus_console')).toBe(token);
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(`Basic ${token}`)).toBeUndefined();
  });
});
