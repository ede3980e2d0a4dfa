"""Credentials for contact sources: a block of fsspec storage options, or AWS credentials."""

import pytest
from prefect.blocks.core import Block
from pydantic import Field, SecretStr

from blocks import (
    CXoneCredentials,
    FileStorageCredentials,
    MissingBlock,
    load_storage_options,
    storage_options_of,
)

SECRET = "wJalrXUtnFEMI-hunter2"


class AwsStandIn(Block):
    """Stands in for prefect-aws's AwsCredentials (not a dependency): the same field names."""

    _block_type_slug = "aws-credentials-stand-in"

    aws_access_key_id: str | None = Field(default=None, description="The access key id.")
    aws_secret_access_key: SecretStr | None = Field(default=None, description="The secret.")
    aws_session_token: str | None = Field(default=None, description="A session token.")
    profile_name: str | None = Field(default=None, description="A profile.")
    region_name: str | None = Field(default=None, description="The region.")


def test_the_storage_options_are_never_shown():
    block = FileStorageCredentials(storage_options={"key": "AKIA1", "secret": SECRET})
    for text in (repr(block), str(block), str(block.model_dump()), block.model_dump_json()):
        assert SECRET not in text and "AKIA1" not in text
    assert block.get_storage_options() == {"key": "AKIA1", "secret": SECRET}


async def test_a_saved_block_gives_its_storage_options(prefect_harness):
    options = {"key": "AKIA1", "secret": SECRET, "client_kwargs": {"region_name": "us-east-1"}}
    await FileStorageCredentials(storage_options=options).asave("crm-bucket", overwrite=True)
    assert await load_storage_options("crm-bucket") == options
    assert await load_storage_options("file-storage-credentials/crm-bucket") == options
    loaded = await FileStorageCredentials.aload("crm-bucket")
    assert SECRET not in repr(loaded) and SECRET not in str(loaded.model_dump())


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {
                "aws_access_key_id": "AKIA2",
                "aws_secret_access_key": SECRET,
                "aws_session_token": "session",
                "region_name": "us-west-2",
            },
            {
                "key": "AKIA2",
                "secret": SECRET,
                "token": "session",
                "client_kwargs": {"region_name": "us-west-2"},
            },
        ),
        (
            {"aws_access_key_id": "AKIA2", "aws_secret_access_key": SECRET},
            {"key": "AKIA2", "secret": SECRET},
        ),
        ({"profile_name": "crm"}, {"profile": "crm"}),
    ],
)
async def test_aws_credentials_give_s3fs_options(prefect_harness, fields, expected):
    await AwsStandIn(**fields).asave("crm-aws", overwrite=True)
    assert await load_storage_options("aws-credentials-stand-in/crm-aws") == expected


async def test_another_block_type_is_refused_by_name(prefect_harness):
    await CXoneCredentials(client_id="app", client_secret=SECRET).asave("cx", overwrite=True)
    with pytest.raises(ValueError, match="a CXone Credentials block cannot give") as raised:
        await load_storage_options("cxone-credentials/cx")
    assert SECRET not in str(raised.value)
    assert "File Storage Credentials block" in str(raised.value)


async def test_a_missing_block_is_named(prefect_harness):
    with pytest.raises(MissingBlock, match="no file-storage-credentials block named 'nope'"):
        await load_storage_options("nope")
    with pytest.raises(MissingBlock, match="no aws-credentials block named 'crm'"):
        await load_storage_options("aws-credentials/crm")


def test_storage_options_of_a_block_in_memory():
    assert storage_options_of(AwsStandIn(aws_access_key_id="A", aws_secret_access_key="s")) == {
        "key": "A",
        "secret": "s",
    }
