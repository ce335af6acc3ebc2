// Loads data for a page and reloads it when its inputs change; a live reload that brings the
// same object (a 304 of a conditional read) or the same JSON keeps the old object, so nothing
// that depends on it redraws.
import { useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";

export interface Resource<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

export function useResource<T>(load: (() => Promise<T>) | null, deps: unknown[], liveTick = 0): Resource<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [loading, setLoading] = useState(false);
  const [nonce, setNonce] = useState(0);
  const last = useRef<string>("");
  const lastValue = useRef<unknown>(undefined);
  useEffect(() => {
    if (!load) return;
    let cancelled = false;
    setLoading(true);
    load()
      .then((value) => {
        if (cancelled) return;
        if (value !== lastValue.current) {
          lastValue.current = value;
          const text = JSON.stringify(value);
          if (text !== last.current) {
            last.current = text;
            setData(value);
          }
        }
        setError(null);
      })
      .catch((err: Error) => !cancelled && setError(err))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, liveTick, nonce]);
  return { data, error, loading, reload: () => setNonce((n) => n + 1) };
}
