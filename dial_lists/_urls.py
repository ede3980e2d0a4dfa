"""Source URLs without secrets: refused when they carry credentials, redacted in messages."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, WithJsonSchema

# Query parameters that carry a secret (case-insensitive): a signed URL's signature and
# credential (S3, GCS, Azure SAS), tokens, keys and passwords, alone or as a name's last part
# ("x-amz-security-token", "api_key").
_SECRET_NAMES = (
    "sig|signature|credential|security-token|token|access_token|key|api_key|apikey|secret"
    "|client_secret|password|passwd|pwd|sas|googleaccessid|accesskey|awsaccesskeyid|auth"
    "|authorization"
)
_SECRET_PARAMETER = re.compile(rf"(?:.*[-_.])?(?:{_SECRET_NAMES})", re.IGNORECASE)
# "scheme://user:secret@" whose secret holds a "/" (AWS secrets may): `urlsplit` would take
# the "/" as the path's start. A port ("host:8080/") is not a secret.
_SLASHED_USER_INFO = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]*://)[^/@?#]*:(?!\d*(?:[/?#]|$))[^@]*@", re.IGNORECASE
)


class SourceURLError(ValueError):
    """A source URL carries credentials (user info or a secret query parameter)."""


def _user_info(part: str) -> bool:
    if "://" not in part:
        return False
    return "@" in urlsplit(part).netloc or _SLASHED_USER_INFO.match(part) is not None


def _secret_parameters(part: str) -> list[str]:
    query = part.partition("?")[2].partition("#")[0] if "://" in part else ""
    names = (unquote(item.partition("=")[0]) for item in query.split("&") if item)
    return [name for name in names if _SECRET_PARAMETER.fullmatch(name)]


def _redact_part(part: str) -> str:
    if "://" not in part:
        return part
    slashed = _SLASHED_USER_INFO.match(part)
    if slashed:
        part = f"{slashed['scheme']}***@{part[slashed.end() :]}"
    else:
        scheme, _, rest = part.partition("://")
        cut = re.search(r"[/?#]", rest)
        authority, tail = (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, "")
        if "@" in authority:
            part = f"{scheme}://***@{authority.rpartition('@')[2]}{tail}"
    head, mark, query = part.partition("?")
    if not mark:
        return part
    query, hash_, fragment = query.partition("#")
    items = [
        f"{item.partition('=')[0]}=***"
        if _SECRET_PARAMETER.fullmatch(unquote(item.partition("=")[0]))
        else item
        for item in query.split("&")
    ]
    return f"{head}?{'&'.join(items)}{hash_}{fragment}"


def redact_url(url: str) -> str:
    """`url` with its credentials masked: user info as "***@", secret query values as "***".

    Each part of a chained `fsspec` URL ("simplecache::s3://...") is redacted; a local path,
    or a URL without credentials, is returned unchanged.

    Args:
        url: A path or URL.

    Returns:
        The URL, safe to show.

    Raises:
        Nothing: any text is returned redacted or as it was.

    Example:
        >>> redact_url("s3://AKIA123:abc/def@bucket/contacts.csv")
        's3://***@bucket/contacts.csv'
        >>> redact_url("https://host/x.csv?X-Amz-Signature=abc&part=1")
        'https://host/x.csv?X-Amz-Signature=***&part=1'
        >>> redact_url("/data/contacts.csv")
        '/data/contacts.csv'
    """
    return "::".join(_redact_part(part) for part in url.split("::"))


def check_source_url(url: str) -> None:
    """Refuse a source URL that carries credentials; they belong in a credentials block.

    Args:
        url: A path or URL (each part of a chained `fsspec` URL is checked).

    Raises:
        SourceURLError: The URL has user info ("user:password@host", "KEY:SECRET@bucket",
            "user@host") or a secret-looking query parameter ("sig", "X-Amz-Signature",
            "token", "key", ...); the message shows the URL redacted.

    Example:
        >>> check_source_url("s3://bucket/contacts.csv")
        >>> check_source_url("https://acct.blob.core.windows.net/c/x.csv?sv=2022-11-02&sig=abc")
        Traceback (most recent call last):
        ...
        dial_lists._urls.SourceURLError: ... (a 'sig' query parameter): ...; the URL, redacted: ...
    """
    found = []
    for part in url.split("::"):
        if _user_info(part):
            found.append("user info")
        found += [f"a {name!r} query parameter" for name in _secret_parameters(part)]
    if found:
        raise SourceURLError(
            f"the source URL carries credentials ({', '.join(dict.fromkeys(found))}): pass "
            "them in a credentials block instead (source_credentials=...); the URL, redacted: "
            f"{redact_url(url)}"
        )


def _any_case(text: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)


# The same rules for a JSON schema (no flags there): Prefect's server checks a deployment
# run's parameters against it, so such a URL is refused before a run stores it.
URL_PATTERN = (
    r"^(?!(?:.*::)?[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*@)"
    r"(?!(?:.*::)?[A-Za-z][A-Za-z0-9+.\-]*://[^/?#@]*:(?![0-9]*(?:[/?#]|$))[^@]*@)"
    r"(?!.*://[^?#]*\?(?:[^#]*&)?(?:[^=&#]*[-_.])?(?:"
    + "|".join(_any_case(name) for name in _SECRET_NAMES.split("|"))
    + r")(?:=|&|#|$))"
)


def _checked(url: str) -> str:
    check_source_url(url)
    return url


# A source parameter: a path or URL that carries no credentials (checked by Python callers'
# validation, and by the server through the parameter schema's pattern).
SourceLocation = Annotated[
    str,
    AfterValidator(_checked),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": URL_PATTERN,
            "description": "A path or fsspec URL without credentials in it",
        }
    ),
]
