import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export const roles = ['viewer', 'operator'] as const;
export type Role = (typeof roles)[number];

export interface ConsoleUser {
  name: string;
  role: Role;
  salt: Buffer;
  hash: Buffer;
}

const keyLength = 32;
const namePattern = /^[A-Za-z0-9_.@-]{1,64}$/;

/** `name:role:saltHex:hashHex`, comma-separated. Errors name the entry, never a hash. */
export const parseUsers = (text: string): Map<string, ConsoleUser> => {
  const users = new Map<string, ConsoleUser>();
  for (const [index, entry] of text.split(',').map((e) => e.trim()).filter(Boolean).entries()) {
    const [name, role, salt, hash, ...rest] = entry.split(':');
    const where = `entry ${index + 1}${name && namePattern.test(name) ? ` (${name})` : ''}`;
    if (rest.length > 0 || !name || !role || !salt || !hash) throw new Error(`${where}: expected user:role:salt:hash`);
    if (!namePattern.test(name)) throw new Error(`${where}: a user name is 1-64 letters, digits, "_", ".", "@" or "-"`);
    if (!(roles as readonly string[]).includes(role)) throw new Error(`${where}: role must be one of ${roles.join(', ')}`);
    if (!/^[0-9a-f]{32,}$/i.test(salt) || !new RegExp(`^[0-9a-f]{${keyLength * 2}}$`, 'i').test(hash)) throw new Error(`${where}: salt and hash must be hex, as hashPassword.ts prints them`);
    if (users.has(name)) throw new Error(`${where}: user ${name} is listed twice`);
    users.set(name, { name, role: role as Role, salt: Buffer.from(salt, 'hex'), hash: Buffer.from(hash, 'hex') });
  }
  if (users.size === 0) throw new Error('needs at least one user:role:salt:hash entry');
  return users;
};

const derive = (password: string, salt: Buffer): Buffer => scryptSync(password.normalize('NFKC'), salt, keyLength);

/** One CONSOLE_USERS entry for this user, role and password. */
export const userEntry = (name: string, role: Role, password: string, salt: Buffer = randomBytes(16)): string => `${name}:${role}:${salt.toString('hex')}:${derive(password, salt).toString('hex')}`;

// An unknown user costs the same scrypt as a known one, so timing does not tell which names exist.
const decoy = { salt: randomBytes(16), hash: randomBytes(keyLength) };

export const checkPassword = (users: Map<string, ConsoleUser>, name: unknown, password: unknown): ConsoleUser | undefined => {
  if (typeof name !== 'string' || typeof password !== 'string' || password.length > 1024) return undefined;
  const user = users.get(name);
  const actual = derive(password, user?.salt ?? decoy.salt);
  return timingSafeEqual(actual, user?.hash ?? decoy.hash) && user ? user : undefined;
};
