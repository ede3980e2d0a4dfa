"""Prefect's private internals the project leans on (`blocks/_prefect.py`, `flows/_checked.py`)
are still there, in the shape used: an upgrade that moves one fails here, naming the version,
before anything else does."""

from __future__ import annotations

import asyncio
import inspect
import ssl
import threading
import uuid

import httpx
import prefect
import pytest
from prefect import Flow
from prefect.blocks.core import Block
from prefect.client.orchestration import PrefectClient, get_client
from prefect.context import AsyncClientContext
from prefect.settings import (
    PREFECT_API_SSL_CERT_FILE,
    PREFECT_API_TLS_INSECURE_SKIP_VERIFY,
    temporary_settings,
)

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


async def test_a_flow_runs_own_client_is_reused_on_its_event_loop(prefect_harness):
    seen = {}

    @prefect.flow
    async def inside() -> None:
        async with _prefect.api_client() as mine, get_client() as prefects:
            seen["same"] = mine is prefects
        # The run's client on another event loop (a thread's) is not this loop's to use.
        seen["other loop"] = await asyncio.to_thread(asyncio.run, _client_is_the_runs())

    await inside()

    contract(
        seen == {"same": True, "other loop": False}, "get_client()'s reuse of the run's client"
    )


def test_outside_an_event_loop_no_runs_client_is_offered():
    assert _prefect._context_client() is None


async def _client_is_the_runs() -> bool:
    context = AsyncClientContext.get()
    async with _prefect.api_client() as client:
        return context is not None and client is context.client


async def test_a_client_outside_a_run_builds_no_tls_context_of_its_own(
    prefect_harness, monkeypatch
):
    built = []  # by this thread: Prefect's log and event workers open clients in theirs
    create, here = ssl.create_default_context, threading.get_ident()

    def counted(*args, **kwargs):
        built.extend([threading.get_ident()] if threading.get_ident() == here else [])
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    _prefect._tls_context_for.cache_clear()

    for _ in range(3):
        async with _prefect.api_client() as client:
            assert (await client.request("GET", "/health")).status_code == 200

    assert len(built) == 1  # the process's one, built on first use
    async with get_client():  # Prefect's own builds one per client: what this saves
        pass
    contract(len(built) == 2, "PrefectClient building its own TLS context")


@pytest.mark.parametrize(
    ("settings", "verify_mode", "check_hostname"),
    [
        ({}, ssl.CERT_REQUIRED, True),
        ({PREFECT_API_TLS_INSECURE_SKIP_VERIFY: True}, ssl.CERT_NONE, False),
    ],
)
def test_the_shared_tls_context_follows_prefects_tls_settings(
    settings, verify_mode, check_hostname
):
    with temporary_settings(settings):
        context = _prefect._tls_context()
        assert _prefect._tls_context() is context  # built once for these settings
    assert (context.verify_mode, context.check_hostname) == (verify_mode, check_hostname)


def test_a_configured_certificate_file_is_the_one_trusted():
    # tests/conftest.py points the setting at a bundle of one certificate.
    assert PREFECT_API_SSL_CERT_FILE.value() is not None
    assert _prefect._tls_context().cert_store_stats()["x509_ca"] == 1
    with temporary_settings(restore_defaults={PREFECT_API_SSL_CERT_FILE}):
        assert _prefect._tls_context().cert_store_stats()["x509_ca"] > 100  # certifi's bundle
