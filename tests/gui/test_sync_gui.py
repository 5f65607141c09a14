"""File → Synchronise… and the conflicts, as the ward's staff meet them: a clinic laptop's
file synchronised from the menu, the summary read, the board showing what arrived and a
badge on the woman in conflict, the Conflicts view settling it; a sync that cannot run
says what and where, and changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from gui_driver import answering, board_cells, board_row, enter, open_window, press, type_into
from helpers import NOW, audit_total, count
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.dialogs.conflicts import ConflictsDialog
from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.dialogs.protocol_settings import ProtocolSettingsDialog
from itp_monitor.gui.dialogs.sync import LOCATION_KEY, SyncDialog, without_password
from itp_monitor.gui.forms.reason import ReasonDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.palette import CONFLICT
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.lab_import import LabOptions
from itp_monitor.storage.database import Database, resolve_location

LAPTOP_USER = "nurse.laptop"


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


@pytest.fixture
def laptop_path(ward: Services, tmp_path: Path) -> Path:
    """A clinic laptop's file, made by a sync of the whole ward (as a USB stick's would be)."""
    path = tmp_path / "usb" / "laptop.sqlite"
    ward.sync.sync(str(path))
    return path


@pytest.fixture
def laptop(laptop_path: Path) -> Iterator[Services]:
    services = build_services(
        Database(resolve_location(str(laptop_path))), LAPTOP_USER, lambda: NOW
    )
    services.device.rename("Clinic laptop 2")
    yield services
    services.db.dispose()


def _id(services: Services, mrn: str) -> int:
    found = services.patients.find(mrn)
    assert found is not None
    return found.id


def newest_count(services: Services, mrn: str) -> tuple[int, PlateletCount]:
    stored = services.patients.records(_id(services, mrn)).counts[-1]
    return stored.id, stored.record


@pytest.fixture
def apart(ward: Services, laptop: Services) -> None:
    """Apart for a while: the laptop takes a count of DEMO-02's; both correct DEMO-01's
    newest count, each differently; both register one woman (N5005)."""
    laptop.records.record(_id(laptop, "DEMO-02"), count(52, hours=0.5), confirmed=True)
    for side, value in ((ward, 31.0), (laptop, 13.0)):
        stored_id, record = newest_count(side, "DEMO-01")
        side.records.correct(
            stored_id, PlateletCount(record.collected_at, value, record.source), "misread"
        )
    for side, mrn in ((ward, "N5005"), (laptop, "n5005")):
        side.patients.add(PatientDetails(mrn, "Lin Mei", date(2027, 2, 1)))


@pytest.fixture
def synced(ward: Services, laptop: Services, apart: None) -> None:
    """The two synchronised after they were apart, before the app opens."""
    laptop.sync.sync(str(ward.db.location.path))


@pytest.fixture
def window(qtbot: QtBot, ward: Services, tmp_path: Path) -> MainWindow:
    return open_window(qtbot, ward, str(tmp_path / "settings.ini"))


def action(window: MainWindow, path: str) -> object:
    return next(a for where, a in menu_actions(window) if where == path)


def flags_cell(window: MainWindow, mrn: str) -> QModelIndex:
    """Her Flags cell on the board, found afresh (an index outlives no change of the board)."""
    proxy = window.board.proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 1).data() == mrn)
    return proxy.index(row, 0)


def summary_of(dialog: QDialog) -> str:
    label = dialog.findChild(QLabel, "summary")
    assert label is not None and label.isVisible(), "the dialog says nothing"
    return label.text()


def sync_from_the_menu(qtbot: QtBot, window: MainWindow, location: str) -> tuple[str, str]:
    """Ctrl+Shift+Y, the location typed, Enter; returns (what was offered, what it said)."""
    seen: list[str] = []

    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, SyncDialog)
        field = dialog.findChild(QLineEdit, "location")
        assert field is not None
        seen.append(field.text())
        type_into(qtbot, dialog, "location", location)
        enter(qtbot, dialog)
        seen.append(summary_of(dialog))
        dialog.reject()

    with answering(fill):
        press(qtbot, window.board.table, "Ctrl+Shift+Y")
    assert len(seen) == 2, "the Synchronise dialog did not open"
    return seen[0], seen[1]


@pytest.mark.usefixtures("apart")
def test_a_laptop_file_chosen_from_the_menu_arrives_with_its_conflict_on_the_board(
    qtbot: QtBot, window: MainWindow, laptop_path: Path
) -> None:
    assert board_row(window, "DEMO-02")["Latest ×10⁹/L"] != "52"
    said: list[str] = []

    def choose_the_file(dialog: QDialog) -> None:
        assert isinstance(dialog, SyncDialog)

        def pick(files: QDialog) -> None:
            assert isinstance(files, QFileDialog)
            name = files.findChild(QLineEdit, "fileNameEdit")  # where a person types a name
            assert isinstance(name, QLineEdit)
            name.setText(str(laptop_path))
            files.accept()

        with answering(pick):
            dialog.choose.click()
        assert dialog.location.text() == str(laptop_path)
        dialog.go.click()
        said.append(summary_of(dialog))
        assert dialog.show_conflicts.isVisible()
        dialog.close_button.click()

    with answering(choose_the_file):
        action(window, "File → Synchronise…").trigger()  # type: ignore[attr-defined]
    assert said == [
        f"Synchronised with Clinic laptop 2 ({laptop_path}).\n"
        "Sent 2 records, received 3 records.\n"
        "New: 2 conflicts for staff to settle.\n"
        "Open: 2 conflicts, each marked on the ward board; settle them in View → Conflicts…"
    ]
    assert window.statusBar().currentMessage().startswith("Synchronised with Clinic laptop 2")
    # what arrived is on the board at once, and each woman in conflict has her badge
    assert board_row(window, "DEMO-02")["Latest ×10⁹/L"] == "52"
    assert board_row(window, "DEMO-01")["Flags"].startswith("conflict: settle it;")
    assert board_row(window, "N5005")["Flags"].startswith("conflict: settle it")
    assert not board_row(window, "DEMO-02")["Flags"].startswith("conflict")
    assert board_row(window, "n5005")["Flags"].startswith("conflict: settle it")  # both
    assert "3 with a conflict between devices to settle" in window.board.summary.text()
    # the board draws the badge, and its tooltip says what to do
    assert "View → Conflicts…" in flags_cell(window, "DEMO-01").data(Qt.ItemDataRole.ToolTipRole)
    table = window.board.table
    cell = table.visualRect(flags_cell(window, "DEMO-01"))
    picture = table.viewport().grab().toImage()
    purple = QColor(CONFLICT[0]).rgb()
    painted = sum(
        picture.pixel(x, y) == purple
        for x in range(cell.left(), cell.right())
        for y in range(cell.top(), cell.bottom())
    )
    assert painted > 100  # her row has the conflict's pill, in its own colour
    # offered first next time, from this computer's settings, not the database
    offered, again = sync_from_the_menu(qtbot, window, str(laptop_path))
    assert offered == str(laptop_path)
    assert "Sent 0 records, received 0 records." in again and "Open: 2 conflicts" in again


def test_the_last_location_is_this_computers_and_never_with_a_password(
    qtbot: QtBot, window: MainWindow, laptop_path: Path, tmp_path: Path
) -> None:
    sync_from_the_menu(qtbot, window, str(laptop_path))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value(LOCATION_KEY) == str(laptop_path)
    assert (
        without_password("postgresql+psycopg://nurse:s3cret@ward-server:5432/itp")
        == "postgresql+psycopg://nurse@ward-server:5432/itp"
    )
    assert without_password("/media/usb/a:b@c.sqlite") == "/media/usb/a:b@c.sqlite"


def settle_with_keep(qtbot: QtBot, view: ConflictsDialog, row: int, reason: str) -> list[str]:
    """Keep as it is… on the row, the reason typed; returns the question asked."""
    asked: list[str] = []
    view.table.selectRow(row)

    def give_reason(dialog: QDialog) -> None:
        assert isinstance(dialog, ReasonDialog)
        asked.append(dialog.question.text())
        type_into(qtbot, dialog, "reason", reason)
        enter(qtbot, dialog)

    with answering(give_reason):
        view.keep_button.click()
    return asked


def rows_of(view: ConflictsDialog) -> list[tuple[str, str]]:
    return [
        (view.table.item(r, 0).text(), view.table.item(r, 2).text())
        for r in range(view.table.rowCount())
    ]


@pytest.mark.usefixtures("synced")
def test_keep_from_the_conflicts_view_settles_it_and_her_badge_goes(
    qtbot: QtBot, ward: Services, window: MainWindow
) -> None:
    assert board_row(window, "DEMO-01")["Flags"].startswith("conflict: settle it;")
    seen: dict[str, object] = {}

    def keep(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        seen["rows"] = rows_of(view)
        versions = view.table.item(0, 4).text()
        seen["versions"] = versions
        seen["asked"] = settle_with_keep(qtbot, view, 0, "both counts rechecked with the lab")
        seen["after"] = rows_of(view)
        seen["count"] = view.count.text()
        view.reject()

    with answering(keep):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert seen["rows"] == [
        ("DEMO-01", "Platelet count corrected on two devices"),
        ("N5005", "Registered on two devices"),
    ]
    assert "entered by nurse.test" in str(seen["versions"])
    assert "entered by nurse.laptop" in str(seen["versions"])
    assert "DEMO-01" in str(seen["asked"]) and "What stands" in str(seen["asked"])
    assert seen["after"] == [("N5005", "Registered on two devices")]
    assert "1 conflict to settle" in str(seen["count"])
    assert not board_row(window, "DEMO-01")["Flags"].startswith("conflict")
    assert board_row(window, "N5005")["Flags"].startswith("conflict")
    assert [c.mrn for c in ward.conflicts.open()] == ["N5005"]


@pytest.mark.usefixtures("synced")
def test_a_conflict_settled_elsewhere_meanwhile_is_refused_in_words(
    qtbot: QtBot, ward: Services, window: MainWindow
) -> None:
    said: list[str] = []

    def keep_too_late(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        view.table.selectRow(0)
        ward.conflicts.keep(view.conflicts[0].uid, "settled at the other workstation")

        def give_reason(dialog: QDialog) -> None:
            assert isinstance(dialog, ReasonDialog)
            type_into(qtbot, dialog, "reason", "both counts rechecked")
            enter(qtbot, dialog)
            said.append(dialog.status.text())
            dialog.reject()

        with answering(give_reason):
            view.keep_button.click()
        said.append(view.count.text())
        view.reject()

    with answering(keep_too_late):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert said == [
        "Not done: conflict: was already settled, here or on another device",
        "<b>1 conflict to settle</b>",
    ]


@pytest.mark.usefixtures("synced")
def test_open_her_records_then_an_ordinary_void_closes_the_conflict(
    qtbot: QtBot, ward: Services, window: MainWindow
) -> None:

    def open_hers(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        view.table.selectRow(0)
        view.open_button.click()

    with answering(open_hers):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert window.showing_patient() and window.workspace is not None
    assert window.workspace.records is not None
    assert window.workspace.records.patient.mrn == "DEMO-01"
    tab = window.workspace.record_tabs[PlateletCount]
    values = [tab.proxy.index(r, 1).data() for r in range(tab.proxy.rowCount())]
    tab.select_row(values.index("13"))  # the laptop's reading: the wrong one

    def give_reason(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "reason", "the ward's reading is right")
        enter(qtbot, dialog)

    with answering(give_reason):
        tab.void.click()
    assert "DEMO-01" not in {c.mrn for c in ward.conflicts.open()}
    window.show_board()
    assert not board_row(window, "DEMO-01")["Flags"].startswith("conflict")


@pytest.mark.usefixtures("synced")
def test_two_registrations_are_linked_from_the_view(
    qtbot: QtBot, ward: Services, window: MainWindow
) -> None:
    assert [m for m in board_cells(window, "MRN") if m.upper() == "N5005"] == ["N5005", "n5005"]
    offered: list[list[str]] = []

    def link(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        view.table.selectRow(1)
        assert view.link_button.isEnabled()

        def which(dialog: QDialog) -> None:
            assert isinstance(dialog, QInputDialog)
            offered.append(dialog.comboBoxItems())
            dialog.setTextValue(next(i for i in dialog.comboBoxItems() if i.startswith("N5005")))
            dialog.accept()

        def give_reason(dialog: QDialog) -> None:
            type_into(qtbot, dialog, "reason", "one woman registered at the clinic and the ward")
            enter(qtbot, dialog)

        with answering(which, of=QInputDialog), answering(give_reason, of=ReasonDialog):
            view.link_button.click()
        assert rows_of(view) == [("DEMO-01", "Platelet count corrected on two devices")]
        view.reject()

    with answering(link):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert sorted(offered[0]) == [
        "N5005 Lin Mei, EDD 01 Feb 2027, 0 counts",
        "n5005 Lin Mei, EDD 01 Feb 2027, 0 counts",
    ]
    assert [m for m in board_cells(window, "MRN") if m.upper() == "N5005"] == ["N5005"]
    assert not board_row(window, "N5005")["Flags"].startswith("conflict")


@pytest.mark.usefixtures("synced")
def test_read_only_the_conflicts_can_be_read_and_her_records_opened_not_settled(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    path = ward.db.location.path
    assert path is not None
    reading = build_services(Database(resolve_location(str(path)).reading_only()), "nurse.test")
    window = open_window(qtbot, reading, str(tmp_path / "read-only.ini"))
    assert board_row(window, "DEMO-01")["Flags"].startswith("conflict: settle it;")
    seen: dict[str, object] = {}

    def look(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        seen["rows"] = len(rows_of(view))
        seen["enabled"] = [
            (b.isEnabled(), b.toolTip())
            for b in (view.keep_button, view.link_button, view.open_button)
        ]
        view.reject()

    with answering(look):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    note = window.read_only_note
    assert seen == {"rows": 2, "enabled": [(False, note), (False, note), (True, "")]}
    window.close()
    reading.db.dispose()


def test_a_database_newer_than_the_app_is_refused_in_words_and_nothing_changes(
    qtbot: QtBot, ward: Services, window: MainWindow, tmp_path: Path
) -> None:
    newer = tmp_path / "newer.sqlite"
    ward.sync.sync(str(newer))
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_x'")
    connection.close()
    before = audit_total(ward.db), newer.read_bytes(), window.board.visible_mrns()
    _, said = sync_from_the_menu(qtbot, window, str(newer))
    assert said.startswith(f"Not synchronised: {newer} was written by a newer version")
    assert said.endswith("Use the newer version of the app.\nNothing was changed on either side.")
    assert (audit_total(ward.db), newer.read_bytes(), window.board.visible_mrns()) == before
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value(LOCATION_KEY) is None  # a location that failed is not offered again


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("", "Say where the other database is: a file, or an address."),
        (
            "nonsense://ward",
            "Not synchronised: The location is neither a file nor a database address",
        ),
        (
            "postgresql+psycopg://nurse:s3cret@127.0.0.1:1/itp",
            "Not synchronised: Cannot use postgresql+psycopg://nurse:***@127.0.0.1:1/itp:",
        ),
    ],
)
def test_a_location_that_cannot_be_used_says_what_and_where(
    qtbot: QtBot, ward: Services, window: MainWindow, location: str, words: str
) -> None:
    before = audit_total(ward.db)
    _, said = sync_from_the_menu(qtbot, window, location)
    assert said.startswith(words)
    assert "s3cret" not in said and "Traceback" not in said
    if location:
        assert said.endswith("Nothing was changed on either side.")
    assert audit_total(ward.db) == before


def test_the_same_database_is_refused(qtbot: QtBot, ward: Services, window: MainWindow) -> None:
    _, said = sync_from_the_menu(qtbot, window, str(ward.db.location.path))
    assert said == (
        f"Not synchronised: {ward.db.location.path} is this database itself.\n"
        "Nothing was changed on either side."
    )


def test_a_setting_changed_on_two_devices_is_shown_in_the_protocol_and_kept_from_the_view(
    qtbot: QtBot, ward: Services, laptop: Services, window: MainWindow
) -> None:
    ward.protocol.change("delivery_min", 55, "ward: local policy")
    laptop.protocol.change("delivery_min", 60, "clinic: local policy")
    laptop.sync.sync(str(ward.db.location.path))
    seen: dict[str, object] = {}

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, ProtocolSettingsDialog)
        seen["changed"] = dialog.shown("delivery_min")[-1]
        dialog.reject()

    with answering(look):
        press(qtbot, window.board.table, "Ctrl+,")
    assert "changed on two devices apart (View → Conflicts)" in str(seen["changed"])

    def keep(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        seen["rows"] = rows_of(view)
        view.table.selectRow(0)
        seen["can open"] = view.open_button.isEnabled()  # no woman's records to open
        seen["stands"] = view.table.item(0, 4).text()
        seen["asked"] = settle_with_keep(qtbot, view, 0, "agreed with the unit lead")
        seen["after"] = rows_of(view)
        view.reject()

    with answering(keep):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert seen["rows"] == [
        ("Protocol", "Protocol setting 'delivery cutoff' changed on two devices")
    ]
    assert seen["can open"] is False
    assert "(in force)" in str(seen["stands"]) and "clinic: local policy" in str(seen["stands"])
    assert "Settings → Protocol" in str(seen["asked"])
    assert seen["after"] == []
    with answering(look):
        press(qtbot, window.board.table, "Ctrl+,")
    assert "two devices" not in str(seen["changed"])
    assert "agreed with the unit lead" in str(seen["changed"])


def test_a_lab_file_saved_on_two_devices_is_voided_once_from_the_view(
    qtbot: QtBot, ward: Services, laptop: Services, window: MainWindow, tmp_path: Path
) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text(
        "mrn,collected_at,platelets\n"
        + "".join(f"DEMO-02,{NOW:%Y-%m-%d}T0{h}:00,{40 + h}\n" for h in range(1, 5))
    )
    for side in (ward, laptop):
        side.labs.save(lab, LabOptions(unit="10^9/L"))
    laptop.sync.sync(str(ward.db.location.path))
    before = audit_total(ward.db)
    seen: dict[str, object] = {}

    def void_them(view: QDialog) -> None:
        assert isinstance(view, ConflictsDialog)
        seen["rows"] = rows_of(view)
        view.table.selectRow(0)
        seen["enabled"] = view.repeats_button.isEnabled()

        def give_reason(dialog: QDialog) -> None:
            assert isinstance(dialog, ReasonDialog)
            seen["asked"] = dialog.question.text()
            type_into(qtbot, dialog, "reason", "the same lab file on both")
            enter(qtbot, dialog)

        with answering(give_reason):
            view.repeats_button.click()
        seen["after"] = rows_of(view)
        view.reject()

    with answering(void_them):
        action(window, "View → Conflicts…").trigger()  # type: ignore[attr-defined]
    assert seen["rows"] == [("DEMO-02", "Platelet count entered on two devices")]
    assert seen["enabled"] is True
    assert "4 platelet counts entered alike" in str(seen["asked"])
    assert "Void 4 repeats?" in str(seen["asked"])
    assert seen["after"] == []
    assert audit_total(ward.db) == before + 4  # each void audited
    assert not board_row(window, "DEMO-02")["Flags"].startswith("conflict")
