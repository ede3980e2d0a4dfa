"""The attempts ledger: what happened on each call, and who must not be called again.

`flows.outcomes.collect_outcomes` fills it from the platform (every attempt once, keyed by
the platform's id), and the opt-outs from "do not call" dispositions and revocations;
`sync_dial_list` and `export_segmented_contacts` read a `LedgerView` of it, so caps count
the dialer's attempts, not only the CRM's columns, and an opt-out suppresses the number the
same day. It also keeps the Reassigned Numbers Database's answers (`rnd_answers`,
`add_rnd_answers`): the cache `rnd.check_numbers` reads, and the evidence of each query. No
Prefect here.
"""

from ._store import (
    DEFAULT_PATH,
    AttemptRow,
    Ledger,
    OptOutRow,
    RndAnswerRow,
    ledger_url,
    open_ledger,
)
from ._view import EMPTY, OPTED_OUT, REVOKED, LedgerView, Notes

__all__ = [
    "DEFAULT_PATH",
    "EMPTY",
    "OPTED_OUT",
    "REVOKED",
    "AttemptRow",
    "Ledger",
    "LedgerView",
    "Notes",
    "OptOutRow",
    "RndAnswerRow",
    "ledger_url",
    "open_ledger",
]
