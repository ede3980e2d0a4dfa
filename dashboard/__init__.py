"""FastAPI service that receives CXone metrics webhooks and serves the health dashboard.

Deliveries are verified (Standard Webhooks), stored in memory per campaign, and turned into
Prefect events: `cxone.campaign.metrics.updated` for each update, and
`cxone.campaign.success_rate.low` when a campaign with a saved `FailoverPair` falls below
its threshold over enough calls (a deployment trigger starts the failover flow from it).
Run it with `python -m dashboard`; the app is `dashboard.app:app`.

May import `cxone`, `blocks` and Prefect's event and client APIs; never imported by `cxone`
or `compliance`.
"""
