"""API token format and hashing. Pure functions: no Django, so they are trivially testable.

A token is `pdm_<prefix>_<secret>`: the prefix (10 hex chars) finds the row, the SHA-256
digest of the whole token proves it. Tokens carry 160+ bits of randomness, so a fast
hash is enough (as for GitHub or Stripe keys); a slow password hash would only slow ingest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_RE = re.compile(r"^pdm_([0-9a-f]{10})_([A-Za-z0-9_-]{32,64})$")


def token_generate() -> tuple[str, str, str]:
    """Return (token, prefix, digest) for a new token."""
    prefix = secrets.token_hex(5)
    token = f"pdm_{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_prefix(token: str) -> str | None:
    match = TOKEN_RE.match(token)
    return match.group(1) if match else None


def token_matches(token: str, digest: str) -> bool:
    return hmac.compare_digest(token_digest(token), digest)
