"""Helpers shared by the tests (importable: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from itp_monitor.domain.records import PlateletCount
from itp_monitor.storage.database import Database
from itp_monitor.storage.models import AuditEntry

NOW = datetime(2026, 11, 25, 12, 0, 0)
USER = "nurse.test"


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def count(value: float, hours: float = 2) -> PlateletCount:
    return PlateletCount(collected_at=hours_ago(hours), value=value, source="lab")


def audit_total(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


SOURCE = Path(__file__).resolve().parents[1]


def run_from_source(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`itp-monitor ARGS` as `python -m itp_monitor` from this source tree, so that a
    command is tested before the package is reinstalled; $ITP_MONITOR_DB left out.
    `env`: variables set (or, with an empty value, removed) for it; `stdin`: what it
    reads (else nothing)."""
    environment = {k: v for k, v in os.environ.items() if k != "ITP_MONITOR_DB"}
    environment["PYTHONPATH"] = os.pathsep.join([str(SOURCE), environment.get("PYTHONPATH", "")])
    for name, value in (env or {}).items():
        if value:
            environment[name] = value
        else:
            environment.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "itp_monitor", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin if stdin is not None else "",
        timeout=120,
    )
