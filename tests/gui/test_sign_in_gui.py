"""Signing in to the app, as a ward's staff meet it: the sign-in at start (a wrong
password said, the window only once it is right), what the role lets them do, the
window locked after it was left alone and opened again by whoever signs in, and
Settings → Users… where an administrator adds an account."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gui.test_start import Step, answering, closing_the_window, own_folders, shown
from gui_driver import answering as answering_dialog
from gui_driver import menu_action, open_window, type_into
from helpers import NOW
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from itp_monitor.app import run_app
from itp_monitor.domain.vocab import Role
from itp_monitor.gui.dialogs.sign_in import SignInDialog
from itp_monitor.gui.dialogs.users import UsersDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services, build_services

__all__ = ["own_folders"]  # the start's folders, for the test that runs the app

ADMIN, NURSE, DOCTOR = "admin-pass-1", "nurse-pass-1", "doctor-pass-1"


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    services.accounts.add("Dr Admin", Role.ADMIN, ADMIN)
    admin = build_services(services.db, user="Dr Admin", clock=lambda: NOW)
    admin.accounts.add("Nora", Role.NURSE, NURSE)
    admin.accounts.add("Dr Dee", Role.DOCTOR, DOCTOR)
    return services


def signing_in(qtbot: QtBot, seen: list[str], name: str, password: str) -> Step:
    """Types a name and password into the sign-in dialog when it shows, noting what it
    said about the try before, and presses Sign in."""

    def step() -> bool:
        dialog = shown(SignInDialog)
        if not isinstance(dialog, SignInDialog):
            return False
        seen.append(dialog.problem.text() if dialog.problem.isVisible() else "")
        dialog.name.setText("")
        qtbot.keyClicks(dialog.name, name)
        qtbot.keyClicks(dialog.password, password)
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        return True

    return step


def test_at_start_the_window_opens_only_for_the_right_password(
    qtbot: QtBot, ward: Services, db_path: Path
) -> None:
    ward.db.dispose()
    said: list[str] = []
    seen: dict[str, object] = {}

    def look_then_close() -> bool:
        window = shown(MainWindow)
        if not isinstance(window, MainWindow):
            return False
        seen["status"] = window.findChild(QLabel, "signed_in").text()
        protocol = menu_action(window, "Settings → The unit's protocol…")
        seen["protocol"] = (protocol.isEnabled(), protocol.toolTip())
        seen["user"] = window.services.user
        return closing_the_window(seen)()

    answering(
        [
            signing_in(qtbot, said, "Nora", "not her password"),
            signing_in(qtbot, said, "Nora", NURSE),
            look_then_close,
        ]
    )
    assert run_app(str(db_path)) == 0
    assert said == ["", "Wrong name or password."]
    assert seen["status"] == "Signed in as Nora (nurse or midwife)"
    assert seen["protocol"] == (False, "Needs the account of a doctor")
    assert seen["user"] == "Nora"


def test_left_alone_the_window_locks_and_opens_for_whoever_signs_in(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    nurse = ward.accounts.sign_in("Nora", NURSE)
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    window.signing.signed_in(nurse)
    window.signing.account = nurse
    seen: dict[str, object] = {}

    def doctor_signs_in(dialog: QDialog) -> None:
        assert isinstance(dialog, SignInDialog)
        seen["hidden"] = not window.pages.isVisible()
        seen["why"] = dialog.findChild(QLabel, "intro").text()
        seen["name"] = dialog.name.text()
        dialog.name.setText("")
        type_into(qtbot, dialog, "name", "Dr Dee")
        type_into(qtbot, dialog, "password", DOCTOR)
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    window.signing.last_input = time.monotonic() - 11 * 60  # eleven minutes untouched
    with answering_dialog(doctor_signs_in, of=SignInDialog):
        window.signing.timer.timeout.emit()
    assert seen["hidden"] is True
    assert str(seen["why"]).startswith("The window was locked after 10 minutes without use.")
    assert seen["name"] == "Nora"
    assert window.pages.isVisible()
    assert window.services.user == "Dr Dee"
    assert menu_action(window, "Settings → The unit's protocol…").isEnabled()
    assert not menu_action(window, "Settings → Users…").isEnabled()


def test_an_administrator_adds_an_account_in_settings_users(
    qtbot: QtBot, ward: Services, tmp_path: Path
) -> None:
    admin = ward.accounts.sign_in("Dr Admin", ADMIN)
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    window.signing.signed_in(admin)
    seen: dict[str, list[str]] = {}

    def form(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "name", "Mia")
        combo = dialog.findChild(QComboBox, "role")
        combo.setCurrentIndex(combo.findData(Role.NURSE))
        type_into(qtbot, dialog, "password", "midwife-pass-1")
        type_into(qtbot, dialog, "password_again", "midwife-pass-1")
        dialog.accept()

    def users(dialog: QDialog) -> None:
        assert isinstance(dialog, UsersDialog)
        with answering_dialog(form, of=QDialog):
            dialog.add_button.click()
        table = dialog.findChild(QTableWidget, "accounts")
        seen["rows"] = [
            " / ".join(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())
        ]
        dialog.reject()

    with answering_dialog(users, of=UsersDialog):
        menu_action(window, "Settings → Users…").trigger()
    assert "Mia / nurse or midwife / active" in seen["rows"]
    assert ward.accounts.sign_in("mia", "midwife-pass-1").role is Role.NURSE


def test_with_no_accounts_nobody_signs_in(qtbot: QtBot, services: Services, tmp_path: Path) -> None:
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    assert not window.findChild(QLabel, "signed_in").isVisible()
    assert not menu_action(window, "File → Sign out…").isVisible()
    assert menu_action(window, "Settings → The unit's protocol…").isEnabled()


def test_the_first_account_added_in_the_window_signs_its_administrator_in(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    seen: dict[str, object] = {}

    def first(dialog: QDialog) -> None:
        seen["role"] = dialog.findChild(QComboBox, "role").currentText()
        type_into(qtbot, dialog, "name", "Dr Admin")
        type_into(qtbot, dialog, "password", ADMIN)
        type_into(qtbot, dialog, "password_again", ADMIN)
        dialog.accept()

    def nurse(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "name", "Nora")
        combo = dialog.findChild(QComboBox, "role")
        combo.setCurrentIndex(combo.findData(Role.NURSE))
        type_into(qtbot, dialog, "password", NURSE)
        type_into(qtbot, dialog, "password_again", NURSE)
        dialog.accept()

    def users(dialog: QDialog) -> None:
        assert isinstance(dialog, UsersDialog)
        with answering_dialog(first, of=QDialog):
            dialog.add_button.click()
        with answering_dialog(nurse, of=QDialog):  # at once: no sign-in in between
            dialog.add_button.click()
        dialog.reject()

    with answering_dialog(users, of=UsersDialog):
        menu_action(window, "Settings → Users…").trigger()
    assert seen["role"] == "administrator"
    assert window.services.user == "Dr Admin"
    assert [a.name for a in services.accounts.listed()] == ["Dr Admin", "Nora"]
    assert menu_action(window, "File → Sign out…").isVisible()


def test_an_account_added_elsewhere_asks_the_open_window_to_sign_in(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    window = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    services.accounts.add("Dr Admin", Role.ADMIN, ADMIN)  # by the command line, or a sync
    seen: dict[str, object] = {}

    def sign_in(dialog: QDialog) -> None:
        assert isinstance(dialog, SignInDialog)
        seen["why"] = dialog.findChild(QLabel, "intro").text()
        seen["hidden"] = not window.pages.isVisible()
        type_into(qtbot, dialog, "name", "Dr Admin")
        type_into(qtbot, dialog, "password", ADMIN)
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)

    with answering_dialog(sign_in, of=SignInDialog):
        window.signing.timer.timeout.emit()
    assert str(seen["why"]).startswith("This database has accounts now")
    assert seen["hidden"] is True
    assert window.services.user == "Dr Admin"


def test_enter_after_the_name_goes_on_to_the_password_without_a_try(
    qtbot: QtBot, ward: Services
) -> None:
    dialog = SignInDialog(ward.accounts, "ward.sqlite")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name, "Nora")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.isVisible() and not dialog.problem.isVisible()
    assert dialog.focusWidget() is dialog.password
    assert not [e for e in ward.trail.entries() if e.action == "sign_in_failed"]
