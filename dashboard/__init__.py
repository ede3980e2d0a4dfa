"""FastAPI service that receives CXone metrics webhooks, polls platforms that push none,
and serves the health dashboard.

Deliveries are verified (Standard Webhooks), stored in memory per campaign and acknowledged
at once; behind them (`readings.py`) each reading becomes Prefect events:
`cxone.campaign.metrics.updated` for each (a polled campaign's at most once a minute),
and `cxone.campaign.success_rate.low` when a campaign with a saved `FailoverPair` falls below
its threshold over enough calls (the responder, or a deployment trigger, starts the failover
from it). Pairs on NICE CXone, which has no metrics webhook, are polled (`poller.py`) into
the same path. Run it with `python -m dashboard`; the app is `dashboard.app:app`.

May import `cxone`, `blocks` and Prefect's event and client APIs; never imported by `cxone`
or `compliance`.
"""
