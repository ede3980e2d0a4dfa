"""Pre-dial eligibility rules: consent, DNC, frequency caps, federal, state and Canadian windows.

Pure pandas and numpy on plain data. Never imports Prefect or the API client: tasks wrap it.
"""

from ._arrow import string_buffers
from ._blocked import Blocked
from ._caps import PersonAttempts
from ._evaluate import OPTIONAL as OPTIONAL_COLUMNS
from ._evaluate import REQUIRED as REQUIRED_COLUMNS
from ._evaluate import evaluate, evaluate_day
from ._phones import national_numbers
from ._places import load_tables
from ._policy import REASONS, CallingPolicy
from ._report import suppression_report

__all__ = [
    "OPTIONAL_COLUMNS",
    "REASONS",
    "REQUIRED_COLUMNS",
    "Blocked",
    "CallingPolicy",
    "PersonAttempts",
    "evaluate",
    "evaluate_day",
    "load_tables",
    "national_numbers",
    "string_buffers",
    "suppression_report",
]
