"""Sync: a clinic laptop and the ward, apart for a while, end with the same records, their
whole history, and what they did to the same things apart shown as conflicts on both."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, USER, count
from holdings import held
from postgres import on_both_databases
from sqlalchemy import text

from itp_monitor.domain.records import Delivery, NeonatalCount, PatientDetails, PlateletCount
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.domain.vocab import ConflictKind
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.lab_import import LabOptions
from itp_monitor.services.sync import SyncRefused
from itp_monitor.storage.database import Database, resolve_location
from itp_monitor.storage.migrate import DatabaseTooNew, upgrade

pytestmark = on_both_databases


@pytest.fixture
def laptop_path(tmp_path: Path) -> Path:
    return tmp_path / "usb" / "laptop.sqlite"


def laptop_at(path: Path, clock: Any = lambda: NOW) -> Services:
    return build_services(Database(resolve_location(str(path))), "nurse.laptop", clock)


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


@pytest.fixture
def laptop(ward: Services, laptop_path: Path) -> Iterator[Services]:
    """A clinic laptop that took the whole ward with it: its database made by a sync."""
    outcome = ward.sync.sync(str(laptop_path))
    assert outcome.received == 0 and outcome.sent > 0
    services = laptop_at(laptop_path)
    services.device.rename("Clinic laptop 2")
    again = services.sync.sync(ward.db.location.url)
    assert (again.sent, again.received) == (0, 0)  # a rename is no record; its entry goes
    yield services
    services.db.dispose()


def _mrn(services: Services, mrn: str) -> int:
    found = services.patients.find(mrn)
    assert found is not None
    return found.id


def _counts(services: Services, patient_id: int) -> list[Any]:
    return list(services.patients.records(patient_id).counts)


def test_a_first_sync_makes_the_other_file_and_gives_it_everything(
    ward: Services, laptop: Services
) -> None:
    assert held(laptop.db) == held(ward.db)
    # the laptop is a device of its own, and knows the ward's
    with laptop.db.reading() as session:
        devices = dict(session.execute(text("SELECT name, this_device FROM devices")).all())
    assert devices["Clinic laptop 2"] in (1, True)
    assert ward.device.this().name in devices
    # the audit entries keep who made each change and when, not who synced
    with laptop.db.reading() as session:
        users = session.execute(
            text('SELECT device, "user", count(*) FROM audit_entries GROUP BY device, "user"')
        ).all()
    ward_device, laptop_device = ward.device.this().uid, laptop.device.this().uid
    assert {(d, u) for d, u, _ in users} == {
        (ward_device, "nurse.test"),
        (laptop_device, "nurse.laptop"),  # its rename
    }


def _diverge(ward: Services, laptop: Services) -> dict[str, Any]:
    """Each side adds, corrects and voids; both correct one count differently; one voids
    what the other corrected; one MRN is registered on both; one count entered on both."""
    pid = _mrn(ward, "DEMO-01")
    counts = [c for c in _counts(ward, pid)]
    both, voided_there, plain = counts[0], counts[1], counts[2]
    # the ward
    ward.records.record(pid, count(44, hours=1), confirmed=True)
    ward.records.correct(
        both.id, count(both.record.value + 1, hours=0), "ward: misread", confirmed=True
    )
    ward.records.correct(voided_there.id, count(77, hours=0.5), "ward: digits", confirmed=True)
    twin_w = ward.patients.add(PatientDetails("N5005", "Lin Mei", date(2027, 2, 1)))
    ward.records.record(twin_w.id, count(88, hours=4), confirmed=True)
    # the laptop, the same woman by her MRN
    lid = _mrn(laptop, "DEMO-01")
    on_laptop = {(c.record.collected_at, c.record.value): c for c in _counts(laptop, lid)}
    key = lambda c: (c.record.collected_at, c.record.value)  # noqa: E731
    laptop.records.record(lid, count(52, hours=1.5), confirmed=True)
    laptop.records.correct(
        on_laptop[key(both)].id, count(both.record.value + 2, hours=0), "lap", confirmed=True
    )
    laptop.records.void(PlateletCount, on_laptop[key(voided_there)].id, "laptop: wrong woman")
    laptop.records.void(PlateletCount, on_laptop[key(plain)].id, "laptop: duplicate")
    twin_l = laptop.patients.add(PatientDetails("n5005", "Lin Mei", date(2027, 2, 1)))
    laptop.records.record(twin_l.id, count(88, hours=4), confirmed=True)
    laptop.records.record(lid, count(61, hours=6), confirmed=True)
    ward.records.record(pid, count(61, hours=6), confirmed=True)
    return {"pid": pid, "lid": lid}


def test_two_sides_that_diverged_end_the_same_with_every_conflict_on_both(
    ward: Services, laptop: Services
) -> None:
    _diverge(ward, laptop)
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.sent > 0 and outcome.received > 0
    assert held(laptop.db) == held(ward.db)
    kinds = sorted(c.what for c in ward.conflicts.open())
    assert kinds == sorted(
        [
            ConflictKind.CORRECTED_TWICE,
            ConflictKind.CORRECTED_AND_VOIDED,
            ConflictKind.REGISTERED_TWICE,
            ConflictKind.ENTERED_TWICE,
        ]
    )
    assert outcome.new_conflicts == 4 and outcome.open_conflicts == 4
    assert sorted(c.uid for c in laptop.conflicts.open()) == sorted(
        c.uid for c in ward.conflicts.open()
    )
    # both corrections stand until staff settle; the lower count is what the rules take
    again = ward.sync.sync(str(laptop.db.location.path))
    assert (again.sent, again.received, again.new_conflicts) == (0, 0, 0)
    assert again.open_conflicts == 4
    _both_sound(ward, laptop)


def _both_sound(*sides: Services) -> None:
    """Each side passes Check database: what a sync brought is linked into each one's
    audit chain, and every version and status it moved has its entry."""
    for side in sides:
        report = side.check.full()
        assert report.ok, report.problems


def _synced_apart(ward: Services, laptop: Services) -> dict[str, Any]:
    ids = _diverge(ward, laptop)
    laptop.sync.sync(ward.db.location.url)
    return ids


def _conflict(services: Services, what: ConflictKind) -> Any:
    return next(c for c in services.conflicts.open() if c.what is what)


def test_a_void_on_one_device_settles_two_corrections_everywhere_at_the_next_sync(
    ward: Services, laptop: Services
) -> None:
    ids = _synced_apart(ward, laptop)
    twice = _conflict(laptop, ConflictKind.CORRECTED_TWICE)
    assert len(twice.versions) == 2  # both corrections stand, shown with who entered them
    # on the laptop, staff keep the ward's correction and void the laptop's own
    mine = next(
        c
        for c in _counts(laptop, ids["lid"])
        if c.entered_by == "nurse.laptop"
        and c.supersedes_id is not None
        and c.record.collected_at == NOW
    )
    laptop.records.void(PlateletCount, mine.id, "settled: the ward's reading is right")
    assert twice.uid not in {c.uid for c in laptop.conflicts.open()}
    assert twice.uid in {c.uid for c in ward.conflicts.open()}  # the ward has not heard yet
    outcome = ward.sync.sync(str(laptop.db.location.path))
    assert outcome.new_conflicts == 0 and outcome.open_conflicts == 3
    assert twice.uid not in {c.uid for c in ward.conflicts.open()}
    assert held(laptop.db) == held(ward.db)


def test_keep_settles_a_correction_over_a_void_and_it_closes_everywhere(
    ward: Services, laptop: Services
) -> None:
    _synced_apart(ward, laptop)
    over_void = _conflict(ward, ConflictKind.CORRECTED_AND_VOIDED)
    with pytest.raises(InvalidEntry):
        ward.conflicts.keep(over_void.uid, "  ")  # a settlement says why
    ward.conflicts.keep(over_void.uid, "the ward's correction is right; the void was a slip")
    laptop.sync.sync(ward.db.location.url)
    for side in (ward, laptop):
        assert over_void.uid not in {c.uid for c in side.conflicts.open()}
    with laptop.db.reading() as session:
        how = session.execute(text('SELECT how, "user", reason FROM settlements')).all()
    assert [(h, u) for h, u, _ in how] == [("kept", USER)]
    # her History says who settled what, how and why, on both devices
    for side in (ward, laptop):
        history = side.patients.history(
            over_void.patient_id if side is ward else _mrn(side, "DEMO-01")
        )
        settled = [e for e in history if e.action == "settled"]
        assert [(e.user, e.reason, e.after) for e in settled] == [
            (
                USER,
                "the ward's correction is right; the void was a slip",
                {"conflict": over_void.what.label, "settled by": "kept"},
            )
        ]


def test_two_registrations_of_one_woman_are_linked_into_one(
    ward: Services, laptop: Services
) -> None:
    _synced_apart(ward, laptop)
    twice = _conflict(laptop, ConflictKind.REGISTERED_TWICE)
    assert twice.mrn.upper() == "N5005" and len(twice.versions) == 2
    keep = next(s.patient for s in laptop.patients.summaries() if s.patient.details.mrn == "N5005")
    laptop.conflicts.link(twice.uid, keep.id, "one woman registered at the clinic and the ward")
    laptop.sync.sync(ward.db.location.url)
    for side in (ward, laptop):
        assert twice.uid not in {c.uid for c in side.conflicts.open()}
        on_ward = [s.patient for s in side.patients.summaries() if s.patient.details.mrn == "N5005"]
        assert len(on_ward) == 1  # the other registration is closed, linked into this one
        assert all(
            s.patient.archived
            for s in side.patients.summaries(include_archived=True)
            if s.patient.details.mrn == "n5005"
        )
        # the count entered under both registrations is held once
        assert [c.record.value for c in _counts(side, on_ward[0].id)] == [88]
    assert held(laptop.db) == held(ward.db)


def test_details_changed_on_two_devices_are_a_conflict_kept_by_one_side_for_both(
    ward: Services, laptop: Services
) -> None:
    pid, lid = _mrn(ward, "DEMO-02"), _mrn(laptop, "DEMO-02")
    here, there = ward.patients.get(pid), laptop.patients.get(lid)
    ward.patients.correct(pid, replace(here.details, name="Wang Fang"), "spelling")
    laptop.patients.correct(lid, replace(there.details, name="Wang Fang B"), "spelling")
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    details = _conflict(ward, ConflictKind.DETAILS_TWICE)
    assert details.uid in {c.uid for c in laptop.conflicts.open()}
    # each side shows its own until staff say which is right
    assert ward.patients.get(pid).details.name == "Wang Fang"
    assert laptop.patients.get(lid).details.name == "Wang Fang B"
    ward.conflicts.keep(details.uid, "checked against her ID card")
    ward.sync.sync(str(laptop.db.location.path))
    assert laptop.patients.get(lid).details.name == "Wang Fang"
    for side in (ward, laptop):
        assert details.uid not in {c.uid for c in side.conflicts.open()}
    _both_sound(ward, laptop)
    # a correction made on one side only simply travels
    laptop.patients.correct(
        lid, replace(there.details, name="Wang Fang", weight_kg=73.5), "weighed"
    )
    ward.sync.sync(str(laptop.db.location.path))
    assert ward.patients.get(pid).details.weight_kg == 73.5
    assert not ward.conflicts.open()
    _both_sound(ward, laptop)


def test_device_clocks_hours_apart_change_nothing(
    ward: Services, laptop_path: Path, laptop: Services
) -> None:
    skewed = laptop_at(laptop_path, clock=lambda: NOW - timedelta(hours=9))
    pid = _mrn(skewed, "DEMO-01")
    skewed.records.record(pid, count(47, hours=12), confirmed=True)
    first = skewed.sync.sync(ward.db.location.url)
    assert (first.received, first.new_conflicts) == (0, 0) and first.sent == 1
    assert held(skewed.db) == held(ward.db)
    again = ward.sync.sync(str(laptop_path))
    assert (again.sent, again.received) == (0, 0)
    skewed.db.dispose()


def test_a_copied_database_becomes_a_device_of_its_own_at_its_first_sync(
    ward: Services, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.sqlite"
    if ward.db.location.path is None:
        ward.sync.sync(str(copy))  # a server is not copied as a file: make the copy by sync
    else:
        ward.db.engine.dispose()
        shutil.copy(ward.db.location.path, copy)
    copied = laptop_at(copy)
    if ward.db.location.path is not None:
        assert copied.device.this().uid == ward.device.this().uid
    ward_device = ward.device.this()
    copied.sync.sync(ward.db.location.url)
    assert ward.device.this() == ward_device  # the original keeps its device and name
    assert copied.device.this().uid != ward_device.uid
    if ward.db.location.path is not None:  # the file copy is named for what it is
        assert copied.device.this().name.endswith("(copy)")
    # what each makes from now on is told apart
    copied.records.record(_mrn(copied, "DEMO-01"), count(49, hours=3), confirmed=True)
    ward.records.record(_mrn(ward, "DEMO-01"), count(51, hours=3.5), confirmed=True)
    copied.sync.sync(ward.db.location.url)
    with ward.db.reading() as session:
        devices = session.scalars(
            text("SELECT device FROM platelet_counts WHERE value IN (49, 51)")
        ).all()
    assert len(set(devices)) == 2
    copied.db.dispose()


def test_a_database_at_an_older_schema_is_upgraded_first(ward: Services, tmp_path: Path) -> None:
    older = Database(resolve_location(str(tmp_path / "old.sqlite")))
    upgrade(older, "0005_ids_that_travel")
    older.dispose()
    outcome = ward.sync.sync(str(tmp_path / "old.sqlite"))
    assert outcome.sent > 0
    assert list(tmp_path.glob("old.before-upgrade-from-0005_ids_that_travel-*.sqlite"))


def test_a_database_newer_than_the_app_is_refused_and_neither_side_changes(
    ward: Services, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.sqlite"
    ward.sync.sync(str(newer))
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    before = held(ward.db), newer.read_bytes()
    with pytest.raises(DatabaseTooNew):
        ward.sync.sync(str(newer))
    assert (held(ward.db), newer.read_bytes()) == before


def test_a_database_cannot_sync_with_itself(ward: Services) -> None:
    before = held(ward.db)
    itself = ward.db.location.path or ward.db.location.url  # a file, or a server's URL
    with pytest.raises(SyncRefused, match="this database itself"):
        ward.sync.sync(str(itself))
    assert held(ward.db) == before


def test_a_woman_archived_on_one_device_and_archived_then_restored_on_the_other_is_a_conflict(
    ward: Services, laptop: Services
) -> None:
    pid, lid = _mrn(ward, "DEMO-02"), _mrn(laptop, "DEMO-02")
    laptop.patients.archive(lid, "delivered elsewhere")
    ward.patients.archive(pid, "transferred")
    ward.patients.restore(pid, "she is still ours")
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    details = _conflict(ward, ConflictKind.DETAILS_TWICE)
    assert details.uid in {c.uid for c in laptop.conflicts.open()}
    # settled on the ward: she stays on the ward, on both devices
    ward.conflicts.keep(details.uid, "she is on the ward today")
    ward.sync.sync(str(laptop.db.location.path))
    assert not laptop.patients.get(lid).archived
    assert held(laptop.db) == held(ward.db)
    assert not ward.conflicts.open() and not laptop.conflicts.open()


def test_details_kept_on_one_device_while_the_other_changed_them_again_is_a_new_conflict(
    ward: Services, laptop: Services
) -> None:
    pid, lid = _mrn(ward, "DEMO-02"), _mrn(laptop, "DEMO-02")
    here, there = ward.patients.get(pid).details, laptop.patients.get(lid).details
    ward.patients.correct(pid, replace(here, name="Wang Fang"), "spelling")
    laptop.patients.correct(lid, replace(there, name="Wang Fang B"), "spelling")
    laptop.sync.sync(ward.db.location.url)
    first = _conflict(ward, ConflictKind.DETAILS_TWICE)
    ward.conflicts.keep(first.uid, "her ID card")
    # the laptop, not yet told, weighs her: that is not lost under the ward's keep
    laptop.patients.correct(
        lid, replace(laptop.patients.get(lid).details, weight_kg=81.5), "weighed"
    )
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    assert laptop.patients.get(lid).details.weight_kg == 81.5  # each keeps its own
    second = _conflict(ward, ConflictKind.DETAILS_TWICE)
    assert second.uid != first.uid and second.uid in {c.uid for c in laptop.conflicts.open()}


def test_a_third_correction_after_two_were_kept_is_a_new_conflict(
    ward: Services, laptop: Services, laptop_path: Path
) -> None:
    third_path = laptop_path.with_name("third.sqlite")
    ward.sync.sync(str(third_path))  # a third device, away since before the corrections
    third = laptop_at(third_path)
    original = _counts(third, _mrn(third, "DEMO-01"))[0]
    _synced_apart(ward, laptop)
    twice = _conflict(ward, ConflictKind.CORRECTED_TWICE)
    ward.conflicts.keep(twice.uid, "both readings were rechecked")
    # the third device corrects the same count its own way: three versions stand now
    third.records.correct(
        original.id, count(original.record.value + 5, hours=0), "third", confirmed=True
    )
    outcome = third.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    again = [c for c in ward.conflicts.open() if c.what is ConflictKind.CORRECTED_TWICE]
    assert len(again) == 1 and again[0].uid != twice.uid and len(again[0].versions) == 3
    third.db.dispose()


def test_after_a_link_the_kept_registration_takes_new_results_and_corrections(
    ward: Services, laptop: Services, tmp_path: Path
) -> None:
    _synced_apart(ward, laptop)
    twice = _conflict(ward, ConflictKind.REGISTERED_TWICE)
    keep = max(twice.patient_ids)  # the later registration: lookups must not prefer the other
    ward.conflicts.link(twice.uid, keep, "one woman")
    kept = ward.patients.get(keep)
    assert ward.patients.find("N5005") == kept  # the closed registration is not found
    # her details can be corrected although a closed registration holds her MRN
    ward.patients.correct(keep, replace(kept.details, weight_kg=64.0), "weighed")
    lab = tmp_path / "lab.csv"
    lab.write_text(f"mrn,collected_at,platelets\n{kept.details.mrn},{NOW:%Y-%m-%dT%H:%M},18\n")
    ward.labs.save(lab, LabOptions(unit="10^9/L"))
    assert [c.record.value for c in _counts(ward, keep)][-1] == 18


def test_one_lab_file_saved_on_two_devices_is_one_conflict_per_woman_voided_at_once(
    ward: Services, laptop: Services, tmp_path: Path
) -> None:
    lab = tmp_path / "lab.csv"
    times = [NOW - timedelta(hours=h) for h in (30, 20, 10)]
    lab.write_text(
        "mrn,collected_at,platelets\n"
        + "".join(f"DEMO-02,{t:%Y-%m-%dT%H:%M},{40 + n}\n" for n, t in enumerate(times))
        + f"DEMO-03,{times[0]:%Y-%m-%dT%H:%M},77\n"
    )
    for side in (ward, laptop):
        side.labs.save(lab, LabOptions(unit="10^9/L"))
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 2  # one per woman, not one per count
    repeats = {c.mrn: c for c in ward.conflicts.open() if c.what is ConflictKind.ENTERED_TWICE}
    assert repeats["DEMO-02"].repeats == 3 and repeats["DEMO-03"].repeats == 1
    assert "3 platelet counts entered alike" in repeats["DEMO-02"].versions[0]
    pid = _mrn(ward, "DEMO-02")
    before = [c.record.value for c in _counts(ward, pid)]
    ward.conflicts.void_repeats(repeats["DEMO-02"].uid, "the same lab file on both")
    after = [c.record.value for c in _counts(ward, pid)]
    assert sorted(before) == sorted([*after, 40, 41, 42])  # one of each pair left
    assert repeats["DEMO-02"].uid not in {c.uid for c in ward.conflicts.open()}
    laptop.sync.sync(ward.db.location.url)
    assert [c.mrn for c in laptop.conflicts.open()] == ["DEMO-03"]
    assert held(laptop.db) == held(ward.db)
    # versions that differ are not voided at once: staff choose
    ward.records.record(pid, count(60, hours=2), confirmed=True)
    laptop.records.record(_mrn(laptop, "DEMO-02"), count(66, hours=2), confirmed=True)
    laptop.sync.sync(ward.db.location.url)
    (differ,) = [c for c in ward.conflicts.open() if c.mrn == "DEMO-02"]
    assert differ.repeats == 0
    with pytest.raises(InvalidEntry, match="versions differ"):
        ward.conflicts.void_repeats(differ.uid, "no")


def test_a_device_renamed_is_known_by_its_new_name_also_through_a_usb_stick(
    ward: Services, laptop: Services, tmp_path: Path
) -> None:
    laptop.device.rename("Clinic laptop 3")
    stick = tmp_path / "stick.sqlite"
    laptop.sync.sync(str(stick))  # at the clinic: the laptop onto the stick
    ward.sync.sync(str(stick))  # at the ward: the stick into the ward
    with ward.db.reading() as session:
        names = dict(session.execute(text("SELECT uid, name FROM devices")).all())
    assert names[laptop.device.this().uid] == "Clinic laptop 3"


def _rival_corrections(services: Services, patient_id: int) -> dict[str, Any]:
    """Her two corrections of one count made on two devices, by who entered each."""
    return {
        c.entered_by: c
        for c in _counts(services, patient_id)
        if c.supersedes_id is not None and c.record.collected_at == NOW
    }


def test_a_conflict_settled_differently_on_two_devices_is_a_conflict_again(
    ward: Services, laptop: Services
) -> None:
    ids = _synced_apart(ward, laptop)
    twice = _conflict(ward, ConflictKind.CORRECTED_TWICE)
    # each device, unknowing of the other, voids the other's correction
    on_ward = _rival_corrections(ward, ids["pid"])
    on_laptop = _rival_corrections(laptop, ids["lid"])
    ward.records.void(PlateletCount, on_ward["nurse.laptop"].id, "the ward's is right")
    laptop.records.void(PlateletCount, on_laptop[USER].id, "the laptop's is right")
    for side in (ward, laptop):
        assert twice.uid not in {c.uid for c in side.conflicts.open()}
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    for side in (ward, laptop):
        again = _conflict(side, ConflictKind.SETTLED_TWICE)
        assert len(again.versions) == 2
        assert any("nurse.laptop" in v for v in again.versions)
    assert held(laptop.db) == held(ward.db)


def test_a_conflict_whose_one_side_was_undone_unknowing_stays_open_for_staff(
    ward: Services, laptop: Services
) -> None:
    pid, lid = _mrn(ward, "DEMO-01"), _mrn(laptop, "DEMO-01")
    first = _counts(ward, pid)[0]
    mine = ward.records.correct(
        first.id, count(first.record.value + 1, hours=0), "x", confirmed=True
    )
    ward.records.void(PlateletCount, mine.id, "no count was taken then")  # nothing stands
    theirs = _counts(laptop, lid)[0]
    laptop.records.correct(theirs.id, count(theirs.record.value + 2, hours=0), "y", confirmed=True)
    outcome = laptop.sync.sync(ward.db.location.url)
    assert (outcome.new_conflicts, outcome.open_conflicts) == (1, 1)
    assert _conflict(ward, ConflictKind.CORRECTED_TWICE).versions  # what stands: the laptop's


def test_a_count_entered_on_a_registration_linked_away_meanwhile_is_shown_and_moved(
    ward: Services, laptop: Services
) -> None:
    _synced_apart(ward, laptop)
    twice = _conflict(ward, ConflictKind.REGISTERED_TWICE)
    kept = ward.patients.find("N5005")
    assert kept is not None
    ward.conflicts.link(twice.uid, kept.id, "one woman")
    # the laptop, not yet told, records her falling count on its own registration
    on_laptop = next(
        s.patient for s in laptop.patients.summaries() if s.patient.details.mrn == "n5005"
    )
    laptop.records.record(on_laptop.id, count(23, hours=0.5), confirmed=True)
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    stranded = _conflict(ward, ConflictKind.ON_LINKED)
    assert stranded.patient_id == kept.id  # shown on the woman on the board
    assert stranded.uid in {c.uid for c in laptop.conflicts.open()}
    ward.conflicts.link(stranded.uid, kept.id, "her count from the clinic")
    assert 23 in [c.record.value for c in _counts(ward, kept.id)]
    laptop.sync.sync(ward.db.location.url)
    assert not [c for c in laptop.conflicts.open() if c.what is ConflictKind.ON_LINKED]
    assert held(laptop.db) == held(ward.db)
    _both_sound(ward, laptop)


def test_two_devices_linking_her_registrations_each_into_the_other_leave_her_on_the_board(
    ward: Services, laptop: Services
) -> None:
    _synced_apart(ward, laptop)
    for side, mrn in ((ward, "N5005"), (laptop, "n5005")):  # each keeps the one it made
        kept = next(s.patient for s in side.patients.summaries() if s.patient.details.mrn == mrn)
        side.records.record(kept.id, count(41, hours=0.5 if side is ward else 0.7), confirmed=True)
        side.conflicts.link(_conflict(side, ConflictKind.REGISTERED_TWICE).uid, kept.id, "one")
    laptop.sync.sync(ward.db.location.url)
    assert held(laptop.db) == held(ward.db)
    for side in (ward, laptop):
        (shown,) = [
            s.patient for s in side.patients.summaries() if s.patient.details.mrn.upper() == "N5005"
        ]
        # on her: the two links, settled differently, and the records on the closed one
        kinds = {c.what for c in side.conflicts.open(shown.id)}
        assert kinds == {ConflictKind.SETTLED_TWICE, ConflictKind.ON_LINKED}
        assert side.conflicts.counts()[shown.id] == 2  # her badge on the board
    stranded = _conflict(ward, ConflictKind.ON_LINKED)
    ward.conflicts.link(stranded.uid, stranded.patient_id, "her records from the clinic")
    values = sorted(c.record.value for c in _counts(ward, stranded.patient_id))
    assert values.count(41) == 2 and values.count(88) == 1  # nothing lost, nothing twice
    laptop.sync.sync(ward.db.location.url)
    assert held(laptop.db) == held(ward.db)
    assert laptop.sync.sync(ward.db.location.url).new_conflicts == 0
    _both_sound(ward, laptop)


def test_a_second_delivery_from_another_device_can_be_voided_beside_the_newborns_counts(
    ward: Services, laptop: Services
) -> None:
    pid, lid = _mrn(ward, "DEMO-05"), _mrn(laptop, "DEMO-05")
    born = NOW - timedelta(hours=6)
    ward.records.record(pid, Delivery(born, "caesarean"), confirmed=True)
    ward.records.record(pid, NeonatalCount(born + timedelta(hours=1), 140), confirmed=True)
    laptop.records.record(lid, Delivery(born - timedelta(hours=1), "vaginal"), confirmed=True)
    laptop.sync.sync(ward.db.location.url)
    second = _conflict(ward, ConflictKind.SECOND_DELIVERY)
    both = _current_deliveries(ward, pid)
    theirs = next(d for d in both if d.entered_by == "nurse.laptop")
    ward.records.void(Delivery, theirs.id, "entered for the wrong woman")
    assert second.uid not in {c.uid for c in ward.conflicts.open()}
    # the one left still cannot go while her newborn's counts stand
    (mine,) = _current_deliveries(ward, pid)
    assert mine.entered_by == USER
    with pytest.raises(InvalidEntry, match="newborn counts"):
        ward.records.void(Delivery, mine.id, "no")


def _current_deliveries(services: Services, patient_id: int) -> list[Any]:
    with services.db.reading() as session:
        rows = session.execute(
            text(
                "SELECT id, entered_by FROM deliveries "
                "WHERE patient_id = :p AND status = 'current' ORDER BY id"
            ),
            {"p": patient_id},
        ).all()
    return list(rows)


def test_protocol_changes_made_apart_are_said_after_the_sync_for_staff_to_check(
    ward: Services, laptop: Services
) -> None:
    ward.protocol.change("critical_below", 28, "ward: local policy")
    laptop.protocol.change("treat_below", 25, "clinic: local policy")  # each in order alone
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.notices and "out of order" in outcome.notices[0]
    assert "Settings → Protocol" in outcome.notices[0]
    assert outcome.new_conflicts == 0  # two settings, each changed once: no conflict
    # staff put it back in order (until then, no other setting can be changed)
    ward.protocol.change("critical_below", 20, "back in order after the clinic's change")
    assert not ward.sync.sync(str(laptop.db.location.path)).notices


def _setting_conflicts(services: Services) -> list[Any]:
    return [c for c in services.conflicts.open() if c.what is ConflictKind.SETTING_TWICE]


def test_one_setting_changed_on_two_devices_is_a_conflict_a_later_change_settles_any_clock(
    ward: Services, laptop: Services, laptop_path: Path
) -> None:
    ward.protocol.change("delivery_min", 55, "ward: local policy")
    laptop.protocol.change("delivery_min", 60, "clinic: local policy")
    outcome = ward.sync.sync(str(laptop_path))
    assert outcome.new_conflicts == 1
    for side in (ward, laptop):
        (conflict,) = _setting_conflicts(side)
        assert (conflict.patient_id, conflict.mrn, conflict.setting) == (None, "", "delivery_min")
        assert "Protocol: protocol setting" in conflict.describe()
        assert len(conflict.versions) == 2
        assert sum("(in force)" in v for v in conflict.versions) == 1
        assert any("55" in v and "ward: local policy" in v for v in conflict.versions)
    # both show one value meanwhile, the same on both
    in_force = {s.protocol.in_force().values.delivery_min for s in (ward, laptop)}
    assert len(in_force) == 1
    # the laptop's clock runs five hours behind the ward's: its change, made after it saw
    # the ward's, still replaces both, on both, once synced
    late = laptop_at(laptop_path, clock=lambda: NOW - timedelta(hours=5))
    try:
        late.protocol.change("delivery_min", 50, "agreed with the ward after the sync")
        assert _setting_conflicts(late) == []
        again = late.sync.sync(ward.db.location.url)
        assert (again.new_conflicts, again.open_conflicts) == (0, 0)
        assert late.protocol.in_force().values.delivery_min == 50
        assert ward.protocol.in_force().values.delivery_min == 50
        assert _setting_conflicts(ward) == []
        assert ward.sync.sync(str(laptop_path)).new_conflicts == 0
    finally:
        late.db.dispose()


def test_a_setting_conflict_kept_keeps_the_value_in_force_on_both(
    ward: Services, laptop: Services, laptop_path: Path
) -> None:
    ward.protocol.change("delivery_min", 55, "ward: local policy")
    laptop.protocol.change("delivery_min", 60, "clinic: local policy")
    laptop.sync.sync(ward.db.location.url)
    shown = ward.protocol.in_force().values.delivery_min
    (conflict,) = _setting_conflicts(ward)
    ward.conflicts.keep(conflict.uid, "checked with the unit lead")
    assert _setting_conflicts(ward) == []
    assert ward.protocol.in_force().values.delivery_min == shown
    (kept,) = (s for s in ward.protocol.settings() if s.key == "delivery_min")
    assert "checked with the unit lead" in (kept.reason or "")
    ward.sync.sync(str(laptop_path))
    assert _setting_conflicts(laptop) == []
    assert laptop.protocol.in_force().values.delivery_min == shown
    # kept on both devices apart: two changes again, so a conflict again
    ward.protocol.change("delivery_min", 65, "ward")
    laptop.protocol.change("delivery_min", 45, "clinic")
    laptop.sync.sync(ward.db.location.url)
    (again,) = _setting_conflicts(laptop)
    ward.conflicts.keep(_setting_conflicts(ward)[0].uid, "ward's value")
    laptop.conflicts.keep(again.uid, "clinic's value")
    outcome = laptop.sync.sync(ward.db.location.url)
    assert outcome.new_conflicts == 1
    assert len(_setting_conflicts(ward)) == 1
    assert not [c for c in ward.conflicts.open() if c.what is ConflictKind.SETTLED_TWICE]


def test_a_registration_closed_meanwhile_cannot_be_the_one_kept(
    ward: Services, laptop: Services
) -> None:
    _synced_apart(ward, laptop)
    twice = _conflict(laptop, ConflictKind.REGISTERED_TWICE)
    closed, kept = twice.patient_ids
    with laptop.db.writing() as session:  # as a link from another device leaves it
        session.execute(
            text(
                "UPDATE patients SET archived = :a, "
                "linked_into = (SELECT uid FROM patients WHERE id = :k) WHERE id = :c"
            ),
            {"a": True, "k": kept, "c": closed},
        )
    with pytest.raises(InvalidEntry, match="was closed, linked into another registration"):
        laptop.conflicts.link(twice.uid, closed, "keep this one")
