import { useState } from "react";
import { api, ApiError } from "../api/client";
import type { Profile } from "../api/types";

export function Login({ onLogin }: { onLogin: (p: Profile) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.login(username, password));
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, String(err)));
    } finally {
      setBusy(false);
    }
  };
  const userError = error?.forField("username");
  const passwordError = error?.forField("password");
  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="login-brand">
          <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#1d4e73" />
            <path d="M5 18h5l3-8 5 14 3-6h6" fill="none" stroke="#7cc4fa" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <div>
            <h1 id="login-title">Machine health</h1>
            <p className="muted">Predictive maintenance and energy</p>
          </div>
        </div>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={Boolean(userError)}
          aria-describedby={userError ? "username-error" : undefined}
          required
          autoFocus
        />
        {userError && (
          <p id="username-error" className="field-error">
            {userError}
          </p>
        )}
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          aria-invalid={Boolean(passwordError)}
          aria-describedby={passwordError ? "password-error" : undefined}
          required
        />
        {passwordError && (
          <p id="password-error" className="field-error">
            {passwordError}
          </p>
        )}
        {error && !userError && !passwordError && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          Machines and scripts use API tokens: <a href="/api/docs/">API documentation</a>
        </p>
      </form>
    </main>
  );
}
