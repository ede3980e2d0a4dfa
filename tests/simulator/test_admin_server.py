"""The stand-in on real loopback sockets: discovery end to end, and `python -m simulator`
serving it beside the described API."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from simulator import DEFAULT_TENANT_ID, AdminUrls, create_admin_apps, serve_admin_in_thread

from .test_server import PROJECT, wait_for_config

JSON = {"Accept": "application/json"}


def discover_and_log_in(issuer_url: str) -> tuple[str, dict[str, str]]:
    """What a client of the real platform does: the API base URL and the headers to use."""
    oidc = httpx.get(f"{issuer_url}/.well-known/openid-configuration").json()
    form = {"grant_type": "password", "username": "sim-access-key", "password": "sim-access-secret"}
    token = httpx.post(oidc["token_endpoint"], data=form, auth=("sim-app", "sim-app-secret"))
    payload = token.json()["id_token"].split(".")[1]
    tenant_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))[
        "tenantId"
    ]
    tenant = httpx.get(
        f"{issuer_url}/.well-known/cxone-configuration", params={"tenantId": tenant_id}
    ).json()
    return tenant["api_endpoint"], {
        **JSON,
        "Authorization": f"Bearer {token.json()['access_token']}",
    }


@pytest.fixture(scope="module")
def served() -> Iterator[AdminUrls]:
    with serve_admin_in_thread(create_admin_apps()) as urls:
        yield urls


def test_discovery_leads_to_the_api_on_its_own_port(served: AdminUrls) -> None:
    httpx.post(f"{served.api}/_sim/admin/reset").raise_for_status()
    api_url, headers = discover_and_log_in(served.issuer)
    assert api_url == served.api and served.api != served.issuer
    assert api_url.startswith("http://127.0.0.1:") and served.issuer.startswith("http://127.0.0.1:")
    skills = "/inContactAPI/services/v30.0/skills"
    assert httpx.get(api_url + skills, headers=headers).status_code == 204
    assert httpx.get(served.issuer + skills, headers=headers).status_code == 404


def test_a_drop_after_commit_cuts_the_connection(served: AdminUrls) -> None:
    httpx.post(f"{served.api}/_sim/admin/reset").raise_for_status()
    api_url, headers = discover_and_log_in(served.issuer)
    fault = {"kind": "drop_after_commit", "method": "POST", "path": "/campaigns"}
    httpx.post(f"{served.api}/_sim/admin/faults", json=fault).raise_for_status()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            f"{api_url}/inContactAPI/services/v33.0/campaigns",
            json={"name": "Dropped"},
            headers=headers,
        )
    stored = httpx.get(f"{served.api}/_sim/admin/campaigns").json()["campaigns"]
    assert [c["name"] for c in stored] == ["Dropped"]


def test_serving_stops_both_apps() -> None:
    with serve_admin_in_thread() as urls:
        assert httpx.get(f"{urls.api}/_sim/admin/config").status_code == 200
    for url in (urls.api, urls.issuer):
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_serves_the_stand_in_beside_the_described_api() -> None:
    port = free_port()
    command = [sys.executable, "-m", "simulator", "--port", str(port)]
    command += ["--admin-port", "0", "--issuer-port", "0"]
    process = subprocess.Popen(
        command,
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        banner = "".join(process.stdout.readline() for _ in range(10))
        wait_for_config(f"http://127.0.0.1:{port}", process)
        urls = re.search(r"issuer (http://\S+), API (http://\S+)", banner)
        assert urls, banner
        assert "id=sim-access-key secret=sim-access-secret" in banner
        assert "client_id=sim-app client_secret=sim-app-secret" in banner
        assert f"tenantId={DEFAULT_TENANT_ID}" in banner
        issuer_url, api_url = urls.groups()
        discovered, headers = discover_and_log_in(issuer_url)
        assert discovered == api_url
        assert (
            httpx.get(f"{api_url}/inContactAPI/services/v33.0/skills", headers=headers).status_code
            == 204
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
