// Log in / sign up. The access token stays in memory; the refresh cookie
// (HttpOnly) keeps the browser signed in across reloads.
import { useState, type FormEvent } from 'react';
import { ApiError, messageFor } from '../api/errors.ts';
import { useServices } from '../app/services.ts';

export function AuthPage({ expired }: { expired?: ApiError | undefined }) {
  const { session } = useServices();
  const [mode, setMode] = useState<'log-in' | 'sign-up'>('log-in');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(expired ? messageFor(expired, 'document') : null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'log-in') await session.logIn(email, password);
      else await session.signUp(email, password, name);
      // App renders `next` (the current path, or ?next= of /login) once the session says signed-in.
    } catch (caught) {
      setError(caught instanceof ApiError ? messageFor(caught, mode) : messageFor({ code: 'NETWORK', message: String(caught) }, mode));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand big">
          <span className="brand-mark" /> Collab
        </div>
        <p className="muted">Write together, in real time.</p>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === 'log-in'} className={mode === 'log-in' ? 'tab active' : 'tab'} onClick={() => setMode('log-in')}>
            Log in
          </button>
          <button type="button" role="tab" aria-selected={mode === 'sign-up'} className={mode === 'sign-up' ? 'tab active' : 'tab'} onClick={() => setMode('sign-up')}>
            Sign up
          </button>
        </div>
        <form onSubmit={submit} className="stack">
          {mode === 'sign-up' && (
            <label>
              Name
              <input name="name" autoComplete="name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
            </label>
          )}
          <label>
            Email
            <input name="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autoComplete={mode === 'log-in' ? 'current-password' : 'new-password'}
              required
              minLength={mode === 'sign-up' ? 8 : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="button primary" disabled={busy}>
            {mode === 'log-in' ? 'Log in' : 'Create account'}
          </button>
        </form>
      </div>
    </main>
  );
}
