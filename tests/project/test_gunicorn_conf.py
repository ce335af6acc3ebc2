"""The web service's gunicorn settings (deploy/gunicorn.conf.py), run by a real gunicorn: a
request with a big body gets its connection closed after the answer (so the next batch is
accepted by whichever worker is free), a smaller one keeps it. The application reads the whole
body like the ingest view (gunicorn itself closes a connection whose body was left unread)."""

from __future__ import annotations

import http.client
import os
import runpy
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pdm_project.devservices import free_port

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "gunicorn.conf.py"


def _conf_value(name: str):
    return runpy.run_path(str(CONF))[name]


BIG = _conf_value("BIG_REQUEST_BYTES")


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "PDM_BIND": f"127.0.0.1:{port}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tests.project.wsgi_body_reader:application",
            "--config",
            str(CONF),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.poll() is not None else ""
                    pytest.fail(f"gunicorn with {CONF.name} did not start: {out[-2000:]}")
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post(sock: socket.socket, body: bytes) -> tuple[http.client.HTTPResponse, bytes]:
    """One POST: the response and its body (the length of the body the application read)."""
    head = (
        "POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response, response.read()


def _closed_by_server(sock: socket.socket, wait_s: float = 5.0) -> bool:
    sock.settimeout(wait_s)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False


def test_request_with_big_body_closes_its_connection(server):
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        response, read = _post(sock, b"[" + b" " * (BIG - 2) + b"]")
        assert (response.status, read) == (200, str(BIG).encode())
        assert response.getheader("Connection") == "close"
        assert _closed_by_server(sock)


def test_request_just_below_the_limit_keeps_its_connection(server):
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        response, read = _post(sock, b"[" + b" " * (BIG - 3) + b"]")
        assert (response.status, read) == (200, str(BIG - 1).encode())
        assert response.getheader("Connection") == "keep-alive"
        # the same connection serves the next request
        response, read = _post(sock, b"[1]")
        assert (response.status, read, response.getheader("Connection")) == (200, b"3", "keep-alive")


def test_runs_one_gthread_worker_per_core_by_default():
    assert _conf_value("worker_class") == "gthread"
    assert _conf_value("workers") == (os.cpu_count() or 1)
