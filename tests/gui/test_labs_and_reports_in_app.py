"""Laboratory import, printing and exports, driven from the app as ward staff would."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from gui_driver import answering, board_row, choose, open_window
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot

from itp_monitor.gui.dialogs.help import menu_actions
from itp_monitor.gui.dialogs.lab_import import LabImportDialog
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.services.container import Services
from itp_monitor.services.errors import DatabaseBusy

LABS = (
    "MRN,Collected at,Platelets,Unit,Accession\n"
    "DEMO-03,2026-11-25 07:00,64,10^9/L,APP-1\n"
    "DEMO-03,2026-11-25 07:00,64,10^9/L,APP-1\n"
    "NOBODY,2026-11-25 07:00,50,10^9/L,APP-2\n"
    "DEMO-01,2026-11-25 07:30,clotted,10^9/L,APP-3\n"
)


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    services.demo.load()
    return open_window(qtbot, services, str(tmp_path / "settings.ini"))


@pytest.fixture
def labs(tmp_path: Path) -> Path:
    path = tmp_path / "labs.csv"
    path.write_text(LABS)
    return path


def shown(dialog: LabImportDialog) -> list[tuple[str, str]]:
    """(MRN, status) of each row the preview shows, top to bottom."""
    proxy = dialog.proxy
    return [(proxy.index(r, 1).data(), proxy.index(r, 4).data()) for r in range(proxy.rowCount())]


def test_the_preview_shows_every_row_and_saving_updates_the_board(
    qtbot: QtBot, window: MainWindow, labs: Path
) -> None:
    def check_and_save(dialog: QDialog) -> None:
        assert isinstance(dialog, LabImportDialog)
        assert shown(dialog) == [
            ("DEMO-03", "+ new"),
            ("DEMO-03", "= duplicate"),
            ("NOBODY", "? unknown patient"),
            ("DEMO-01", "✘ invalid"),
        ]
        assert dialog.save_button.text() == "Save 1 new" and dialog.save_button.isEnabled()
        dialog.only_problems.setChecked(True)
        assert [s for _, s in shown(dialog)] == ["= duplicate", "? unknown patient", "✘ invalid"]
        dialog.save_button.click()

    assert board_row(window, "DEMO-03")["Latest ×10⁹/L"] == "21"
    with answering(check_and_save):
        window.import_labs(labs)
    assert board_row(window, "DEMO-03")["Latest ×10⁹/L"] == "64"
    assert "Saved 1 new result and 0 corrections from labs.csv" in (
        window.statusBar().currentMessage()
    )


def test_closing_the_preview_saves_nothing(
    qtbot: QtBot, window: MainWindow, services: Services, labs: Path
) -> None:
    with answering(lambda dialog: dialog.reject()):
        window.import_labs(labs)
    assert board_row(window, "DEMO-03")["Latest ×10⁹/L"] == "21"


def test_unknown_columns_are_mapped_by_hand_and_remembered(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    services.demo.load()
    path = tmp_path / "odd.csv"
    path.write_text("Pt;Drawn;Count;U\nDEMO-03;2026-11-25 07:00;64;G/L\n")
    dialog = LabImportDialog(services.labs, path=path)
    qtbot.addWidget(dialog)
    assert "no column for mrn, collected_at, value" in dialog.status.text()
    assert not dialog.save_button.isEnabled() and dialog.columns_box.isVisibleTo(dialog)
    for i, field in enumerate(["mrn", "collected_at", "value", "unit"]):
        choose(dialog, f"column_{i}", field)
    assert shown(dialog) == [("DEMO-03", "+ new")]
    assert dialog.remember.isChecked()
    dialog.save_button.click()
    later = tmp_path / "later.csv"
    later.write_text("Pt;Drawn;Count;U\nDEMO-03;2026-11-25 09:00;66;G/L\n")
    again = LabImportDialog(services.labs, path=later)
    qtbot.addWidget(again)
    assert shown(again) == [("DEMO-03", "+ new")]  # the remembered columns


def test_results_saved_while_their_columns_cannot_be_remembered_stay_saved_and_say_so(
    qtbot: QtBot, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.demo.load()
    path = tmp_path / "odd.csv"
    path.write_text("Pt;Drawn;Count;U\nDEMO-03;2026-11-25 07:00;64;G/L\n")
    dialog = LabImportDialog(services.labs, path=path)
    qtbot.addWidget(dialog)
    for i, field in enumerate(["mrn", "collected_at", "value", "unit"]):
        choose(dialog, f"column_{i}", field)

    def busy(*_args: object) -> None:
        raise DatabaseBusy(str(tmp_path / "ward.sqlite"))

    monkeypatch.setattr(services.labs, "remember_mapping", busy)
    said: list[str] = []

    def read_and_close(box: QDialog) -> None:
        said.append(box.text())  # type: ignore[attr-defined]
        box.accept()

    with answering(read_and_close):
        dialog.save_button.click()
    assert said and "The results were saved" in said[0] and "busy" in said[0]
    assert dialog.result() == QDialog.DialogCode.Accepted
    patient = services.patients.find("DEMO-03")
    assert patient is not None
    assert 64.0 in [c.record.value for c in services.patients.records(patient.id).counts]


def test_the_unit_and_time_layout_options(qtbot: QtBot, services: Services, tmp_path: Path) -> None:
    services.demo.load()
    path = tmp_path / "plain.csv"
    path.write_text("mrn,collected,plt\nDEMO-03,25/11/2026 07:00,64000\n")
    dialog = LabImportDialog(services.labs, path=path)
    qtbot.addWidget(dialog)
    assert shown(dialog) == [("DEMO-03", "✘ invalid")]
    choose(dialog, "unit", "/uL")
    dialog.time_format.setText("%d/%m/%Y %H:%M")
    dialog.read_again.click()
    assert shown(dialog) == [("DEMO-03", "+ new")]
    assert dialog.proxy.index(0, 3).data() == "64"


def test_local_hl7_codes_are_set_in_settings(
    qtbot: QtBot, window: MainWindow, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("PLTC, HPLT", True))
    window.edit_lab_codes()
    assert services.labs.local_codes() == ["PLTC", "HPLT"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("PLT count", True))
    with answering(lambda box: box.accept()):
        window.edit_lab_codes()
    assert services.labs.local_codes() == ["PLTC", "HPLT"]  # refused, unchanged


def test_printing_the_handover_of_the_selected_woman(
    qtbot: QtBot, window: MainWindow, services: Services, tmp_path: Path
) -> None:
    window.board.select_patient(services.patients.find("DEMO-03").id)  # type: ignore[union-attr]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    window.reports.print_handover(printer)
    pdf = pdfium.PdfDocument(tmp_path / "printed.pdf")
    assert len(pdf) == 1
    assert "Chloe Osei" in pdf[0].get_textpage().get_text_bounded()
    pdf.close()


def test_the_reports_menu_writes_its_files(
    qtbot: QtBot, window: MainWindow, services: Services, tmp_path: Path
) -> None:
    window.open_patient(services.patients.find("DEMO-08").id)  # type: ignore[union-attr]
    window.reports.save_handover(tmp_path / "h.pdf")
    window.reports.save_ward(tmp_path / "w.pdf")
    window.reports.export_csv(tmp_path / "c.csv")
    window.reports.export_patient_csv(tmp_path / "her.csv")
    assert {"DEMO-08"} == {
        line.split(",")[0] for line in (tmp_path / "her.csv").read_text().splitlines()[1:]
    }
    window.reports.export_series(tmp_path / "s.pdf")
    window.reports.export_fhir(tmp_path / "f.json")
    written = {p.name for p in tmp_path.iterdir()}
    assert {"c.csv", "her.csv", "f.json", "h.pdf", "s.pdf", "w.pdf"} <= written
    assert "FHIR R4 Bundle" in window.statusBar().currentMessage()


def test_a_report_that_cannot_be_written_says_so(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    def read_and_close(box: QDialog) -> None:
        assert "Could not write" in box.text()  # type: ignore[attr-defined]
        box.accept()

    with answering(read_and_close):
        window.reports.save_ward(tmp_path / "missing" / "w.pdf")


def test_with_no_woman_chosen_the_handover_asks_for_one(
    qtbot: QtBot, services: Services, tmp_path: Path
) -> None:
    empty = open_window(qtbot, services, str(tmp_path / "s.ini"))

    def read_and_close(box: QDialog) -> None:
        assert "Open a woman" in box.text()  # type: ignore[attr-defined]
        box.accept()

    with answering(read_and_close):
        empty.reports.save_handover(tmp_path / "h.pdf")
    assert not (tmp_path / "h.pdf").exists()


def lab_file_from_the_menu(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, path: Path
) -> dict[str, object]:
    """File → Import laboratory results… with `path` chosen: what the dialog shows."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    action = next(
        a for where, a in menu_actions(window) if where == "File → Import laboratory results…"
    )
    seen: dict[str, object] = {}

    def look(dialog: QDialog) -> None:
        assert isinstance(dialog, LabImportDialog)
        seen["status"] = dialog.status.text()
        seen["columns shown"] = dialog.columns_box.isVisible()
        seen["summary"] = dialog.summary.text()
        seen["save"] = dialog.save_button.text()
        dialog.reject()

    with answering(look):
        action.trigger()
    return seen


