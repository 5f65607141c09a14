"""Backups and restore in the app, as the ward's staff meet them: Settings → Backups… with
a USB disk chosen as the second folder and Back up now; an unplugged disk said, the first
backup taken all the same; a backup on closing after a save and none when nothing
changed; the 30-minute timer; File → Restore from backup… listing what each backup
holds, asking once more, then showing the restored ward; a damaged backup refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from gui_driver import answering, board_cells, open_window, trigger
from helpers import NOW
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QLineEdit, QMessageBox, QTableWidget
from pytestqt.qtbot import QtBot
from services.test_restore import RESTORE_ROWS, change_everything, rows

from itp_monitor.gui.backup_schedule import BACKUP_EVERY_MS
from itp_monitor.gui.dialogs.backups import BackupsDialog
from itp_monitor.gui.dialogs.restore import RestoreDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services

TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        names = [n for (n,) in connection.execute(TABLES)]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def text_of(dialog: QDialog, name: str) -> str:
    widget = dialog.findChild(QLabel, name) or dialog.findChild(QLineEdit, name)
    assert widget is not None, f"no {name} in the dialog"
    return widget.text()


def table_rows(dialog: QDialog) -> list[list[str]]:
    table = dialog.findChild(QTableWidget, "backups")
    assert table is not None
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def choose_folder(qtbot: QtBot, dialog: BackupsDialog, folder: Path) -> None:
    """Choose… in the dialog, the folder's path typed into the folder picker, Choose."""

    def pick(files: QDialog) -> None:
        assert isinstance(files, QFileDialog)
        name = files.findChild(QLineEdit, "fileNameEdit")  # where a person types a path
        assert isinstance(name, QLineEdit)
        name.setText(str(folder))
        files.accept()

    with answering(pick, of=QFileDialog):
        dialog.choose.click()


def backed_up(qtbot: QtBot, dialog: BackupsDialog) -> str:
    """Back up now, then what the dialog says once it is done."""
    dialog.now.click()
    assert not dialog.now.isEnabled()  # one at a time
    qtbot.waitUntil(lambda: not dialog.schedule.running and dialog.now.isEnabled(), timeout=10_000)
    return text_of(dialog, "said")


