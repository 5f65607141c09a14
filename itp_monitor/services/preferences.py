"""What the unit chose to remember: the latest value per key, kept with who set it and when.

Laboratory files: the laboratory's own codes for the platelet count in HL7
results, and the column mappings made in the app for CSV files with a given header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.services.lab_files import FIELDS, header_key
from itp_monitor.storage.models import PreferenceRow

LOCAL_CODES_KEY = "hl7_platelet_codes"
MAPPING_KEY = "lab_csv_mapping:"
IGNORED = ""  # a column mapped to nothing: not read, even if its name is known


def preference(session: Session, key: str, default: Any = None) -> Any:
    # the latest by when it was set, as for the protocol's settings (protocol_store.py)
    row = session.scalar(
        select(PreferenceRow)
        .where(PreferenceRow.key == key)
        .order_by(
            PreferenceRow.set_at_utc.desc(), PreferenceRow.device.desc(), PreferenceRow.id.desc()
        )
    )
    return row.value if row is not None else default


def remember(session: Session, key: str, value: Any, *, user: str, at_utc: datetime) -> None:
    session.add(PreferenceRow(key=key, value=value, set_at_utc=at_utc, set_by=user))


# --- laboratory files ------------------------------------------------------------------


def local_codes(session: Session) -> list[str]:
    """The local codes of the laboratory's platelet count in HL7 results."""
    return list(preference(session, LOCAL_CODES_KEY, []))


def checked_codes(codes: Sequence[str]) -> list[str]:
    """Local codes as they are kept (spaces trimmed, each once); ValueError names any that
    cannot be one."""
    kept = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    bad = [c for c in kept if not re.fullmatch(r"[A-Za-z0-9_.\-]{1,20}", c)]
    if bad:
        raise ValueError(
            f"not a laboratory code: {', '.join(repr(c) for c in bad)} (letters, digits, "
            "., - and _, at most 20)"
        )
    return kept


def remembered_mapping(session: Session, header_keys: Iterable[str]) -> dict[str, str]:
    """The mapping made in the app for files with one of these header keys, if any."""
    for key in header_keys:
        found = preference(session, MAPPING_KEY + key)
        if found:
            return dict(found)
    return {}


def mapping_entry(header: Sequence[str], mapping: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The key and value that remember `mapping` for files with this header; ValueError
    names any field a laboratory file does not have."""
    unknown = set(mapping.values()) - {*FIELDS, IGNORED}
    if unknown:
        raise ValueError(f"not fields of a laboratory file: {', '.join(sorted(unknown))}")
    return MAPPING_KEY + header_key(header), dict(mapping)
