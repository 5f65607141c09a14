"""What the unit chose to remember: the latest value per key, kept with who set it and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from itp_monitor.storage.models import PreferenceRow


def preference(session: Session, key: str, default: Any = None) -> Any:
    row = session.scalar(
        select(PreferenceRow).where(PreferenceRow.key == key).order_by(PreferenceRow.id.desc())
    )
    return row.value if row is not None else default
