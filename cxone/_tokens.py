"""Access tokens shared by the clients of one process that use the same credentials.

A flow opens a new client inside each task (clients are bound to their event loop); without
sharing, every task would first ask for a token, one more round trip on the failover's path.
Keys hold a digest of the credentials, never the secret itself.
"""

from __future__ import annotations

import hashlib


def token_key(*parts: str) -> str:
    """A cache key for credentials; secrets go in as a digest.

    Example:
        >>> len(token_key("https://issuer", "app", "secret"))
        64
    """
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class TokenCache:
    """Token and refresh time per credentials key, on the monotonic clock of its users.

    Example:
        >>> cache = TokenCache()
        >>> cache.put("k", "tok", refresh_at=100.0)
        >>> cache.get("k", now=99.0), cache.get("k", now=100.0)
        (('tok', 100.0), None)
    """

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str, now: float) -> tuple[str, float] | None:
        """The token for `key` and when to refresh it, unless it is due for refresh."""
        entry = self._tokens.get(key)
        return entry if entry is not None and now < entry[1] else None

    def put(self, key: str, token: str, refresh_at: float) -> None:
        self._tokens[key] = (token, refresh_at)

    def clear(self) -> None:
        """Forget every token (the issuer forgot them: a reset test tenant)."""
        self._tokens.clear()


# The process-wide cache the credentials blocks' clients share.
SHARED_TOKENS = TokenCache()
