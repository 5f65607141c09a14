"""The fixed lists of the records and the audit trail, each member with the words shown for it."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class AuditAction(StrEnum):
    """What an audit entry records; the value is what the audit trail stores."""

    CREATE = "create"
    CORRECT = "correct"
    VOID = "void"
    ARCHIVE = "archive"
    RESTORE = "restore"
    SETTING = "setting"
    RESTORE_BACKUP = "restore_backup"  # the database was put back from a backup
    ACCOUNT = "account"  # an account added, disabled, its password reset
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"  # a wrong password (or a locked account)
    LOCKED_OUT = "locked_out"  # too many wrong passwords in a row

    @property
    def label(self) -> str:
        """In the History: 'recorded', 'corrected', ..."""
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    AuditAction.CREATE: "recorded",
    AuditAction.CORRECT: "corrected",
    AuditAction.VOID: "voided",
    AuditAction.ARCHIVE: "archived",
    AuditAction.RESTORE: "restored to the ward",
    AuditAction.SETTING: "changed a setting",
    AuditAction.RESTORE_BACKUP: "restored the database from a backup",
    AuditAction.ACCOUNT: "changed an account",
    AuditAction.SIGN_IN: "signed in",
    AuditAction.SIGN_IN_FAILED: "failed to sign in",
    AuditAction.LOCKED_OUT: "was locked out",
}


class Role(StrEnum):
    """What an account may do (interfaces.md, "Encryption and sign-in"). Each role may do
    what the one before it may: a doctor all a nurse may, an admin all a doctor may."""

    NURSE = "nurse"  # nurses and midwives: record, correct, void, import, sync
    DOCTOR = "doctor"  # also the unit's protocol and the laboratory codes
    ADMIN = "admin"  # also accounts, encryption and restoring a backup

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]

    def may(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may."""
        order = list(Role)
        return order.index(self) >= order.index(needed)


_ROLE_LABELS = {
    Role.NURSE: "nurse or midwife",
    Role.DOCTOR: "doctor",
    Role.ADMIN: "administrator",
}


class RecordStatus(StrEnum):
    """Where a version of a clinical record stands; only `current` ones count."""

    CURRENT = "current"
    CORRECTED = "corrected"
    VOIDED = "voided"


STATUS_ORDER = (RecordStatus.CURRENT, RecordStatus.CORRECTED, RecordStatus.VOIDED)
"""A status only moves forward along this order, also when a sync meets two of them."""


class ConflictKind(StrEnum):
    """What two devices did to one thing that only staff can settle (services/sync.py)."""

    CORRECTED_TWICE = "corrected_twice"
    CORRECTED_AND_VOIDED = "corrected_and_voided"
    ENTERED_TWICE = "entered_twice"
    SECOND_DELIVERY = "second_delivery"
    REGISTERED_TWICE = "registered_twice"
    DETAILS_TWICE = "details_twice"
    SETTLED_TWICE = "settled_twice"
    ON_LINKED = "on_linked"  # entered on a registration another device had linked away
    SETTING_TWICE = "setting_twice"  # a protocol setting changed on two devices apart

    @property
    def label(self) -> str:
        """What happened, as the conflicts list says it."""
        return _CONFLICT_LABELS[self]


_CONFLICT_LABELS = {
    ConflictKind.CORRECTED_TWICE: "corrected on two devices",
    ConflictKind.CORRECTED_AND_VOIDED: "corrected on one device, voided on another",
    ConflictKind.ENTERED_TWICE: "entered on two devices",
    ConflictKind.SECOND_DELIVERY: "a second delivery, from another device",
    ConflictKind.REGISTERED_TWICE: "registered on two devices",
    ConflictKind.DETAILS_TWICE: "details changed on two devices",
    ConflictKind.SETTLED_TWICE: "settled differently on two devices",
    ConflictKind.ON_LINKED: "entered on a registration since linked into hers",
    ConflictKind.SETTING_TWICE: "changed on two devices",
}


class Settlement(StrEnum):
    """How staff settled a conflict."""

    CORRECTED = "corrected"  # by a correction of one of the versions
    VOIDED = "voided"  # by voiding the versions not kept
    KEPT = "kept"  # both stand, as they are: staff checked them
    LINKED = "linked"  # two registrations of one woman linked into one


class CountSource(StrEnum):
    """Where a count came from; files may name others (a lab's own word, 'unspecified')."""

    LAB = "lab"
    POINT_OF_CARE = "point_of_care"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]


_SOURCE_LABELS = {
    CountSource.LAB: "laboratory",
    CountSource.POINT_OF_CARE: "point of care",
    CountSource.MANUAL: "ward entry",
}


class TreatmentKind(StrEnum):
    PREDNISONE = "prednisone"
    DEXAMETHASONE = "dexamethasone"
    IVIG = "ivig"
    ANTI_D = "anti_d"
    PLATELET_TRANSFUSION = "platelet_transfusion"
    OTHER = "other"

    @property
    def label(self) -> str:
        """In the ward's words: IVIG, anti-D, platelet transfusion."""
        return _LABELS.get(self.value, self.value.replace("_", " "))


class DeliveryMode(StrEnum):
    VAGINAL = "vaginal"
    ASSISTED_VAGINAL = "assisted_vaginal"
    CAESAREAN = "caesarean"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Anaesthesia(StrEnum):
    NONE = "none"
    NEURAXIAL = "neuraxial"
    GENERAL = "general"

    @property
    def label(self) -> str:
        return "no anaesthesia" if self is Anaesthesia.NONE else self.value


class InjectionSite(StrEnum):
    ABDOMEN_LEFT = "abdomen-left"
    ABDOMEN_RIGHT = "abdomen-right"
    THIGH_LEFT = "thigh-left"
    THIGH_RIGHT = "thigh-right"
    ARM_LEFT = "arm-left"
    ARM_RIGHT = "arm-right"

    @property
    def label(self) -> str:
        """In the ward's words: 'thigh-left' is the left thigh."""
        place, side = self.value.split("-")
        return f"{side} {place}"


class WhoBleedingGrade(IntEnum):
    """The WHO bleeding scale."""

    NONE = 0
    PETECHIAE_OR_MINOR = 1
    MILD_SIGNIFICANT = 2
    GROSS_NEEDS_TRANSFUSION = 3
    DEBILITATING = 4

    @property
    def description(self) -> str:
        return _WHO_DESCRIPTIONS[self]

    @property
    def label(self) -> str:
        return f"{self.value}: {self.description}"


_LABELS = {"ivig": "IVIG", "anti_d": "anti-D", "other": "other treatment"}

_WHO_DESCRIPTIONS = {
    WhoBleedingGrade.NONE: "none",
    WhoBleedingGrade.PETECHIAE_OR_MINOR: "petechiae or minor bleeding",
    WhoBleedingGrade.MILD_SIGNIFICANT: "mild but clinically significant, no transfusion",
    WhoBleedingGrade.GROSS_NEEDS_TRANSFUSION: "gross bleeding needing red-cell transfusion",
    WhoBleedingGrade.DEBILITATING: "debilitating (retinal with loss of vision, CNS, fatal)",
}


class AdverseEventGrade(IntEnum):
    """Severity of an adverse event (CTCAE grades)."""

    MILD = 1
    MODERATE = 2
    SEVERE = 3
    LIFE_THREATENING = 4
    DEATH = 5

    @property
    def label(self) -> str:
        return f"{self.value}: {self.name.replace('_', ' ').lower()}"


def values_of(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored spellings of a list, in order."""
    return tuple(member.value for member in enum)
