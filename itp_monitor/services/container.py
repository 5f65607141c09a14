"""All the services over one database, as the GUI and the command line receive them."""

from __future__ import annotations

from dataclasses import dataclass

from itp_monitor.services.accounts import AccountService
from itp_monitor.services.backups import BackupService
from itp_monitor.services.changes import ChangeWatch
from itp_monitor.services.check import CheckService
from itp_monitor.services.conflicts import ConflictService
from itp_monitor.services.context import Clock, local_now, operating_system_user
from itp_monitor.services.demo import DemoService
from itp_monitor.services.device import DeviceService
from itp_monitor.services.encryption import EncryptionService
from itp_monitor.services.evaluation import EvaluationService
from itp_monitor.services.exchange import ExchangeService
from itp_monitor.services.exports import ExportService
from itp_monitor.services.lab_import import LabImportService
from itp_monitor.services.patients import PatientService
from itp_monitor.services.protocol import ProtocolService
from itp_monitor.services.records import RecordService
from itp_monitor.services.reports import ReportService
from itp_monitor.services.security import SecurityService
from itp_monitor.services.sync import SyncService
from itp_monitor.services.trail import TrailService
from itp_monitor.storage.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    user: str
    patients: PatientService
    records: RecordService
    exchange: ExchangeService
    demo: DemoService
    evaluation: EvaluationService
    protocol: ProtocolService
    labs: LabImportService
    exports: ExportService
    reports: ReportService
    device: DeviceService
    sync: SyncService
    conflicts: ConflictService
    backups: BackupService
    check: CheckService
    trail: TrailService
    security: SecurityService
    encryption: EncryptionService
    accounts: AccountService

    def act_as(self, user: str) -> None:
        """From now on every service stamps its work with `user` (the account signed in,
        after a sign-in at the app's lock): the window keeps the same services."""
        object.__setattr__(self, "user", user)
        for name in self.__dataclass_fields__:
            service = getattr(self, name)
            if hasattr(service, "user") and not isinstance(service, str):
                service.user = user

    def watch_changes(self) -> ChangeWatch:
        """A watch on what others write to the database (close it when done)."""
        return ChangeWatch(self.db, self.user)


def build_services(db: Database, user: str | None = None, clock: Clock = local_now) -> Services:
    user = user or operating_system_user()
    exchange = ExchangeService(db, user, clock)
    patients = PatientService(db, user, clock)
    return Services(
        db=db,
        user=user,
        patients=patients,
        records=RecordService(db, user, clock),
        exchange=exchange,
        demo=DemoService(exchange, patients, clock),
        evaluation=EvaluationService(db, user, clock),
        protocol=ProtocolService(db, user, clock),
        labs=LabImportService(db, user, clock),
        exports=ExportService(db, user, clock),
        reports=ReportService(db, user, clock),
        device=DeviceService(db, user, clock),
        sync=SyncService(db, user, clock),
        conflicts=ConflictService(db, user, clock),
        backups=BackupService(db, user, clock),
        check=CheckService(db, user, clock),
        trail=TrailService(db, user, clock),
        security=SecurityService(db, user, clock),
        encryption=EncryptionService(db, user, clock),
        accounts=AccountService(db, user, clock),
    )
