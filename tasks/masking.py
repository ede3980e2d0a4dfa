"""Keep phone numbers out of logs: only the last four digits are shown (`cxone.mask_phone`)."""

from __future__ import annotations

from cxone import mask_phone

__all__ = ["mask_phone"]
