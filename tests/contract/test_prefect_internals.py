"""Prefect's private internals the project leans on (`blocks/_prefect.py`, `flows/_checked.py`)
are still there, in the shape used: an upgrade that moves one fails here, naming the version,
before anything else does."""

from __future__ import annotations

import inspect
import uuid

import httpx
import prefect
import pytest
from prefect import Flow
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient, get_client

from blocks import FailoverPair, _prefect, register_block_types

VERSION = f"Prefect {prefect.__version__}"


def contract(condition: bool, what: str) -> None:
    if not condition:
        pytest.fail(f"{VERSION} changed {what}: update blocks/_prefect.py (or flows/_checked.py)")


def test_the_pin_is_the_version_the_contract_was_checked_against():
    contract(
        prefect.__version__.startswith(_prefect.CHECKED_VERSION + "."),
        f"its version (the contract was checked on {_prefect.CHECKED_VERSION})",
    )


async def test_a_prefect_client_keeps_its_httpx_client_in_client(prefect_harness):
    async with get_client() as client:
        contract(isinstance(client, PrefectClient), "what get_client() answers")
        inner = getattr(client, "_client", None)
        contract(isinstance(inner, httpx.AsyncClient), "PrefectClient._client")
        contract(_prefect.http_client(client) is inner, "PrefectClient._client")
        request = inner.build_request("GET", "/health")
        response = await _prefect.send_once(client, request)
        contract(response.status_code == 200, "httpx.AsyncClient.send on its client")


def test_httpx_send_takes_the_request_first():
    parameters = list(inspect.signature(httpx.AsyncClient.send).parameters)
    contract(parameters[:2] == ["self", "request"], "httpx.AsyncClient.send's parameters")


def test_blocks_keep_their_document_id_and_name_as_private_attributes():
    private = getattr(Block, "__private_attributes__", {})
    for name in ("_block_document_id", "_block_document_name"):
        contract(name in private, f"Block.{name}")
    pair = FailoverPair(primary_campaign_id="a", backup_campaign_id="b")
    document = uuid.uuid4()
    _prefect.bind_document(pair, "pair-a", document)
    contract(_prefect.document_id(pair) == document, "Block._block_document_id")
    contract(_prefect.document_name(pair) == "pair-a", "Block._block_document_name")


async def test_registering_a_block_type_sets_its_type_and_schema_ids(prefect_harness):
    await register_block_types()
    for attribute in ("_block_type_id", "_block_schema_id"):
        contract(hasattr(FailoverPair, attribute), f"Block.{attribute}")
    type_id, schema_id = _prefect.registered_ids(FailoverPair)
    contract(isinstance(type_id, uuid.UUID), "Block._block_type_id")
    contract(isinstance(schema_id, uuid.UUID), "Block._block_schema_id")


def test_a_flow_starts_its_run_in_call_and_stores_serialize_parameters():
    contract("__call__" in vars(Flow), "Flow.__call__ (defined by Flow itself)")
    serialize = getattr(Flow, "serialize_parameters", None)
    contract(callable(serialize), "Flow.serialize_parameters")
    assert serialize is not None
    parameters = list(inspect.signature(serialize).parameters)
    contract(parameters[:2] == ["self", "parameters"], "Flow.serialize_parameters' parameters")
