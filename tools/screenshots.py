"""Takes the screenshots of docs/ from the real app on a fresh demonstration ward.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python -P tools/screenshots.py docs/images

(`make screenshots` does this.) Each picture is the main window or a dialog as Qt
drew it; the printed reports are written as PDF and their first page rendered
with pypdfium2, so the picture is what the paper shows.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from itp_monitor.app import make_application
from itp_monitor.bootstrap import open_services
from itp_monitor.domain.records import NeonatalCount, PatientDetails, PlateletCount
from itp_monitor.gui.dialogs.backups import BackupsDialog
from itp_monitor.gui.dialogs.conflicts import ConflictsDialog
from itp_monitor.gui.dialogs.lab_import import LabImportDialog
from itp_monitor.gui.dialogs.restore import RestoreDialog
from itp_monitor.gui.dialogs.sync import SyncDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.reports.render import write_handover_pdf, write_ward_pdf
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.results import EVERYTHING

SIZE = (1400, 900)
# (file, MRN or None for the board, tab to show)
SHOTS = [
    ("ward-board.png", None, None),
    ("non-responder-near-term.png", "DEMO-03", "Counts"),
    ("responder.png", "DEMO-02", "Injections"),
    ("delivered-with-newborn-counts.png", "DEMO-08", "Delivery and newborn"),
    ("projection-to-term.png", "DEMO-10", "Counts"),
]


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    _app = make_application(sys.argv[:1])  # kept alive while the window is drawn
    with tempfile.TemporaryDirectory() as folder:
        services = open_services(str(Path(folder) / "demo.sqlite"))
        services.demo.load()
        window = MainWindow(
            services, QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        )
        window.resize(*SIZE)
        window.show()
        for name, mrn, tab in SHOTS:
            if mrn is None:
                window.show_board()
            else:
                patient = services.patients.find(mrn)
                assert patient is not None
                window.open_patient(patient.id)
                tabs = window.workspace.tabs
                tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == tab))
                if tab == "Delivery and newborn":
                    window.workspace.record_tabs[NeonatalCount].select_row(0)
            for _ in range(3):
                QApplication.processEvents()
            window.grab().save(str(out / name))
            print(f"wrote {out / name}")
        entry_pictures(window, services, out)
        lab_dialog(services, Path(folder), out / "lab-import.png")
        for name, write in (
            (
                "handover-DEMO-03",
                lambda p: write_handover_pdf(p, services.reports.handover("DEMO-03")),
            ),
            ("ward-summary", lambda p: write_ward_pdf(p, services.reports.ward())),
        ):
            pdf = Path(folder) / f"{name}.pdf"
            write(pdf)
            first_page_png(pdf, out / f"{name}.png")
        window.close()
        services.db.dispose()
    sync_pictures(out)
    backup_pictures(out)
    check_pictures(out)
    security_pictures(out)
    return 0


def _show(widget: QWidget, png: Path) -> None:
    for _ in range(3):
        QApplication.processEvents()
    widget.grab().save(str(png))
    print(f"wrote {png}")


def entry_pictures(window: MainWindow, services: Services, out: Path) -> None:
    """The forms as staff meet them: a typed date read back, a long message shown whole,
    the Void box naming its record, the History, and the workspace on a 1366×768 laptop."""
    patient = services.patients.find("DEMO-03")
    assert patient is not None
    window.open_patient(patient.id)
    workspace = window.workspace
    shots: list[Callable[[Any], None]] = []

    def typed_date(dialog: Any) -> None:
        dialog.field("collected_at").edit.setText("t-1 0730")
        dialog.field("value").edit.setText("24")
        dialog.adjustSize()
        _show(dialog, out / "entry-date-field.png")

    def long_message(dialog: Any) -> None:
        dialog.field("collected_at").edit.setText("t 0800")
        dialog.field("value").edit.setText("45000")
        dialog.try_save()  # refused: the message is what the picture shows
        _show(dialog, out / "entry-long-message.png")

    def void_box(dialog: Any) -> None:
        _show(dialog, out / "void-dialog.png")

    def run(dialog: Any) -> bool:  # instead of exec(): draw it, then cancel it
        dialog.show()
        shots.pop(0)(dialog)
        dialog.reject()
        return False

    workspace._run = run
    shots[:] = [typed_date, long_message]
    window.record_actions[PlateletCount].trigger()
    window.record_actions[PlateletCount].trigger()
    counts = workspace.record_tabs[PlateletCount]
    counts.select_row(0)
    shots[:] = [void_box]
    counts.void.click()
    del workspace._run

    # A correction, so that the History shows a reason with the values before and after.
    latest = services.patients.records(patient.id).injections[-1]
    services.records.correct(
        latest.id,
        replace(latest.record, site="thigh-left"),
        "site charted on the wrong side",
        confirmed=True,
    )
    tabs = workspace.tabs
    tabs.setCurrentIndex(tabs.indexOf(workspace.history))
    _show(window, out / "history.png")
    tabs.setCurrentIndex(0)
    window.resize(1366, 768)
    _show(window, out / "workspace-1366x768.png")
    window.resize(*SIZE)


SAMPLE_LABS = (
    "MRN,Collected at,Platelets,Unit,Accession\n"
    "DEMO-03,{today} 07:00,24,10^9/L,L-1001\n"
    "DEMO-05,{today} 07:05,47000,/uL,L-1002\n"
    "DEMO-05,{today} 07:05,47000,/uL,L-1002\n"
    "DEMO-99,{today} 07:10,80,10^9/L,L-1003\n"
    "DEMO-06,{today} 07:15,<10,10^9/L,L-1004\n"
    "DEMO-04,{today} 07:20,31,mmol/L,L-1005\n"
)


def lab_dialog(services: Services, folder: Path, png: Path) -> None:
    """The import dialog on a file with a row of each status."""
    path = folder / "labs-from-the-laboratory.csv"
    path.write_text(SAMPLE_LABS.format(today=f"{services.labs.clock():%Y-%m-%d}"))
    dialog = LabImportDialog(services.labs, path=path)
    dialog.resize(1000, 560)
    dialog.show()
    for _ in range(3):
        QApplication.processEvents()
    dialog.grab().save(str(png))
    dialog.close()
    print(f"wrote {png}")


def first_page_png(pdf: Path, png: Path, dpi: int = 110) -> None:
    document = pdfium.PdfDocument(pdf)
    try:
        pixels = document[0].render(scale=dpi / 72, rev_byteorder=True).to_numpy()
        height, width, _ = pixels.shape
        image = QImage(pixels.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888)
        image.save(str(png))
    finally:
        document.close()
    print(f"wrote {png}")


# --- sync: a clinic laptop's records carried to the ward (user guide, "Clinic laptops")


def _newest(services: Services, mrn: str) -> tuple[int, PlateletCount]:
    patient = services.patients.find(mrn)
    assert patient is not None
    stored = services.patients.records(patient.id).counts[-1]
    return stored.id, stored.record


def apart(ward: Services, laptop: Services) -> None:
    """What a clinic laptop and the ward did apart for a day."""
    demo_02 = laptop.patients.find("DEMO-02")
    assert demo_02 is not None
    at = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1)  # noqa: DTZ005  (ward times are local)
    laptop.records.record(demo_02.id, PlateletCount(at, 52, "lab"), confirmed=True)
    for side, value in ((ward, 31.0), (laptop, 13.0)):
        stored_id, record = _newest(side, "DEMO-01")
        side.records.correct(
            stored_id, PlateletCount(record.collected_at, value, record.source), "misread"
        )
    for side, mrn in ((ward, "N5005"), (laptop, "n5005")):
        side.patients.add(PatientDetails(mrn, "Lin Mei", date(2027, 2, 1)))


def sync_pictures(out: Path) -> None:
    """The ward's side of a laptop's round trip, with the QApplication already made."""
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        ward = build_services(open_services(str(here / "ward.sqlite")).db, "nurse.okafor")
        ward.demo.load()
        ward.device.rename("Ward workstation")
        laptop_file = here / "laptop" / "itp-monitor.sqlite"
        ward.sync.sync(str(laptop_file))
        laptop = build_services(open_services(str(laptop_file)).db, "dr.lindqvist")
        laptop.device.rename("Clinic laptop 2")
        apart(ward, laptop)
        stick = Path("/tmp/USB-STICK/itp-transfer.sqlite")  # a short path, as a stick's is
        stick.parent.mkdir(exist_ok=True)
        stick.unlink(missing_ok=True)
        laptop.sync.sync(str(stick))  # at the clinic: the laptop onto the stick
        carried = open_services(str(stick))
        carried.device.rename("USB stick")
        carried.db.dispose()

        settings = QSettings(str(here / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(ward, settings)
        window.resize(*SIZE)
        window.show()
        # on the ward: File → Synchronise… with the stick
        dialog = SyncDialog(ward, settings, window)
        dialog.synced.connect(lambda _o: window.hub.announce(EVERYTHING, dialog))
        dialog.show()
        dialog.location.setText(str(stick))
        dialog.synchronise()
        _show(dialog, out / "sync-summary.png")
        dialog.close()
        window.show_board()
        _show(window, out / "board-conflict-badge.png")

        view = ConflictsDialog(ward, window.hub, None, window)
        view.show()
        _show(view, out / "conflicts-view.png")
        view.close()
        window.close()
        laptop.db.dispose()
        ward.db.dispose()
    for leftover in stick.parent.glob("*"):
        leftover.unlink()
    stick.parent.rmdir()


# --- backups: Settings → Backups… and File → Restore from backup… (user guide, "Backups")


def backup_pictures(out: Path) -> None:
    """The demonstration ward with a few backups in `backups/` and on a USB disk, one
    taken before a day's counts, and the two dialogs over the window."""
    with tempfile.TemporaryDirectory(prefix="ward-pc-") as folder:
        here = Path(folder)
        services = open_services(str(here / "itp-monitor.sqlite"))
        services.demo.load()
        usb = Path("/tmp/USB-DISK/itp-backups")  # a short path, as a USB disk's is
        usb.mkdir(parents=True, exist_ok=True)
        for old in usb.glob("*"):
            old.unlink()
        today = datetime.now().replace(microsecond=0)  # noqa: DTZ005  (ward times are local)
        services.backups.clock = lambda: today - timedelta(hours=6)
        services.backups.take()
        services.backups.set_second_folder(usb)
        demo_03 = services.patients.find("DEMO-03")
        assert demo_03 is not None
        at = today.replace(second=0) - timedelta(hours=2)
        services.records.record(demo_03.id, PlateletCount(at, 26, "lab"), confirmed=True)
        for hours in (1, 0.5):
            services.backups.clock = lambda h=hours: today - timedelta(hours=h)
            services.backups.take_all()
        settings = QSettings(str(here / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, settings, backup_every_ms=None)
        window.resize(*SIZE)
        window.show()
        dialog = BackupsDialog(services.backups, window.backup_schedule, window)
        dialog.resize(900, 560)
        dialog.show()
        _show(dialog, out / "backups-settings.png")
        dialog.close()
        restore = RestoreDialog(services.backups, window)
        restore.resize(960, 460)
        restore.show()
        restore.table.selectRow(restore.table.rowCount() - 1)
        _show(restore, out / "restore-from-backup.png")
        restore.close()
        window.close()
        services.db.dispose()
        for leftover in usb.glob("*"):
            leftover.unlink()
        usb.rmdir()
        usb.parent.rmdir()


# --- Check database: the box at start over a database changed past the app


def check_pictures(out: Path) -> None:
    """The demonstration ward with a backup, then changed past the app with sqlite3 (a
    guard dropped, an audit entry rewritten): the box the check at start shows, with its
    details open."""
    with tempfile.TemporaryDirectory(prefix="ward-pc-") as folder:
        here = Path(folder)
        services = open_services(str(here / "itp-monitor.sqlite"))
        services.demo.load()
        services.backups.take()
        with closing(sqlite3.connect(here / "itp-monitor.sqlite")) as raw:
            raw.execute("DROP TRIGGER audit_entries_no_update")
            raw.execute("UPDATE audit_entries SET reason = 'tidied up' WHERE id = 210")
            raw.commit()
        settings = QSettings(str(here / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, settings, backup_every_ms=None)
        window.resize(*SIZE)
        window.show()
        while window.checking.box is None:
            QApplication.processEvents()
        box = window.checking.box
        details = next(b for b in box.buttons() if b.text().startswith("Show Details"))
        details.click()
        _show(box, out / "check-failed-at-start.png")
        box.close()
        window.close()
        services.db.dispose()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")))


# --- Security: encrypting a clinic laptop, and its passphrase at the next start


def security_pictures(out: Path) -> None:
    """A clinic laptop's ward before it is encrypted (Settings → Security…), the recovery
    key shown once after, and the passphrase asked at a later start."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    from itp_monitor.gui.dialogs.passphrase import PassphraseDialog
    from itp_monitor.gui.dialogs.security import SecurityDialog, encrypted_box
    from itp_monitor.services.encryption import key_in_store

    with tempfile.TemporaryDirectory(prefix="clinic-laptop-") as folder:
        here = Path(folder)
        os.environ["XDG_DATA_HOME"] = str(here / "store")  # a credential store of its own
        keyring.set_keyring(PlaintextKeyring())
        path = here / "itp-monitor.sqlite"
        services = open_services(str(path))
        services.demo.load()
        services.backups.take()
        window = MainWindow(
            services,
            QSettings(str(here / "s.ini"), QSettings.Format.IniFormat),
            backup_every_ms=None,
        )
        window.resize(*SIZE)
        window.show()
        dialog = SecurityDialog(window)
        dialog.show()
        _show(dialog, out / "security-settings.png")
        dialog.close()
        window.pause_for_restore()
        choice = key_in_store()
        done = services.encryption.encrypt(choice)
        window.resume_after_restore(None)
        box = encrypted_box(window, f"Encrypted {done.database} and 1 copy of it.", choice.recovery)
        box.show()
        _show(box, out / "encrypted-recovery-key.png")
        box.close()
        window.close()
        services.db.dispose()
        accounts_pictures(path, out)
        asked = PassphraseDialog(str(path), wrong=True)
        asked.field.setText("typed wrongly")
        asked.show()
        _show(asked, out / "passphrase-at-start.png")
        asked.close()


def accounts_pictures(path: Path, out: Path) -> None:
    """The laptop's ward with its accounts: Settings → Users… as its administrator sees
    it, and the sign-in after a wrong password."""
    from itp_monitor.domain.vocab import Role
    from itp_monitor.gui.dialogs.sign_in import SignInDialog
    from itp_monitor.gui.dialogs.users import UsersDialog

    services = open_services(str(path))
    services.accounts.add("Dr Wang Li", Role.ADMIN, "admin-pass-1")
    services.act_as("Dr Wang Li")
    services.accounts.add("Dr Chen", Role.DOCTOR, "doctor-pass-1")
    services.accounts.add("Midwife Zhou", Role.NURSE, "midwife-pass-1")
    services.accounts.add("Nurse Liu", Role.NURSE, "nurse-pass-1")
    services.accounts.disable("Nurse Liu")
    admin = services.accounts.sign_in("Dr Wang Li", "admin-pass-1")
    window = MainWindow(
        services,
        QSettings(str(path.parent / "s.ini"), QSettings.Format.IniFormat),
        backup_every_ms=None,
        account=admin,
    )
    window.resize(*SIZE)
    window.show()
    users = UsersDialog(window)
    users.show()
    _show(users, out / "settings-users.png")
    users.close()
    dialog = SignInDialog(services.accounts, str(path), name="Midwife Zhou")
    dialog.password.setText("not her password")
    dialog.try_sign_in()
    dialog.show()
    _show(dialog, out / "sign-in.png")
    dialog.close()
    window.close()
    services.db.dispose()
