"""register_metrics_webhook registers once, however often it runs."""

import asyncio

from flows.webhooks import register_metrics_webhook


async def test_registers_once_across_reruns_and_concurrent_runs(sim, credentials_block):
    url = "http://127.0.0.1:9/webhooks/cxone"
    first = await register_metrics_webhook(url, credentials_block=credentials_block)
    again = await asyncio.gather(
        *(register_metrics_webhook(url, credentials_block=credentials_block) for _ in range(3))
    )
    assert {hook["id"] for hook in again} == {first["id"]}
    posts = [
        r for r in sim.get("/_sim/requests").json()["requests"]
        if r["method"] == "POST" and r["path"].endswith("/webhooks") and r["status"] == 201
    ]  # fmt: skip
    assert len(posts) == 1
    assert first["events"] == [
        "omnichannel.campaign.metrics.update",
        "omnichannel.campaign.state.change",
    ]


async def test_another_url_is_another_registration(sim, credentials_block):
    a = await register_metrics_webhook("http://127.0.0.1:9/a", credentials_block=credentials_block)
    b = await register_metrics_webhook("http://127.0.0.1:9/b", credentials_block=credentials_block)
    assert a["id"] != b["id"]
