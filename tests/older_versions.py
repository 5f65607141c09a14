"""Rows as an older version could have stored them, past every check of today's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from helpers import NOW
from sqlalchemy import update

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.services.container import Services
from itp_monitor.storage.models import Patient, PlateletCountRow


def stored_by_an_older_version(services: Services, mrn: str, **change: Any) -> int:
    """A woman with a count of 40 a day ago; then, straight into the database past every
    check as an older version could have written it: a count in the year 1, or her EDD
    changed."""
    edd = NOW.date() + timedelta(days=45)
    patient = services.patients.add(PatientDetails(mrn, f"Woman {mrn}", edd, None, 70.0))
    services.records.record(patient.id, PlateletCount(NOW - timedelta(days=1), 40.0, "lab"))
    with services.db.writing() as session:
        if "count_at" in change:
            session.add(
                PlateletCountRow(
                    patient_id=patient.id,
                    collected_at=change["count_at"],
                    value=30.0,
                    source="lab",
                    entered_at_utc=datetime(2020, 1, 1),
                    entered_by="older version",
                )
            )
        if "edd" in change:
            session.execute(
                update(Patient).where(Patient.id == patient.id).values(edd=change["edd"])
            )
    return patient.id
