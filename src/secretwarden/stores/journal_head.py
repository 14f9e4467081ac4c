"""The one refusal for a shared journal's head that cannot be read (every backend's journal.py).

The incident register's head tells the gates which incidents are open; a head
read as empty would let `run` start a service whose incident is still open, so
a damaged head stops the reader instead. `audit verify` reports it as a finding.
"""

from __future__ import annotations

from secretwarden.errors import IntegrityError


def damaged_head(location: str, name: str) -> IntegrityError:
    return IntegrityError(
        f"{location}: the head of the {name} journal is damaged; the open incidents cannot be known from it",
        hint="`warden audit verify` shows the journal's state; the next `warden incident` or `rotate` rebuilds it "
        "where its entries are intact",
    )
