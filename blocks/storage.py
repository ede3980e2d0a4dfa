"""Credentials for contact sources: `fsspec` storage options kept in a block, never in a URL.

`dial_lists.open_source` refuses a URL that carries credentials; a flow is given the name of
a block instead (`source_credentials`) and passes `load_storage_options(name)` as the
source's `storage_options`.
"""

from __future__ import annotations

from typing import Any

from prefect.blocks.core import Block
from prefect.blocks.fields import SecretDict
from pydantic import Field, HttpUrl, SecretStr

from .credentials import load_block

_AWS_FIELDS = ("aws_access_key_id", "aws_secret_access_key")


class FileStorageCredentials(Block):
    """`fsspec` storage options for reading contact files: keys, tokens, signatures.

    The options are what the file system's `fsspec` package takes (`s3fs`: `key`,
    `secret`, `token`, `client_kwargs`; `adlfs`: `account_name`, `sas_token`; `gcsfs`:
    `token`; HTTP: `headers`). They are stored encrypted and never shown.

    Example:
        >>> credentials = FileStorageCredentials(
        ...     storage_options={"key": "AKIAEXAMPLE", "secret": "wJalr-example"}
        ... )
        >>> credentials
        FileStorageCredentials(storage_options=SecretDict('**********'))
        >>> credentials.get_storage_options()["key"]
        'AKIAEXAMPLE'

        Saved once, then named by the flows that read the files:

        ```python
        FileStorageCredentials(storage_options={...}).save("crm-bucket")
        ```
    """

    _block_type_name = "File Storage Credentials"
    _block_type_slug = "file-storage-credentials"
    _description = (
        "Storage options (keys, tokens, signatures) for reading contact files from S3, Azure, "
        "GCS or HTTP with fsspec, so that no source URL carries a secret."
    )
    _documentation_url = HttpUrl("https://filesystem-spec.readthedocs.io/en/latest/features.html")
    _code_example = """```python
from blocks import FileStorageCredentials
from dial_lists import open_source

credentials = FileStorageCredentials.load("BLOCK_NAME")
source = open_source("s3://bucket/contacts.csv", storage_options=credentials.get_storage_options())
```"""

    storage_options: SecretDict = Field(
        description="The fsspec storage options, e.g. key and secret for S3; stored encrypted."
    )

    def get_storage_options(self) -> dict[str, Any]:
        """The storage options, secrets revealed: for `fsspec.open(..., **options)` only."""
        return dict(self.storage_options.get_secret_value())


def _revealed(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def storage_options_of(block: Block) -> dict[str, Any]:
    """The `fsspec` storage options a credentials block gives.

    A `FileStorageCredentials` block gives its options; a block with `aws_access_key_id` and
    `aws_secret_access_key` fields (prefect-aws's `AwsCredentials`) gives `s3fs`'s `key`,
    `secret`, `token` (its `aws_session_token`), `profile` (its `profile_name`) and
    `client_kwargs={"region_name": ...}`, each only when set.

    Args:
        block: A loaded block.

    Returns:
        The options, secrets revealed.

    Raises:
        ValueError: The block is of another type (its type is named, never its values).

    Example:
        >>> storage_options_of(FileStorageCredentials(storage_options={"token": "anon"}))
        {'token': 'anon'}
        >>> storage_options_of(Block())
        Traceback (most recent call last):
        ...
        ValueError: a Block block cannot give a source's credentials: use a File Storage ...
    """
    if isinstance(block, FileStorageCredentials):
        return block.get_storage_options()
    if all(name in type(block).model_fields for name in _AWS_FIELDS):
        fields = {
            "key": getattr(block, "aws_access_key_id", None),
            "secret": getattr(block, "aws_secret_access_key", None),
            "token": getattr(block, "aws_session_token", None),
            "profile": getattr(block, "profile_name", None),
        }
        options = {name: _revealed(value) for name, value in fields.items() if value}
        region = getattr(block, "region_name", None)
        return options | ({"client_kwargs": {"region_name": region}} if region else {})
    raise ValueError(
        f"a {block.get_block_type_name()} block cannot give a source's credentials: use a "
        f"{FileStorageCredentials.get_block_type_name()} block (fsspec storage options) or "
        "an AWS credentials block (with aws_access_key_id and aws_secret_access_key, as "
        "prefect-aws's AwsCredentials)"
    )


async def load_storage_options(reference: str) -> dict[str, Any]:
    """The `fsspec` storage options of the credentials block `reference` names.

    Args:
        reference: A `FileStorageCredentials` block's name, or `"<block-type-slug>/<name>"`
            of any block (e.g. "aws-credentials/crm").

    Returns:
        The options, secrets revealed (see `storage_options_of`): give them to
        `dial_lists.open_source(..., storage_options=...)`, never to a log.

    Raises:
        MissingBlock: Nothing is saved under that name; the message says how to create it.
        ValueError: The block is of a type that cannot give storage options.
    """
    block = await load_block(reference, FileStorageCredentials, "pass source_credentials")
    return storage_options_of(block)
