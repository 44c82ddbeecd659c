import { useState, type FormEvent } from 'react';
import { api, type Me } from '../api';

export const LoginPage = () => {
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    try {
      await api<Me>('/api/login', { method: 'POST', body: { user: form.get('user'), password: form.get('password') } });
      const next = new URLSearchParams(location.search).get('next');
      location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch {
      setError('wrong user or password');
    }
  };
  return (
    <form className="login" onSubmit={(e) => void submit(e)}>
      <h2>agentbus console</h2>
      <label>
        user <input name="user" autoComplete="username" required />
      </label>
      <label>
        password <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit">log in</button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
};
