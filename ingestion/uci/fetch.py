"""Fetch the UCI archive: download with resume, or copy a local file, and verify its SHA-256.

The archive is written as ``<dest>.part`` and renamed only once its digest matches, so a
``dest`` that exists is always a verified archive. A broken download leaves the ``.part``;
the next run resumes it with an HTTP ``Range`` request (or restarts when the server ignores
the range), and a ``.part`` whose final digest does not match is deleted so the run after
starts clean. Pure I/O: no Django.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import requests

CHUNK = 1 << 20
DOWNLOAD_CHUNK = 1 << 13  # written as it arrives: a broken download keeps what came


class FetchError(Exception):
    """A download or copy that cannot give a verified archive; ``field`` names the option."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FetchResult:
    path: Path
    action: str  # "present", "downloaded", "resumed", "copied"
    sha256: str
    size: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, expected: str | None) -> str:
    actual = sha256_of(path)
    if expected and actual != expected.lower():
        path.unlink(missing_ok=True)
        raise FetchError(
            "sha256", f"SHA-256 mismatch: expected {expected.lower()}, got {actual}; the file was deleted"
        )
    return actual


def fetch_archive(
    *,
    dest: Path,
    url: str | None = None,
    file: Path | None = None,
    sha256: str | None = None,
    force: bool = False,
    timeout_s: float = 30.0,
) -> FetchResult:
    """A verified archive at ``dest``: kept when present (unless ``force``), else copied from
    ``file`` or downloaded from ``url``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and not force:
        return FetchResult(dest, "present", _verified(dest, sha256), dest.stat().st_size)
    part = dest.with_name(dest.name + ".part")
    if file is not None:
        if not file.is_file():
            raise FetchError("file", f"no such file {file}")
        shutil.copyfile(file, part)
        digest = _verified(part, sha256)
        part.replace(dest)
        return FetchResult(dest, "copied", digest, dest.stat().st_size)
    if not url:
        raise FetchError("url", "give --url (or --file for a machine without internet)")
    if force:
        part.unlink(missing_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with requests.get(url, headers=headers, stream=True, timeout=timeout_s) as resp:
            if resp.status_code == 416:  # the part is already whole
                resp.close()
                action = "resumed"
            elif resp.status_code in (200, 206):
                resumed = resp.status_code == 206 and have > 0
                action = "resumed" if resumed else "downloaded"
                expected_len = resp.headers.get("Content-Length")
                written = 0
                with part.open("ab" if resumed else "wb") as out:
                    for block in resp.iter_content(DOWNLOAD_CHUNK):
                        out.write(block)
                        written += len(block)
                if expected_len is not None and written < int(expected_len):
                    raise FetchError(
                        "url", f"download broken after {written} of {expected_len} bytes; run again to resume"
                    )
            else:
                raise FetchError("url", f"{url} answered HTTP {resp.status_code}")
    except requests.RequestException as exc:
        raise FetchError("url", f"download broken ({exc.__class__.__name__}); run again to resume") from exc
    digest = _verified(part, sha256)
    part.replace(dest)
    return FetchResult(dest, action, digest, dest.stat().st_size)
