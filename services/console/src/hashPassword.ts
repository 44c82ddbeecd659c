import { createInterface } from 'node:readline/promises';
import { roles, userEntry, type Role } from './auth/users';

// Prints one CONSOLE_USERS entry; the password is read from stdin so it stays out of shell history.
const [name, role] = process.argv.slice(2);
if (!name || !role || !(roles as readonly string[]).includes(role)) {
  process.stderr.write(`usage: npx tsx services/console/src/hashPassword.ts <user> <${roles.join('|')}>   (password on stdin)\n`);
  process.exit(2);
}
const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
rl.question('password: ').then((password) => {
  rl.close();
  process.stdout.write(`${userEntry(name, role as Role, password.trim())}\n`);
});
