"""Encryption in the app, as a clinic laptop's administrator and its staff meet it:
Settings → Security… encrypts the open ward and shows the recovery key once, and saving
goes on; at the next start, an encrypted ward whose key is not here asks for the
passphrase, says so when it is wrong, and opens with the right one."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui.test_start import Step, answering, closing_the_window, own_folders, shown
from gui_driver import answering as answering_dialog
from gui_driver import enter, open_window, press, trigger, type_into
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QMessageBox, QPushButton, QRadioButton
from pytestqt.qtbot import QtBot

from itp_monitor.app import run_app
from itp_monitor.gui.dialogs.passphrase import PassphraseDialog
from itp_monitor.gui.dialogs.security import SecurityDialog
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.encryption import KeyChoice
from itp_monitor.storage import cipher
from itp_monitor.storage.database import Database, resolve_location

__all__ = ["own_folders"]  # the start's folders, for the tests that run the app

PASSPHRASE = "violet harbour at seven"


@pytest.fixture
def ward(services: Services) -> Services:
    services.demo.load()
    return services


def latest_values(path: Path, key: cipher.Key, mrn: str) -> list[float]:
    """The platelet counts of the woman as the file holds them, read with `key` alone."""
    cipher.use(key)
    services = build_services(Database(resolve_location(str(path))))
    try:
        woman = services.patients.find(mrn)
        assert woman is not None
        return [c.record.value for c in services.patients.records(woman.id).counts]
    finally:
        services.db.dispose()


def test_settings_security_encrypts_the_open_ward_and_saving_goes_on(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path, credential_store: Path
) -> None:
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    seen: dict[str, str] = {}

    def result(box: QDialog) -> None:
        seen["said"] = " ".join(label.text() for label in box.findChildren(QLabel))
        key = box.findChild(QLineEdit, "recovery_key")
        seen["key"] = key.text() if key is not None else ""
        box.accept()

    def security(dialog: QDialog) -> None:
        assert isinstance(dialog, SecurityDialog)
        seen["before"] = dialog.findChild(QLabel, "encryption_state").text()
        with answering_dialog(result, of=QDialog):
            button = dialog.findChild(QPushButton, "encrypt")
            print("BUTTON", button, button.isVisible(), button.isEnabled())
            button.click()
        seen["after"] = dialog.findChild(QLabel, "encryption_state").text()
        dialog.reject()

    with answering_dialog(security, of=SecurityDialog):
        trigger(window, "Settings → Security…")
    assert "Not encrypted" in seen["before"] and "Encrypted" in seen["after"], seen
    assert f"Encrypted {db_path}" in seen["said"]
    assert len(seen["key"].split()) == 16  # in groups of four, to write down
    assert cipher.encrypted(db_path)
    # the window goes on with the encrypted file: a count typed and saved lands in it
    woman = ward.patients.find("DEMO-01")
    assert woman is not None
    window.open_patient(woman.id)

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "123")
        enter(qtbot, dialog)

    with answering_dialog(fill):
        press(qtbot, window, "Ctrl+1")
    window.close()
    assert 123.0 in latest_values(db_path, cipher.Key.from_text(seen["key"]), "DEMO-01")


def test_two_passphrases_that_differ_encrypt_nothing(
    qtbot: QtBot, ward: Services, db_path: Path, tmp_path: Path
) -> None:
    window = open_window(qtbot, ward, str(tmp_path / "settings.ini"))
    warned: list[str] = []

    def warning(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        warned.append(box.text())
        box.accept()

    def security(dialog: QDialog) -> None:
        dialog.findChild(QRadioButton, "key_by_passphrase").click()
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase"), PASSPHRASE)
        qtbot.keyClicks(dialog.findChild(QLineEdit, "passphrase_again"), PASSPHRASE + "s")
        with answering_dialog(warning, of=QMessageBox):
            dialog.findChild(QPushButton, "encrypt").click()
        dialog.reject()

    with answering_dialog(security, of=SecurityDialog):
        trigger(window, "Settings → Security…")
    assert warned == ["Not encrypted: the two passphrases differ."]
    assert not cipher.encrypted(db_path)


def typing(qtbot: QtBot, seen: list[bool], text: str) -> Step:
    """Types `text` into the passphrase dialog when it shows, noting whether it said the
    last one was wrong, and presses Open."""

    def step() -> bool:
        dialog = shown(PassphraseDialog)
        if not isinstance(dialog, PassphraseDialog):
            return False
        seen.append(dialog.wrong.isVisible())
        qtbot.keyClicks(dialog.field, text)
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
        return True

    return step


def test_at_start_an_encrypted_ward_asks_its_passphrase_until_it_opens(
    qtbot: QtBot, ward: Services, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ward.encryption.encrypt(KeyChoice(cipher.Key.from_text(PASSPHRASE), "a passphrase"))
    ward.db.dispose()
    cipher.use(None)  # a later start on this laptop: no key known
    monkeypatch.delenv(cipher.ENV_VAR, raising=False)
    wrong_said: list[bool] = []
    seen: dict[str, object] = {}
    answering(
        [
            typing(qtbot, wrong_said, "not the passphrase"),
            typing(qtbot, wrong_said, PASSPHRASE),
            closing_the_window(seen),
        ]
    )
    assert run_app(str(db_path)) == 0
    assert wrong_said == [False, True]  # the second time, it said the first was wrong
    assert str(seen["title"]).startswith("ITP Monitor")
