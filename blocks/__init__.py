"""Prefect blocks: CXone credentials and idempotency records.

Wraps `cxone` configuration for storage in Prefect; imported by `tasks` and `flows`.
"""
