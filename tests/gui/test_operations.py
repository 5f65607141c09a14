"""Every write says what it changed, and the hub delivers it to every view once: what each
one costs, counted (reads of her records, judgements, board rows, chart redraws).

The view that made a change shows what its save returned and does not read it again;
a change another program made is read once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gui_driver import answering, board_cells, board_row, enter, open_window, press, type_into
from helpers import NOW, hours_ago
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QPushButton
from pytestqt.qtbot import QtBot

from itp_monitor.domain.flags import FlagCode
from itp_monitor.domain.records import PatientDetails, PlateletCount
from itp_monitor.gui.chart.chart import PlateletChart
from itp_monitor.gui.main_window import MainWindow
from itp_monitor.gui.panels.ward_board import WardBoard
from itp_monitor.services.container import Services
from itp_monitor.services.demo import demo_ward
from itp_monitor.services.results import Changes, Setting


@dataclass
class Costs:
    """What the views did since counting began."""

    reads: list[int] = field(default_factory=list)  # her records read (patient ids)
    judged: list[int] = field(default_factory=list)  # one woman judged (patient ids)
    wards: int = 0  # the whole ward read and judged
    rows: list[int] = field(default_factory=list)  # board rows updated (patient ids)
    drawn: int = 0  # the chart redrawn
    announced: list[tuple[Changes, object]] = field(default_factory=list)  # on the hub


@pytest.fixture
def window(qtbot: QtBot, services: Services, tmp_path: Path) -> MainWindow:
    edd = NOW.date() + timedelta(days=14)
    lena = services.patients.add(PatientDetails("L1", "Lena Holm", edd, None, 70.0))
    services.records.record(lena.id, PlateletCount(hours_ago(50), 80.0))
    services.records.record(lena.id, PlateletCount(hours_ago(26), 75.0))
    other = services.patients.add(PatientDetails("L2", "Mia Sand", edd, None, 60.0))
    services.records.record(other.id, PlateletCount(hours_ago(30), 90.0))
    w = open_window(qtbot, services, str(tmp_path / "settings.ini"))
    w.poll_timer.stop()  # each test polls when it means to
    w.open_patient(lena.id)
    return w


@pytest.fixture
def her(window: MainWindow) -> int:
    assert window.workspace is not None and window.workspace.patient_id is not None
    return window.workspace.patient_id


@pytest.fixture
def costs(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> Costs:
    """Counts from here on, at the services the views call and at the views themselves."""
    found = Costs()

    def counting(owner: Any, name: str, note: Callable[..., object]) -> None:
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            note(*args)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    services = window.services
    counting(services.patients, "records", lambda pid: found.reads.append(pid))
    counting(services.evaluation, "of_records", lambda r, *_: found.judged.append(r.patient.id))
    counting(services.evaluation, "ward", lambda *_: setattr(found, "wards", found.wards + 1))
    counting(WardBoard, "update_patient", lambda _board, pid, _row: found.rows.append(pid))
    counting(PlateletChart, "set_data", lambda *_: setattr(found, "drawn", found.drawn + 1))
    window.hub.changed.connect(lambda changes, by: found.announced.append((changes, by)))
    return found


def latest_shown(window: MainWindow) -> float:
    assert window.workspace is not None
    return [y for _, y in window.workspace.chart.plotted_counts()][-1]


# --- a save made here: shown from what it returned ----------------------------------------


def add_with_ctrl_1(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "18")
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+1")


def on_her_newest_count(window: MainWindow, button: str, fill: Callable[[Any], None]) -> None:
    """Selects her newest count in its table, presses `button` and fills in what it asks."""
    assert window.workspace is not None
    tab = window.workspace.record_tabs[PlateletCount]
    tab.select_row(0)
    with answering(fill):
        getattr(tab, button).click()


def correct_the_newest(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "value", "18")
        type_into(qtbot, dialog, "reason", "lab phoned: misread")
        enter(qtbot, dialog)

    on_her_newest_count(window, "correct", fill)


def void_the_newest(qtbot: QtBot, window: MainWindow) -> None:
    def fill(dialog: Any) -> None:
        qtbot.keyClicks(dialog.reason, "sample clotted")
        enter(qtbot, dialog)

    on_her_newest_count(window, "void", fill)


@pytest.mark.parametrize(
    ("act", "latest", "critical"),
    [
        (add_with_ctrl_1, 18.0, True),
        (correct_the_newest, 18.0, True),
        (void_the_newest, 80.0, False),
    ],
    ids=["add", "correct", "void"],
)
def test_a_record_saved_here_is_judged_once_drawn_once_and_never_read(
    qtbot: QtBot,
    window: MainWindow,
    her: int,
    costs: Costs,
    act: Callable[[QtBot, MainWindow], None],
    latest: float,
    critical: bool,
) -> None:
    act(qtbot, window)
    window.poll_changes()  # the watch's next tick: it passes over this process's own save
    # at once, without waiting: the chart, the flags and the board show it
    assert latest_shown(window) == latest
    assert board_row(window, "L1")["Latest ×10⁹/L"] == f"{latest:g}"
    assert window.workspace is not None
    flags = {f.code for f in window.workspace.flag_list.flags}
    assert (FlagCode.PLT_CRITICAL in flags) == critical
    assert costs.reads == []  # applied from what the save returned
    assert costs.judged == [her]
    assert costs.rows == [her]  # her row only
    assert costs.drawn == 1
    assert costs.wards == 0
    assert len(costs.announced) == 1


def test_edit_details_is_read_once_and_shown_once(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs
) -> None:
    assert window.workspace is not None
    header = window.workspace.header
    edit = next(b for b in header.findChildren(QPushButton) if b.text() == "Edit details…")

    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "weight_kg", "72")
        type_into(qtbot, dialog, "reason", "weighed again")
        enter(qtbot, dialog)

    with answering(fill):
        edit.click()
    window.poll_changes()
    assert header.facts["Weight"].text() == "72 kg"
    assert (costs.reads, costs.judged, costs.rows, costs.drawn) == ([her], [her], [her], 1)
    assert costs.wards == 0


def test_archiving_is_read_once_and_takes_her_row_off_the_board(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs
) -> None:
    assert window.workspace is not None

    def fill(dialog: QDialog) -> None:
        qtbot.keyClicks(dialog.reason, "delivered, discharged home")
        enter(qtbot, dialog)

    with answering(fill):
        window.workspace.header.archive.click()
    window.poll_changes()
    assert "L1" not in board_cells(window, "MRN")
    assert window.workspace.header.archive.text() == "Restore…"
    assert (costs.reads, costs.judged, costs.rows, costs.drawn) == ([her], [her], [her], 1)
    assert costs.wards == 0


# --- the view that made a change, and everyone else -----------------------------------------


def test_the_view_that_saved_does_not_read_again_but_any_other_announcer_is_read(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs
) -> None:
    add_with_ctrl_1(qtbot, window)
    [(changes, by)] = costs.announced
    assert by is window.workspace and changes.patients == {her}
    assert costs.reads == []
    window.hub.announce(changes)  # the same change, announced by no view of this window
    assert costs.reads == [her]
    assert costs.drawn == 2 and costs.rows == [her, her]


def test_a_count_written_by_another_program_is_read_once_drawn_once(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs, elsewhere: Services
) -> None:
    elsewhere.records.record(her, PlateletCount(hours_ago(1), 42.0))
    window.poll_changes()
    window.poll_changes()  # reported once
    assert latest_shown(window) == 42.0
    assert board_row(window, "L1")["Latest ×10⁹/L"] == "42"
    assert (costs.reads, costs.judged, costs.rows, costs.drawn) == ([her], [her], [her], 1)
    assert costs.wards == 0
    [(changes, by)] = costs.announced
    assert by is None and changes.kinds == {"platelet_count"}


# --- every other write in the app: announced once, and what it costs ----------------------


def test_admitting_announces_her_and_adds_her_row(
    qtbot: QtBot, window: MainWindow, costs: Costs
) -> None:
    def fill(dialog: QDialog) -> None:
        type_into(qtbot, dialog, "mrn", "Z900")
        type_into(qtbot, dialog, "name", "Zoe Park")
        dialog.field("edd").set_value(NOW.date() + timedelta(days=100))
        enter(qtbot, dialog)

    with answering(fill):
        press(qtbot, window, "Ctrl+N")
    zoe = window.services.patients.find("Z900")
    assert zoe is not None
    assert [c for c, _ in costs.announced] == [zoe.changes]
    assert costs.rows == [zoe.id] and costs.wards == 0
    assert "Z900" in board_cells(window, "MRN")


def test_a_protocol_change_shows_everything_again_once(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs
) -> None:
    def change(dialog: Any) -> None:
        dialog.confirm = lambda _text: True  # the question a person answers with Yes
        dialog.select("neuraxial_min")
        dialog.value.setText("90")
        dialog.reason.setText("anaesthetists' local policy")
        dialog.apply.click()
        dialog.reject()

    assert "Below epidural cutoff" not in board_row(window, "L1")["Flags"]
    with answering(change):
        press(qtbot, window, "Ctrl+,")
    assert [c.settings for c, _ in costs.announced] == [{Setting.PROTOCOL}]
    assert "Below epidural cutoff" in board_row(window, "L1")["Flags"]
    assert (costs.wards, costs.reads, costs.drawn) == (1, [her], 1)


def test_new_laboratory_codes_are_announced_and_redraw_nothing(
    window: MainWindow, costs: Costs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("PLTC", True))
    window.edit_lab_codes()
    assert [c.settings for c, _ in costs.announced] == [{Setting.LAB_CODES}]
    assert (costs.wards, costs.reads, costs.drawn, costs.rows) == (0, [], 0, [])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("", False))
    window.edit_lab_codes()  # cancelled: nothing saved, nothing announced
    assert len(costs.announced) == 1


def test_a_laboratory_file_updates_the_women_in_it_once_each(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs, tmp_path: Path
) -> None:
    labs = tmp_path / "labs.csv"
    labs.write_text(
        "MRN,Collected at,Platelets,Unit\n"
        "L1,2026-11-25 07:00,33,10^9/L\n"
        "L2,2026-11-25 07:00,44,10^9/L\n"
    )

    def save(dialog: Any) -> None:
        assert dialog.save_button.text() == "Save 2 new"
        dialog.save_button.click()

    with answering(save):
        window.import_labs(labs)
    other = window.services.patients.find("L2")
    assert other is not None
    [(changes, _by)] = costs.announced
    assert changes.patients == {her, other.id} and not changes.everything
    assert latest_shown(window) == 33.0 and board_row(window, "L2")["Latest ×10⁹/L"] == "44"
    # each woman in the file read once and her board row redrawn, the ward not read again;
    # the chart of the one open redrawn once
    assert (costs.wards, sorted(costs.reads), costs.drawn) == (0, sorted([her, other.id]), 1)
    assert sorted(costs.rows) == sorted([her, other.id])
    window.poll_changes()  # the import's audit entries are this process's own
    assert len(costs.announced) == 1 and len(costs.reads) == 2


def test_a_laboratory_file_of_many_women_reads_the_board_once(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs, tmp_path: Path
) -> None:
    """One read of the whole board rather than one per woman (a busy morning's file names
    dozens), and her records once, as she is open."""
    edd = NOW.date() + timedelta(days=20)
    mrns = ["L1", "L2"]
    for n in range(3, 8):
        window.services.patients.add(PatientDetails(f"L{n}", f"Woman {n}", edd, None, 65.0))
        mrns.append(f"L{n}")
    labs = tmp_path / "labs.csv"
    lines = [f"{mrn},2026-11-25 07:00,{30 + i},10^9/L" for i, mrn in enumerate(mrns)]
    labs.write_text("MRN,Collected at,Platelets,Unit\n" + "\n".join(lines) + "\n")

    def save(dialog: Any) -> None:
        dialog.save_button.click()

    with answering(save):
        window.import_labs(labs)
    [(changes, _by)] = costs.announced
    assert len(changes.patients) == len(mrns)
    assert (costs.wards, costs.reads, costs.drawn) == (1, [her], 1)
    assert board_row(window, "L7")["Latest ×10⁹/L"] == "36" and latest_shown(window) == 30.0


@pytest.fixture
def record_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ward.json"
    path.write_text(json.dumps(demo_ward(NOW.date())))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    return path


def test_a_record_file_shows_everything_again_once(
    qtbot: QtBot, window: MainWindow, her: int, costs: Costs, record_file: Path
) -> None:
    press(qtbot, window, "Ctrl+I")
    assert [c.everything for c, _ in costs.announced] == [True]
    assert "DEMO-01" in board_cells(window, "MRN")
    assert (costs.wards, costs.reads, costs.drawn) == (1, [her], 1)


def test_the_demonstration_ward_shows_everything_again_once(
    window: MainWindow, costs: Costs
) -> None:
    window.show_board()
    window.load_demo()
    assert [c.everything for c, _ in costs.announced] == [True]
    assert "DEMO-01" in board_cells(window, "MRN")
    assert (costs.wards, costs.reads, costs.drawn) == (1, [], 0)