def test_a_usb_disk_chosen_in_settings_gets_its_own_verified_backup(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "media" / "USB-DISK"
    usb.mkdir(parents=True)
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    seen: dict[str, object] = {}

    def use(dialog: QDialog) -> None:
        assert isinstance(dialog, BackupsDialog)
        seen["folder"] = text_of(dialog, "folder")
        seen["last before"] = text_of(dialog, "last_backup")
        choose_folder(qtbot, dialog, usb)
        seen["second"] = text_of(dialog, "second_folder")
        seen["said"] = backed_up(qtbot, dialog)
        seen["rows"] = table_rows(dialog)
        seen["last"] = text_of(dialog, "last_backup")
        dialog.reject()

    with answering(use):
        trigger(window, "Settings → Backups…")
    assert seen["folder"] == str(db_path.parent / "backups")
    assert seen["last before"] == "None yet"
    assert seen["second"] == str(usb)
    first, second = sorted((db_path.parent / "backups").iterdir()) + sorted(usb.iterdir())
    assert str(seen["said"]).startswith("Backed up at ")
    assert str(seen["said"]).endswith(f" to {first.parent} and {usb}.")
    assert [row[2] for row in seen["rows"]] in (  # type: ignore[attr-defined]
        [str(first.parent), str(usb)],
        [str(usb), str(first.parent)],
    )
    assert str(seen["last"]).endswith((f"in {usb}", f"in {first.parent}"))
    for taken in (first, second):
        assert counts(taken) == counts(db_path)
    assert window.statusBar().currentMessage().startswith("Backed up at ")
    assert ward.backups.second_folder() == usb  # kept in the database, for the command line


def test_an_unplugged_usb_disk_is_said_and_the_first_backup_taken_all_the_same(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    usb = tmp_path / "media" / "USB-DISK"
    usb.mkdir(parents=True)
    ward.backups.set_second_folder(usb)
    usb.rmdir()  # unplugged
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    said: list[str] = []

    def back_up(dialog: QDialog) -> None:
        assert isinstance(dialog, BackupsDialog)
        said.append(backed_up(qtbot, dialog))
        dialog.reject()

    with answering(back_up):
        trigger(window, "Settings → Backups…")
    (taken,) = (db_path.parent / "backups").iterdir()
    assert counts(taken) == counts(db_path)
    problem = (
        f"cannot write a backup to {usb}: the folder is not there "
        "(a USB disk unplugged, a network share not connected?)"
    )
    assert said == [f"{said[0].splitlines()[0]}\n{problem}"]
    assert said[0].startswith("Backed up at ") and said[0].splitlines()[0].endswith(
        f" to {taken.parent}."
    )
    label = window.findChild(QLabel, "backup_problem")
    assert isinstance(label, QLabel) and label.isVisible()
    assert label.text() == f"<b>Backup:</b> {problem}"


def test_closing_after_a_save_takes_a_backup_before_the_window_goes(
    qtbot: QtBot, services: Services, db_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, services, str(tmp_path / "s.ini"), backup_every_ms=BACKUP_EVERY_MS)
    trigger(window, "File → Load the demonstration ward")  # a save, as any other
    assert "DEMO-01" in board_cells(window, "MRN")
    window.close()
    assert window.statusBar().currentMessage() == "Taking a backup before closing…"
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    (taken,) = (db_path.parent / "backups").iterdir()
    assert counts(taken) == counts(db_path)
    assert counts(taken)["patients"] == 13


def test_closing_with_nothing_changed_takes_none(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, ward, str(tmp_path / "s.ini"), backup_every_ms=BACKUP_EVERY_MS)
    assert window.backup_schedule.timer.interval() == BACKUP_EVERY_MS == 30 * 60 * 1000
    assert window.backup_schedule.timer.isActive()
    window.close()
    assert not window.isVisible()  # at once: nothing to wait for
    assert not (db_path.parent / "backups").exists()


def test_while_something_changed_a_backup_is_taken_when_the_timer_comes_round(
    qtbot: QtBot, services: Services, db_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, services, str(tmp_path / "s.ini"), backup_every_ms=300)
    folder = db_path.parent / "backups"
    qtbot.wait(900)  # three rounds with nothing changed: no backup
    assert not folder.exists()
    trigger(window, "File → Load the demonstration ward")
    qtbot.waitUntil(lambda: folder.exists() and len(list(folder.iterdir())) == 1, timeout=5000)
    qtbot.waitUntil(lambda: not window.backup_schedule.running)
    assert window.statusBar().currentMessage().startswith("Backed up at ")
    qtbot.wait(900)  # nothing changed since: no more
    assert len(list(folder.iterdir())) == 1
    (taken,) = folder.iterdir()
    assert counts(taken) == counts(db_path)


def test_a_read_only_database_is_not_backed_up_by_the_app(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    from itp_monitor.services.container import build_services
    from itp_monitor.storage.database import Database, resolve_location

    reading = build_services(Database(resolve_location(str(db_path)).reading_only()), "n.t")
    window = MainWindow(
        reading, QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat), backup_every_ms=300
    )
    qtbot.addWidget(window)
    assert not window.backup_schedule.timer.isActive()
    assert not window.backup_schedule.start()
    window.close()
    assert not window.isVisible() and not (db_path.parent / "backups").exists()
    reading.db.dispose()


def _restore_from_the_menu(
    qtbot: QtBot, window: MainWindow, pick: str, *, confirm: bool = True
) -> dict[str, object]:
    """File → Restore from backup…, the row whose file is named `pick` chosen, Restore…,
    and (if `confirm`) Restore in the question asked; returns what was seen."""
    seen: dict[str, object] = {}

    def choose(dialog: QDialog) -> None:
        assert isinstance(dialog, RestoreDialog)
        seen["rows"] = table_rows(dialog)
        row = next(i for i, b in enumerate(dialog.found) if b.path.name == pick)
        dialog.table.selectRow(row)
        seen["enabled"] = dialog.go.isEnabled()

        def answer(box: QDialog) -> None:
            assert isinstance(box, QMessageBox)
            seen["asked"] = f"{box.text()}\n{box.informativeText()}"
            wanted = "Restore" if confirm else "Cancel"
            next(b for b in box.buttons() if b.text().replace("&", "") == wanted).click()

        with answering(answer, of=QMessageBox):
            dialog.go.click()
        seen["said"] = text_of(dialog, "said")
        if dialog.isVisible():
            dialog.reject()

    with answering(choose, of=RestoreDialog):
        trigger(window, "File → Restore from backup…")
    return seen


def test_a_backup_restored_from_the_menu_brings_the_ward_back_as_it_was(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    change_everything(ward, tmp_path)  # DEMO-01 archived, counts corrected and voided, …
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    assert "DEMO-01" not in board_cells(window, "MRN")
    before = rows(db_path)

    seen = _restore_from_the_menu(qtbot, window, backup.name)
    assert seen["rows"] == [
        [
            f"{NOW:%d %b %Y %H:%M}",
            seen["rows"][0][1],
            "13",
            "206",  # type: ignore[index]
            str(backup.parent),
        ]
    ]
    assert seen["enabled"] is True
    assert str(seen["asked"]).startswith(
        f"Restore the backup taken {NOW:%d %b %Y %H:%M} (13 women, 206 records)?\n"
        "Everything saved after it was taken will no longer be in the database."
    )
    message = window.statusBar().currentMessage()
    assert message.startswith(f"Restored the backup taken {NOW:%d %b %Y %H:%M}; ")
    set_aside = Path(message.split("the database as it was is kept at ")[1])
    # the window shows the restored ward: DEMO-01 back on the board
    assert "DEMO-01" in board_cells(window, "MRN")
    now, held = rows(db_path), rows(backup)
    for table in held:
        added = RESTORE_ROWS.get(table, 0)
        assert now[table][: len(now[table]) - added] == held[table], table
    assert rows(set_aside) == before  # kept whole, beside it
    assert ward.check.full().ok
    # and saving goes on in the restored database, watched as before
    trigger(window, "View → Refresh")
    assert ward.device.this().name != "Ward workstation 2"


def _damaged_at_the_end(backup: Path, name: str) -> Path:
    """A copy with its last page overwritten: it still lists, but fails SQLite's check."""
    broken = backup.with_name(name)
    data = bytearray(backup.read_bytes())
    data[-4096:] = b"\xa5" * 4096
    broken.write_bytes(bytes(data))
    return broken


def test_a_damaged_backup_is_refused_from_the_menu_and_nothing_changes(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    broken = _damaged_at_the_end(backup, "ward-backup-20991231T000000.sqlite")
    ward.device.rename("After the backup")
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    before = rows(db_path)
    files = sorted(p.name for p in db_path.parent.iterdir())
    seen = _restore_from_the_menu(qtbot, window, broken.name)
    assert str(seen["said"]).startswith(
        f"Not restored: the backup {broken} is damaged: it fails SQLite's integrity check ("
    )
    assert str(seen["said"]).endswith(". Nothing was changed.") and "\n" not in str(seen["said"])
    assert rows(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == files
    assert ward.device.this().name == "After the backup"
    assert not window.statusBar().currentMessage().startswith("Restored")


def test_cancelled_at_the_question_nothing_is_restored(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    backup = ward.backups.take().path
    ward.device.rename("After the backup")
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    before = rows(db_path)
    _restore_from_the_menu(qtbot, window, backup.name, confirm=False)
    assert rows(db_path) == before
    assert not list(db_path.parent.glob("*-set-aside-*"))
