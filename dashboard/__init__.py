"""FastAPI service that receives CXone metrics webhooks and serves the health dashboard.

May import `cxone` and Prefect's event API; never imported by `cxone` or `compliance`.
"""
