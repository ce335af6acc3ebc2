import { ApiError } from "../api/client";

export function Loading({ what }: { what: string }) {
  return (
    <p className="status" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorNote({ error }: { error: Error }) {
  const status = error instanceof ApiError ? ` (HTTP ${error.status})` : "";
  return (
    <p className="status status-error" role="alert">
      {error.message}
      {status}
    </p>
  );
}
