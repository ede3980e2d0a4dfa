"""Prefect flows composed from `tasks`: provisioning, segmented export, monitoring and failover.

May import `tasks` and `blocks`; holds no HTTP or rules logic of its own.
"""
