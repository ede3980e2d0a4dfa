"""A CRM export for the demo and the stack: the simulator's generated contacts as a file."""

from __future__ import annotations

from pathlib import Path


def write_crm_file(path: Path, contacts: int = 2_000, seed: int = 7) -> Path:
    """Write `contacts` generated contacts, with the columns the dial-list sync reads, to a
    Parquet file (mode 0600: personal data, even made up)."""
    from cxone import Contact
    from simulator import generate_contacts
    from tasks.contacts import contacts_frame

    records = [Contact.model_validate(c) for c in generate_contacts(contacts, seed=seed)]
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    contacts_frame(records).frame.to_parquet(path, index=False)
    path.chmod(0o600)
    return path
