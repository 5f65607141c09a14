"""One write path: a count from a laboratory file is stored and audited as one saved in the app
(the Recorder, its batch mode for a file), all or nothing, and known as this program's own."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from helpers import NOW, USER, audit_total, hours_ago

import itp_monitor
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import AuditRecord, PatientInfo
from itp_monitor.storage.database import Database, resolve_location

HEADER = "MRN,Collected at,Platelets,Unit,Accession\n"


@pytest.fixture
def mary(services: Services) -> PatientInfo:
    return services.patients.add(PatientDetails("B2002", "Mary Roe", date(2027, 1, 3)))


def lab_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines))
    return path


def last_count_entry(services: Services, patient_id: int) -> AuditRecord:
    return [e for e in services.patients.history(patient_id) if e.entity == "platelet_count"][-1]


def test_a_count_from_a_lab_file_is_audited_as_the_same_count_saved_in_the_app(
    services: Services, patient: PatientInfo, mary: PatientInfo, tmp_path: Path
) -> None:
    taken = hours_ago(3)
    saved = services.labs.save(lab_file(tmp_path, f"B2002,{taken:%Y-%m-%d %H:%M},42,G/L,L7"))
    assert saved.patient_ids == {mary.id}
    services.records.record(patient.id, PlateletCount(taken, 42.0, "lab", "L7"))

    from_file = last_count_entry(services, mary.id)
    in_app = last_count_entry(services, patient.id)
    # the same entry: action, who, when, the values before and after
    assert (from_file.action, from_file.user, from_file.at_utc) == ("create", USER, in_app.at_utc)
    assert from_file.before is None and in_app.before is None
    assert (
        from_file.after
        == in_app.after
        == {
            "collected_at": taken.isoformat(),
            "value": 42.0,
            "source": "lab",
            "accession": "L7",
        }
    )
    # where they differ: whose count it is, and why it was written
    assert from_file.reason == "laboratory file labs.csv" and in_app.reason is None
    unrelated = {"id": 0, "record_id": 0, "patient_id": 0, "reason": None}
    assert dataclasses.replace(from_file, **unrelated) == dataclasses.replace(in_app, **unrelated)
    # each entry names her count, and the counts are stored alike
    mine = services.patients.records(mary.id).counts
    theirs = services.patients.records(patient.id).counts
    assert [c.id for c in mine] == [from_file.record_id]
    assert [c.id for c in theirs] == [in_app.record_id]
    assert dataclasses.replace(mine[0], id=0, patient_id=0) == dataclasses.replace(
        theirs[0], id=0, patient_id=0
    )


def test_a_lab_import_made_here_is_not_reported_back_but_one_made_elsewhere_is(
    services: Services, mary: PatientInfo, db_path: Path, tmp_path: Path
) -> None:
    watch = services.watch_changes()
    try:
        services.labs.save(lab_file(tmp_path, f"B2002,{hours_ago(3):%Y-%m-%d %H:%M},42,G/L,L1"))
        assert not watch.poll().patients  # the window that imported it shows it already

        elsewhere = Database(resolve_location(str(db_path)))  # another copy of the app
        try:
            other = build_services(elsewhere, user="nurse.other", clock=lambda: NOW)
            other.labs.save(lab_file(tmp_path, f"B2002,{hours_ago(2):%Y-%m-%d %H:%M},44,G/L,L2"))
        finally:
            elsewhere.dispose()
        assert watch.poll().patients == {mary.id}
    finally:
        watch.close()


KILLED_MID_IMPORT = """
import os, signal, sys
from datetime import datetime
from pathlib import Path
from itp_monitor.services import audit, recorder
from itp_monitor.services.container import build_services
from itp_monitor.storage.database import Database, resolve_location

recorder.BATCH = 2  # the file's five new counts in three batches
written = audit.add_many

def add_then_die(session, entries):
    written(session, entries)  # the first batch, counts and audit entries, is written
    os.kill(os.getpid(), signal.SIGKILL)

audit.add_many = add_then_die
db = Database(resolve_location(sys.argv[1]))
services = build_services(db, user={user!r}, clock=lambda: datetime({now}))
services.labs.save(Path(sys.argv[2]))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL on this system")
def test_an_import_killed_after_its_first_batch_leaves_nothing(
    services: Services, mary: PatientInfo, db_path: Path, tmp_path: Path
) -> None:
    path = lab_file(
        tmp_path, *(f"B2002,{hours_ago(10 - h):%Y-%m-%d %H:%M},{40 + h},G/L,K{h}" for h in range(5))
    )
    assert services.labs.preview(path).summary["new"] == 5
    before = audit_total(services.db)
    now = ", ".join(str(n) for n in NOW.timetuple()[:6])
    script = textwrap.dedent(KILLED_MID_IMPORT.format(user=USER, now=now))
    source = str(Path(itp_monitor.__file__).parents[1])  # the package the tests import
    done = subprocess.run(
        [sys.executable, "-c", script, str(db_path), str(path)],
        env={**os.environ, "PYTHONPATH": source},
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert services.patients.records(mary.id).counts == ()
    assert audit_total(services.db) == before
    assert services.labs.save(path).summary["new"] == 5  # the file imports whole afterwards
