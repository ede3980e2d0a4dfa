"""Compact JWTs signed with HS256: the stand-in's access and id tokens.

Clients decode these without verifying them (they read `tenantId` and friends from the
claims), so a per-process random key is enough; nothing outside the stand-in checks it.

>>> header, claims, signature = encode_jwt({"tenantId": "t-1"}, b"key").split(".")
>>> header, claims
('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJ0ZW5hbnRJZCI6InQtMSJ9')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def encode_jwt(claims: dict, key: bytes) -> str:
    """`header.claims.signature`, each base64url without padding."""
    signing_input = f"{_segment(_HEADER)}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"
