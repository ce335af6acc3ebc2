"""Load generation of benchmarks/ingest.py: a closed loop of client threads for the batch and raw
phases, an open loop on a fixed schedule (no coordinated omission) for single events."""

from __future__ import annotations

import collections
import http.client
import math
import select
import selectors
import socket
import threading
import time


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of an unsorted list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


class Conn:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: reopen once.
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def run_closed_loop(host, port, path, headers, bodies, clients, ok_status) -> dict:
    """`clients` threads each POST the next body until none is left; wall time, per-request
    latencies, failures."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        conn = Conn(host, port)
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(bodies):
                    return
                t = time.perf_counter()
                try:
                    status, data = conn.request("POST", path, bodies[i], headers)
                except OSError as exc:
                    status, data = 0, repr(exc).encode()
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if status not in ok_status:
                        failures.append(f"#{i}: HTTP {status} {data[:300]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"wall_s": time.perf_counter() - started, "latencies": latencies, "failures": failures}


def http_request(host: str, port: int, path: str, headers: dict, body: bytes) -> bytes:
    """One complete HTTP/1.1 request, built once before the timed phase."""
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Exchange:
    """One request on one keep-alive connection: what was sent, the response bytes so far."""

    __slots__ = ("buf", "index", "reused", "sock")

    def __init__(self, index: int, sock: socket.socket, reused: bool):
        self.index, self.sock, self.buf, self.reused = index, sock, bytearray(), reused

    def complete(self) -> tuple[int, bool, bytes] | None:
        """(status, keep_alive, body) once the whole response is in, else None."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        body = self.buf[end + 4 :]
        if "content-length" in fields:
            length = int(fields["content-length"])
            if len(body) < length:
                return None
            body = body[:length]
        elif fields.get("transfer-encoding") == "chunked":
            out, pos = bytearray(), 0
            while True:
                eol = body.find(b"\r\n", pos)
                if eol < 0:
                    return None
                size = int(bytes(body[pos:eol]).split(b";")[0], 16)
                if len(body) < eol + 2 + size + 2:
                    return None
                if size == 0:
                    break
                out += body[eol + 2 : eol + 2 + size]
                pos = eol + 2 + size + 2
            body = out
        return status, fields.get("connection") != "close", bytes(body)


def run_open_loop(host, port, requests_bytes: list[bytes], rate: float, connections: int) -> dict:
    """Request i is due at t0 + i/rate; its latency runs from that due time to the moment its
    whole response has been read, so a stalled server shows up in the numbers instead of
    silently slowing the schedule down (no coordinated omission).

    One thread drives non-blocking keep-alive sockets with pre-built request bytes (a
    selectors loop): ~0.15 ms of client CPU per request instead of ~0.4 ms with a thread per
    connection and http.client, on the cores the server shares. `connections` are opened
    before the schedule starts and a due request goes out on the one idle the longest, so
    requests rotate over all of them, as they did over the old sender threads' connections,
    and reach every gunicorn worker. When none is idle a new one is opened (up to 4x; beyond
    that the request waits): set-up and waiting count in that request's latency. A kept-alive
    connection the server closed meanwhile is replaced and the request sent again (its
    latency still counts from its due time).
    """
    n = len(requests_bytes)
    latencies = [float("nan")] * n
    failures: list[str] = []
    sel = selectors.DefaultSelector()
    idle: collections.deque[socket.socket] = collections.deque()
    open_count = 0

    def connect() -> socket.socket:
        nonlocal open_count
        sock = socket.create_connection((host, port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        open_count += 1
        return sock

    def send(index: int, sock: socket.socket, reused: bool) -> None:
        data = memoryview(requests_bytes[index])
        while data:
            try:
                sent = sock.send(data)
            except BlockingIOError:
                select.select([], [sock], [], 1.0)
                continue
            data = data[sent:]
        sel.register(sock, selectors.EVENT_READ, _Exchange(index, sock, reused))

    def drop(sock: socket.socket) -> None:
        nonlocal open_count
        sock.close()
        open_count -= 1

    for _ in range(connections):  # like a fleet of devices, connected already
        idle.append(connect())
    waiting: collections.deque[int] = collections.deque()
    t0 = time.perf_counter() + 0.2
    t0_wall = time.time() + (t0 - time.perf_counter())
    next_index = done = 0
    while done < n:
        now = time.perf_counter()
        while next_index < n and t0 + next_index / rate <= now:
            waiting.append(next_index)
            next_index += 1
        while waiting and (idle or open_count < 4 * connections):
            i = waiting.popleft()
            if idle:  # the connection idle the longest: requests rotate over all of them
                send(i, idle.popleft(), True)
            else:
                send(i, connect(), False)
        timeout = None if next_index >= n else max(0.0, t0 + next_index / rate - time.perf_counter())
        for key, _ in sel.select(timeout if timeout is not None else 5.0):
            ex: _Exchange = key.data
            try:
                chunk = ex.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                chunk, error = b"", exc
            else:
                error = None
            if not chunk:
                sel.unregister(ex.sock)
                drop(ex.sock)
                if ex.reused and not ex.buf:  # closed while idle: send again on a new connection
                    send(ex.index, connect(), False)
                    continue
                latencies[ex.index] = time.perf_counter() - (t0 + ex.index / rate)
                failures.append(f"#{ex.index}: connection closed ({error or 'EOF'})")
                done += 1
                continue
            ex.buf += chunk
            result = ex.complete()
            if result is None:
                continue
            latencies[ex.index] = time.perf_counter() - (t0 + ex.index / rate)
            done += 1
            status, keep_alive, body = result
            if status not in (200, 201):
                failures.append(f"#{ex.index}: HTTP {status} {body[:300]!r}")
            sel.unregister(ex.sock)
            if keep_alive:
                idle.append(ex.sock)
            else:
                drop(ex.sock)
    for sock in idle:
        sock.close()
    sel.close()
    return {
        "wall_s": time.perf_counter() - t0,
        "latencies": latencies,
        "failures": failures,
        "due_wall": [t0_wall + i / rate for i in range(n)],
    }
