"""`benchmarks/ingest.py --profile`: CPU per request and per event through the production WSGI
application in this process, then cProfile listings."""

from __future__ import annotations

import io
import sys
import time


def log(msg: str) -> None:
    print(msg, flush=True)


def wsgi_caller(token: str):
    """POST a body to the production WSGI application in this process (no HTTP server)."""
    from pdm_project.wsgi import application

    def call(body: bytes) -> tuple[str, bytes]:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/ingest",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        started: list[str] = []
        chunks = application(environ, lambda status, headers, exc_info=None: started.append(status))
        try:
            return started[0], b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

    return call


def profile_in_process(
    token: str, batches: list[list[bytes]], singles: list[bytes], top: int, clock: str
) -> None:
    """CPU per request and per event through the production WSGI application in this process
    (pdm_project.wsgi: the same app and gc.freeze() as gunicorn's workers, without the HTTP
    server): a plain pass measures process CPU time, wall time and the cyclic garbage
    collector's share; a second pass over the same bodies (idempotent rewrites) runs under
    cProfile, whose per-call overhead inflates Python-heavy code, so read it for shares."""
    import cProfile
    import gc
    import pstats

    from ingestion.timeseries import get_store

    call = wsgi_caller(token)
    collector = {"n": 0, "cpu": 0.0, "t": 0.0}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collector["t"] = time.process_time()
        else:
            collector["n"] += 1
            collector["cpu"] += time.process_time() - collector["t"]

    expected = 0
    for label, bodies, n in (
        ("batch", [b"[" + b",".join(b) + b"]" for b in batches], sum(len(b) for b in batches)),
        ("single", singles, len(singles)),
    ):
        collector.update(n=0, cpu=0.0)
        gc.callbacks.append(on_gc)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for body in bodies:
            status, data = call(body)
            if not status.startswith("201"):
                raise SystemExit(f"ingest failed: {status} {data[:500]!r}")
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        gc.callbacks.remove(on_gc)
        expected += n
        log(
            f"{label}: {n} events in {len(bodies)} requests: {cpu / len(bodies) * 1e3:.3f} ms CPU and "
            f"{wall / len(bodies) * 1e3:.3f} ms wall per request, {cpu / n * 1e6:.2f} us CPU per event; "
            f"{collector['n']} collections took {collector['cpu']:.3f} s CPU ({collector['cpu'] / cpu:.1%})"
        )
        prof = cProfile.Profile(time.process_time) if clock == "cpu" else cProfile.Profile()
        prof.enable()
        for body in bodies:
            call(body)
        prof.disable()
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(top)
            log(out.getvalue())
    log(f"  verify: {get_store().count(measurement='events')} points, expected {expected}")