def test_a_binary_file_says_why_and_offers_no_columns(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    picture = tmp_path / "results.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    seen = lab_file_from_the_menu(window, monkeypatch, picture)
    status = str(seen["status"])
    assert status.startswith("The file does not look like a text laboratory file")
    assert status.endswith("save the results as CSV or HL7.")
    assert "column" not in status and "below" not in status  # there is nothing below
    assert seen["columns shown"] is False
    assert "PNG" not in status and "IHDR" not in status  # its bytes never echoed


def test_one_result_is_one_result(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one = tmp_path / "one.csv"
    one.write_text(
        "MRN,Collected at,Platelets,Unit,Accession\nNOBODY,2026-11-25 07:00,50,10^9/L,A1\n"
    )
    seen = lab_file_from_the_menu(window, monkeypatch, one)
    assert str(seen["status"]).startswith("CSV: 1 platelet result. Nothing is saved")
    assert seen["summary"] == "0 new · 1 unknown patient"
    two = tmp_path / "two.csv"
    two.write_text(
        "MRN,Collected at,Platelets,Unit,Accession\n"
        "NOBODY,2026-11-25 07:00,50,10^9/L,A1\n"
        "NOONE,2026-11-25 07:00,50,10^9/L,A2\n"
        "DEMO-03,2026-11-25 07:00,64,10^9/L,A3\n"
    )
    seen = lab_file_from_the_menu(window, monkeypatch, two)
    assert str(seen["status"]).startswith("CSV: 3 platelet results. Nothing is saved")
    assert seen["summary"] == "1 new · 2 unknown patients"
    assert seen["save"] == "Save 1 new"
