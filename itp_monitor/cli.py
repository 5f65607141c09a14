"""The `itp-monitor` command: opens the app, or runs a subcommand (docs/command-line.md).

Exit codes: 0 success; 1 the input was refused or the database cannot be used
(the message on stderr says what and where); 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import ArgumentError, DBAPIError

from itp_monitor import __version__, cli_security, flag_report, lab_report, last_resort
from itp_monitor.bootstrap import open_problem, open_services
from itp_monitor.domain.evaluation import evaluation_time
from itp_monitor.domain.protocol import limits
from itp_monitor.domain.validation import InvalidEntry
from itp_monitor.domain.wording import counted
from itp_monitor.services.accounts import AccountRefused
from itp_monitor.services.backups import BackupFailed, BackupRefused, FolderUnusable
from itp_monitor.services.container import Services, build_services
from itp_monitor.services.context import local_now, to_utc
from itp_monitor.services.demo import DemoAlreadyLoaded
from itp_monitor.services.errors import Failure, NotFound, StorageFailure
from itp_monitor.services.lab_files import FIELDS as LAB_FIELDS
from itp_monitor.services.lab_files import UnreadableFile, factor_of
from itp_monitor.services.lab_import import LabOptions
from itp_monitor.services.record_file import FileRefused
from itp_monitor.services.restore import Restored, RestoreRefused
from itp_monitor.services.restore import restore as restore_backup
from itp_monitor.services.sync import SyncRefused
from itp_monitor.storage import cipher, keys, owner_only
from itp_monitor.storage.database import ENV_VAR, Database, resolve_location
from itp_monitor.storage.failures import classify
from itp_monitor.storage.migrate import SchemaError
from itp_monitor.storage.sqlite import BUSY_TIMEOUT_MS as BUSY_TIMEOUT_DEFAULT_MS

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
NOTHING_CHANGED = "Nothing was changed."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itp-monitor",
        description="Monitor rhTPO treatment and platelet counts of pregnant women with ITP. "
        "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help=f"database: an SQLite file, or a SQLAlchemy URL (default: ${ENV_VAR}, "
        "else a file in your data folder)",
    )
    cli_security.add_global(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    imp = commands.add_parser("import", help="import a patient record file (all or nothing)")
    imp.add_argument("file", type=Path, metavar="FILE.json")
    imp.add_argument(
        "--merge",
        action="store_true",
        help="add the file's records to patients already in the database "
        "(nothing stored is changed)",
    )

    exp = commands.add_parser("export", help="write a patient record file")
    exp.add_argument("file", type=Path, metavar="FILE.json")
    exp.add_argument("--mrn", action="append", help="only this patient (may be repeated)")

    commands.add_parser("demo", help="load the demonstration ward")

    flags = commands.add_parser("flags", help="evaluate the flags of the ward at a time")
    flags.add_argument(
        "--at",
        type=_moment,
        metavar="DATE_OR_DATETIME",
        help="evaluate at this local time (a date means its end, 23:59:59); default now",
    )
    flags.add_argument("--json", action="store_true", help="print JSON for other programs")
    flags.add_argument("--mrn", action="append", help="only this patient (may be repeated)")

    labs = commands.add_parser(
        "import-labs", help="read a laboratory file (CSV or HL7 ORU^R01) and show what it would add"
    )
    labs.add_argument("file", type=Path, metavar="FILE")
    labs.add_argument("--yes", action="store_true", help="save the new results and corrections")
    labs.add_argument("--json", action="store_true", help="print JSON for other programs")
    labs.add_argument(
        "--map",
        action="append",
        type=_mapping,
        default=[],
        metavar="HEADER=FIELD",
        help=f"read the column HEADER as FIELD ({', '.join(LAB_FIELDS)})",
    )
    labs.add_argument("--unit", type=_unit, help="the unit of rows that give none (e.g. 10^9/L)")
    labs.add_argument(
        "--time-format",
        metavar="FMT",
        help="strftime layout of the times, e.g. %%d/%%m/%%Y %%H:%%M",
    )

    csv_out = commands.add_parser("export-csv", help="write counts and injections as CSV")
    csv_out.add_argument("file", type=Path, metavar="FILE.csv")
    csv_out.add_argument("--mrn", action="append", help="only this patient (may be repeated)")

    series = commands.add_parser(
        "export-series",
        help="write the case-series table: one row per woman and rhTPO course, de-identified",
    )
    series.add_argument("file", type=Path, metavar="FILE.csv|FILE.pdf")
    series.add_argument(
        "--identified", action="store_true", help="add MRNs, names and dates (not for sharing)"
    )
    series.add_argument(
        "--at", type=_moment, metavar="DATE_OR_DATETIME", help="as the records stood then"
    )

    fhir = commands.add_parser("export-fhir", help="write one patient as a FHIR R4 Bundle")
    fhir.add_argument("file", type=Path, metavar="FILE.json")
    fhir.add_argument("--mrn", required=True, help="the patient")

    device = commands.add_parser(
        "device", help="show this database's device id and name, or rename it"
    )
    device.add_argument("--name", metavar="NEW", help="rename the device (its id stays)")
    device.add_argument("--json", action="store_true", help="print JSON for other programs")

    sync = commands.add_parser(
        "sync",
        help="bring this database and another (a file, created when absent, or a database "
        "URL) to the same records, both ways",
    )
    sync.add_argument("other", metavar="OTHER", help="the other database: a file path or a URL")
    sync.add_argument("--json", action="store_true", help="print JSON for other programs")

    conflicts = commands.add_parser(
        "conflicts", help="list what two devices did apart that staff must settle"
    )
    conflicts.add_argument("--json", action="store_true", help="print JSON for other programs")

    backup = commands.add_parser(
        "backup",
        help="take a verified online copy of the database into DIR (default: backups/ "
        "beside it and this device's second backup folder), keeping older copies by the rule",
    )
    backup.add_argument("dir", metavar="DIR", nargs="?", type=Path, help="the folder for it")

    check = commands.add_parser(
        "check",
        help="check that the database is sound and its audit trail unbroken (exit 1 if not)",
    )
    check.add_argument("--json", action="store_true", help="print JSON for other programs")

    trail = commands.add_parser("audit", help="print the audit trail: who changed what, when, why")
    trail.add_argument("--mrn", help="only the entries about this patient")
    trail.add_argument("--json", action="store_true", help="print JSON for other programs")

    restore = commands.add_parser(
        "restore",
        help="put a backup in the database's place; the database as it was is kept beside "
        "it, never deleted",
    )
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="the backup file")
    restore.add_argument(
        "--other-database",
        action="store_true",
        help="restore it even though it is a backup of another database (another computer's)",
    )

    cli_security.add_parsers(commands)

    report = commands.add_parser(
        "report", help="write the delivery handover of a patient, or the ward summary, as PDF"
    )
    report.add_argument("file", type=Path, metavar="FILE.pdf")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--mrn", help="the delivery handover of this patient")
    which.add_argument("--ward", action="store_true", help="the one-page ward summary")
    report.add_argument(
        "--at", type=_moment, metavar="DATE_OR_DATETIME", help="as the records stood then"
    )
    return parser


def _mapping(text: str) -> tuple[str, str]:
    header, sep, field = text.partition("=")
    if not sep or not header.strip() or field.strip() not in LAB_FIELDS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HEADER=FIELD with FIELD one of {', '.join(LAB_FIELDS)}"
        )
    return header.strip(), field.strip()


def _unit(text: str) -> str:
    if factor_of(text) is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a platelet unit (10^9/L, G/L, 10^3/uL, K/uL, /uL)"
        )
    return text


def _moment(text: str) -> datetime:
    try:
        moment = evaluation_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2026-11-01) or a local date and time (2026-11-01T08:00)"
        ) from None
    earliest = limits().earliest_year
    try:
        to_utc(moment)  # the records are kept in UTC: near year 1 or 9999 there is none
        in_range = moment.year >= earliest
    except (ValueError, OverflowError):
        in_range = False
    if not in_range:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a date from {earliest}-01-01 on"
        )
    return moment


def _import(services: Services, args: argparse.Namespace) -> int:
    outcome = services.exchange.import_file(args.file, merge=args.merge)
    for note in outcome.notes:  # saved, but unusual: said so that someone looks
        print(f"note: {note}")
    parts = []
    if outcome.created:
        parts.append(f"{len(outcome.created)} new ({', '.join(outcome.created)})")
    if outcome.merged:
        parts.append(f"{len(outcome.merged)} merged ({', '.join(outcome.merged)})")
    print(
        f"Imported {args.file}: patients {'; '.join(parts) or 'none'}; "
        f"{outcome.records_added} records added, "
        f"{outcome.records_already_present} already present."
    )
    return EXIT_OK


def _export(services: Services, args: argparse.Namespace) -> int:
    written = services.exchange.export_file(args.file, args.mrn)
    print(f"Wrote {_patients(written)} to {args.file}")
    return EXIT_OK


def _demo(services: Services, _args: argparse.Namespace) -> int:
    outcome = services.demo.load()
    print(
        f"Loaded the demonstration ward into {services.db.location.describe()}: "
        f"{len(outcome.created)} patients, {outcome.records_added} records."
    )
    return EXIT_OK


def _flags(services: Services, args: argparse.Namespace) -> int:
    at = args.at or services.evaluation.clock()
    results = services.evaluation.ward(at, args.mrn)
    if args.json:
        print(json.dumps(flag_report.as_json(at, results), indent=2, ensure_ascii=False))
    else:
        print(flag_report.as_table(at, results))
    return EXIT_OK


def _import_labs(services: Services, args: argparse.Namespace) -> int:
    options = LabOptions(dict(args.map), args.unit, args.time_format)
    try:
        preview = (services.labs.save if args.yes else services.labs.preview)(args.file, options)
    except UnreadableFile as e:
        print(f"itp-monitor import-labs: {e}", file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        print(json.dumps(preview.as_json(), indent=2, ensure_ascii=False))
    else:
        print(lab_report.as_table(preview))
    return EXIT_OK


def _export_csv(services: Services, args: argparse.Namespace) -> int:
    written = services.exports.write_records_csv(args.file, args.mrn)
    print(f"Wrote the counts and injections of {_patients(written)} to {args.file}")
    return EXIT_OK


def _export_series(services: Services, args: argparse.Namespace) -> int:
    if args.file.suffix.lower() == ".pdf":
        from itp_monitor.gui.reports.render import write_series_pdf

        series = services.exports.case_series(args.at)
        write_series_pdf(args.file, series, identified=args.identified)
    else:
        series = services.exports.write_series_csv(
            args.file, identified=args.identified, at=args.at
        )
    summary = series.summary
    kind = "identified" if args.identified else "de-identified"
    print(
        f"Wrote the {kind} case series to {args.file}: {_patients(summary.women)}, "
        f"{summary.courses} course{'s' if summary.courses != 1 else ''}."
    )
    return EXIT_OK


def _export_fhir(services: Services, args: argparse.Namespace) -> int:
    entries = services.exports.write_fhir(args.file, args.mrn)
    print(f"Wrote a FHIR R4 Bundle of {entries} resources to {args.file}")
    return EXIT_OK


def _report(services: Services, args: argparse.Namespace) -> int:
    from itp_monitor.gui.reports.render import write_handover_pdf, write_ward_pdf

    at = args.at or services.evaluation.clock()
    if args.ward:
        write_ward_pdf(args.file, services.reports.ward(at))
        print(f"Wrote the ward summary to {args.file}")
    else:
        handover = services.reports.handover(args.mrn, at)
        write_handover_pdf(args.file, handover)
        print(f"Wrote the delivery handover of {handover.patient.mrn} to {args.file}")
    return EXIT_OK


def _device(services: Services, args: argparse.Namespace) -> int:
    try:
        found = services.device.this() if args.name is None else services.device.rename(args.name)
    except InvalidEntry as e:
        print(f"itp-monitor device: refused, nothing was saved: {e}", file=sys.stderr)
        return EXIT_REFUSED
    if args.json:
        print(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{found.name} ({found.uid})")
    return EXIT_OK


def _sync(services: Services, args: argparse.Namespace) -> int:
    command = "itp-monitor sync"
    try:
        outcome = services.sync.sync(args.other)
    except SyncRefused as e:
        print(f"{command}: {e}; nothing was changed on either side", file=sys.stderr)
        return EXIT_REFUSED
    except (StorageFailure, SchemaError, DBAPIError, ArgumentError, ImportError) as e:
        problem = open_problem(args.other, e)
        if problem is None:
            raise
        line = problem.line()
        if NOTHING_CHANGED in line:  # a schema's refusal says so itself
            line = line.replace(NOTHING_CHANGED, f"{NOTHING_CHANGED[:-1]} on either side.")
        else:
            line = f"{line}; nothing was changed on either side"
        print(f"{command}: {line}", file=sys.stderr)
        return EXIT_REFUSED
    for notice in outcome.notices:  # as import's notes: on standard error, also with --json
        print(f"note: {notice}", file=sys.stderr)
    if args.json:
        print(json.dumps(outcome.as_json()))
        return EXIT_OK
    print(
        f"Synchronised with {outcome.other_device} ({outcome.other}): "
        f"sent {counted(outcome.sent, 'record')}, received {counted(outcome.received, 'record')}."
    )
    if outcome.accounts_sent or outcome.accounts_received:
        print(
            f"Accounts (new or changed): sent {counted(outcome.accounts_sent, 'account')}, "
            f"received {counted(outcome.accounts_received, 'account')}."
        )
    if outcome.new_conflicts:
        print(f"New: {counted(outcome.new_conflicts, 'conflict')} for staff to settle.")
    if outcome.open_conflicts:
        print(
            f"Open: {counted(outcome.open_conflicts, 'conflict')}; "
            "see `itp-monitor conflicts` or the app's Conflicts view."
        )
    return EXIT_OK


def _conflicts(services: Services, args: argparse.Namespace) -> int:
    found = services.conflicts.open()
    if args.json:
        print(json.dumps({"conflicts": [c.as_json() for c in found]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not found:
        print("No open conflicts.")
    for conflict in found:
        print(f"{conflict.describe()} (found {conflict.detected_at_utc:%Y-%m-%d %H:%M} UTC)")
        for version in conflict.versions:
            print(f"    {version}")
    return EXIT_OK


def _backup(services: Services, args: argparse.Namespace) -> int:
    """Into DIR alone when given; else into `backups/` and this device's second folder,
    each copy's path on its own line (for scripts), each folder missed on stderr, exit 1
    when any was missed (a cron job must notice an unplugged USB disk)."""
    command = "itp-monitor backup"
    try:
        if args.dir is not None:
            taken = services.backups.take(args.dir)
            print(taken.path)  # alone on standard output, for scripts
            return EXIT_OK
        done = services.backups.take_all()
    except (BackupRefused, BackupFailed, FolderUnusable) as e:
        print(f"{command}: {e}; no backup was taken", file=sys.stderr)
        return EXIT_REFUSED
    for backup in done.taken:
        print(backup.path)
    for missed in done.missed:
        print(f"{command}: {missed.why}", file=sys.stderr)
    return EXIT_OK if done.complete else EXIT_REFUSED


def _check(services: Services, args: argparse.Namespace) -> int:
    report = services.check.full()
    where = services.db.location.name()
    if args.json:
        print(report.as_json(services.check.backups_folder()))
        return EXIT_OK if report.ok else EXIT_REFUSED
    if report.ok:
        print(
            f"{where} is sound: SQLite's checks pass, every guard is in place, the audit "
            f"trail's {report.entries} links hold, and {report.records} record versions have "
            "their audit entries."
        )
        return EXIT_OK
    print(f"{where} has {counted(len(report.problems), 'problem')}:")
    for problem in report.problems:
        print(f"  {problem.check}: {problem.detail}")
    print(f"What to do: {report.advice(services.check.backups_folder())}")
    return EXIT_REFUSED


def _audit(services: Services, args: argparse.Namespace) -> int:
    entries = services.trail.entries(args.mrn)
    if args.json:
        print(json.dumps({"entries": [e.as_json() for e in entries]}, ensure_ascii=False))
        return EXIT_OK
    for e in entries:
        about = " ".join(x for x in (e.mrn, e.kind, e.record) if x)
        change = json.dumps(e.after if e.after is not None else e.before, ensure_ascii=False)
        why = f" because: {e.reason}" if e.reason else ""
        print(f"{e.at_utc:%Y-%m-%d %H:%M:%S} UTC  {e.user} on {e.device}  {e.action} {about}")
        print(f"    {change}{why}")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    """Run without opening the database first: a damaged one, which cannot be opened, is
    the one most in need of its backup."""
    command = "itp-monitor restore"
    unchanged = "nothing was changed"
    location = resolve_location(args.db)
    if location.path is None or not location.url.startswith("sqlite"):
        print(
            f"{command}: {location.name()} is a server's database: restore it there with "
            "pg_restore (README: a ward's shared PostgreSQL server); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    keys.prepare(location)
    if cipher.in_use() is None and cipher.encrypted(args.backup):
        cipher.use(keys.find())  # an encrypted backup for a database not yet there
    try:
        user = cli_security.restorer(args)
    except cli_security.SignInFailed as e:
        print(f"{command}: {e}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        done = restore_backup(
            location.path,
            args.backup,
            user=user,
            clock=local_now,
            other_database=args.other_database,
        )
    except RestoreRefused as e:
        print(f"{command}: {e}; {unchanged}", file=sys.stderr)
        return EXIT_REFUSED
    except StorageFailure as e:
        print(f"{command}: {e}; {e.advice}; {unchanged}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as e:
        failure = classify(e)
        what = failure.words if failure is not None else (e.strerror or str(e))
        print(f"{command}: {what}: {e.filename or location.path}; {unchanged}", file=sys.stderr)
        return EXIT_REFUSED
    for line in restored_lines(done, location.path):
        print(line)
    return EXIT_OK


def restored_lines(done: Restored, path: Path) -> list[str]:
    """What a restore did, for a person: which backup went where, and where the database
    as it was is kept."""
    backup = done.backup
    lines = [
        f"Restored {backup.path} (taken {backup.taken_at:%Y-%m-%d %H:%M}: "
        f"{counted(backup.women or 0, 'woman', 'women')}, "
        f"{counted(backup.records or 0, 'record')}) into {path}."
    ]
    if done.set_aside is None:
        lines.append("There was no database there before.")
    elif done.moved:
        lines.append(
            f"The database there could not be opened: its files were moved, not deleted, "
            f"to {done.set_aside}."
        )
    else:
        lines.append(f"The database as it was is kept at {done.set_aside}.")
    if done.upgraded_from is not None:
        lines.append(f"The backup was brought from schema {done.upgraded_from} to this version's.")
    return lines


def _patients(n: int) -> str:
    return counted(n, "patient")


COMMANDS = {
    "import": _import,
    "export": _export,
    "demo": _demo,
    "flags": _flags,
    "import-labs": _import_labs,
    "export-csv": _export_csv,
    "export-series": _export_series,
    "export-fhir": _export_fhir,
    "report": _report,
    "device": _device,
    "sync": _sync,
    "conflicts": _conflicts,
    "backup": _backup,
    "check": _check,
    "audit": _audit,
    "encrypt": cli_security.encrypt,
    "users": cli_security.users,
}
# Commands run before the database is opened, on its location alone.
UNOPENED_COMMANDS = {"restore": _restore}


# How long a command's write waits for another program's write lock before it gives up.
BUSY_TIMEOUT_MS = BUSY_TIMEOUT_DEFAULT_MS
# Commands that only read: they never create a database, and read a read-only one.
READING_COMMANDS = frozenset(
    {
        *("export", "flags", "report", "export-csv", "export-series", "export-fhir"),
        *("conflicts", "backup", "check", "audit"),
    }
)


# Commands that change a database that must be there already.
NEVER_CREATE = frozenset({"encrypt"})


def only_reads(args: argparse.Namespace) -> bool:
    return (
        args.command in READING_COMMANDS
        or (args.command == "users" and args.action == "list")
        or (args.command == "import-labs" and not args.yes)
        or (args.command == "device" and args.name is None)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command. Whatever happens, a person sees a line or two, never a traceback:
    anything unforeseen is logged (last_resort) and named by the log file, exit 1."""
    owner_only.restrict_new_files()  # the database, its backups and exports: owner's only
    args = build_parser().parse_args(argv)  # exits 2 on a usage error
    if args.command is None:
        return _open_app(args.db)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print(
            f"itp-monitor {args.command}: interrupted; what was not finished was not saved",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    except Exception as error:
        said = last_resort.report(error, f"the {args.command} command")
        print(f"itp-monitor {args.command}: {said.line()}", file=sys.stderr)
        return EXIT_REFUSED


def _open_app(db_option: str | None) -> int:
    try:
        from itp_monitor.app import run_app

        return run_app(db_option)
    except Exception as error:  # before the app's own handler is up: Qt's libraries missing
        print(f"itp-monitor: {last_resort.report(error, 'the app').line()}", file=sys.stderr)
        return EXIT_REFUSED


def _open(args: argparse.Namespace) -> Services:
    if args.command == "check":  # as it is: a check neither upgrades nor writes
        location = resolve_location(args.db).reading_only()
        keys.prepare(location)
        return build_services(Database(location, BUSY_TIMEOUT_MS, create=False))
    reads = only_reads(args)
    try:
        create = not reads and args.command not in NEVER_CREATE
        return open_services(args.db, busy_timeout_ms=BUSY_TIMEOUT_MS, create=create)
    except StorageFailure as e:
        if not reads or e.failure not in (Failure.READ_ONLY, Failure.FULL):
            raise
    # Reading needs no write: a read-only file, or one on a full disk, can still be read.
    return open_services(args.db, busy_timeout_ms=BUSY_TIMEOUT_MS, create=False, read_only=True)


def _run(args: argparse.Namespace) -> int:
    command = f"itp-monitor {args.command}"
    if args.command in UNOPENED_COMMANDS:
        return UNOPENED_COMMANDS[args.command](args)
    try:
        services = _open(args)
    except (StorageFailure, SchemaError, DBAPIError, ArgumentError, OSError, ImportError) as e:
        problem = open_problem(args.db, e)
        if problem is None:
            raise
        print(f"{command}: {problem.line()}", file=sys.stderr)
        return EXIT_REFUSED
    try:
        services = cli_security.signed_in(services, args, writes=not only_reads(args))
    except cli_security.SignInFailed as e:
        print(f"{command}: {e}", file=sys.stderr)
        services.db.dispose()
        return EXIT_REFUSED
    try:
        return COMMANDS[args.command](services, args)
    except FileRefused as e:
        print(f"{command}: refused, nothing was saved:", file=sys.stderr)
        for problem_text in e.problems:
            print(f"  {problem_text}", file=sys.stderr)
        return EXIT_REFUSED
    except (NotFound, DemoAlreadyLoaded) as e:
        print(f"{command}: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except AccountRefused as e:  # a role that may not do it
        print(f"{command}: {e}; {NOTHING_CHANGED.lower().rstrip('.')}", file=sys.stderr)
        return EXIT_REFUSED
    except StorageFailure as e:
        unsaved = "" if only_reads(args) else "; nothing was saved"
        print(f"{command}: {e}; {e.advice}{unsaved}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as e:  # the file named on the command line: absent, unwritable, disk full
        failure = classify(e)
        if failure is Failure.FULL:  # a write fails without naming its file: name it
            name = e.filename or getattr(args, "file", "")
            print(f"{command}: {name}: {failure.words}; {failure.advice}", file=sys.stderr)
        else:
            print(f"{command}: {e.strerror or e}: {e.filename or ''}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        services.db.dispose()


if __name__ == "__main__":
    sys.exit(main())
