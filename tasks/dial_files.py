"""Tasks: evaluate a contact file into the dial-list segment files (`dial_lists`)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from dial_lists import build_dial_files

# A day list of millions of contacts takes minutes; hours means something is stuck.
write_dial_files = task(name="write-dial-files", timeout_seconds=3 * 3600, cache_policy=NO_CACHE)(
    build_dial_files
)
