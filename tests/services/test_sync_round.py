"""The three-device round of issue 10: the ward on its PostgreSQL server, clinic laptop A
on the ward's network, and laptop B that never reaches it, carried by a file on a USB
stick. Each does its work apart; after the round every device holds the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from helpers import NOW, count
from holdings import held

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.domain.vocab import ConflictKind
from itp_monitor.services.container import Services, build_services
from itp_monitor.storage.database import Database, resolve_location

pytestmark = pytest.mark.postgresql


def _open(where: str, user: str) -> Services:
    return build_services(Database(resolve_location(where)), user, lambda: NOW)


@pytest.fixture
def devices(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Services]]:
    ward = _open(pg_url, "nurse.ward")
    ward.demo.load()
    ward.sync.sync(str(tmp_path / "a.sqlite"))
    ward.sync.sync(str(tmp_path / "usb.sqlite"))
    usb = _open(str(tmp_path / "usb.sqlite"), "nobody")
    usb.sync.sync(str(tmp_path / "b.sqlite"))
    found = {
        "ward": ward,
        "a": _open(str(tmp_path / "a.sqlite"), "nurse.a"),
        "b": _open(str(tmp_path / "b.sqlite"), "nurse.b"),
        "usb": usb,
    }
    yield found
    for services in found.values():
        services.db.dispose()


def _id(services: Services, mrn: str) -> int:
    found = services.patients.find(mrn)
    assert found is not None
    return found.id


def test_a_ward_on_postgresql_and_two_laptops_one_by_usb_end_with_every_device_equal(
    devices: dict[str, Services],
) -> None:
    ward, a, b, usb = devices["ward"], devices["a"], devices["b"], devices["usb"]
    # apart: each device works on its own
    ward.records.record(_id(ward, "DEMO-01"), count(33, hours=1), confirmed=True)
    a.records.record(_id(a, "DEMO-02"), count(58, hours=2), confirmed=True)
    late = b.patients.add(PatientDetails("B7007", "Zhao Li", date(2027, 3, 1)))
    b.records.record(late.id, count(27, hours=3), confirmed=True)
    shared = b.patients.records(_id(b, "DEMO-03")).counts[-1]
    b.records.void(PlateletCount, shared.id, "laptop B: entered for the wrong woman")
    on_a = a.patients.records(_id(a, "DEMO-03")).counts[-1]
    a.records.correct(
        on_a.id, count(on_a.record.value + 3, hours=0.25), "A: misread", confirmed=True
    )

    # the round: A on the network, B by the stick, then back out again
    a.sync.sync(ward.db.location.url)
    b.sync.sync(str(usb.db.location.path))
    usb.sync.sync(ward.db.location.url)
    b.sync.sync(str(usb.db.location.path))
    a.sync.sync(ward.db.location.url)

    everyone = {name: held(services.db) for name, services in devices.items()}
    assert everyone["a"] == everyone["ward"]
    assert everyone["b"] == everyone["ward"]
    assert everyone["usb"] == everyone["ward"]
    # A corrected what B voided: one conflict, the same on every device
    for services in (ward, a, b):
        assert [c.what for c in services.conflicts.open()] == [ConflictKind.CORRECTED_AND_VOIDED]
    # each device's records keep the device that made them
    assert b.patients.find("B7007") is not None and ward.patients.find("B7007") is not None
