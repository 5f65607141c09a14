"""One patient as a FHIR R4 Bundle: Patient, an Observation per platelet count, a
MedicationAdministration per rhTPO injection (docs/command-line.md, `export-fhir`).

A collection Bundle whose entries are named by urn:uuid URLs derived from the
database's ids, so that exporting the same records twice gives the same URLs and
a receiving system can recognise what it already holds. Ward times are local;
FHIR wants an offset with every time, so each gets the local offset it had.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from itp_monitor.domain.records import Injection, PlateletCount
from itp_monitor.services.results import PatientRecords, Stored

NAMESPACE = uuid.UUID("6f1e8b52-1c8e-4f0e-9d3c-3b0e6f9a7c11")  # ITP Monitor's, fixed
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PLATELETS = {
    "system": LOINC,
    "code": "777-3",
    "display": "Platelets [#/volume] in Blood by Automated count",
}
SUBCUTANEOUS = {"system": SNOMED, "code": "34206005", "display": "Subcutaneous route"}
RHTPO = "recombinant human thrombopoietin (rhTPO)"


def urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(str(p) for p in parts))}"


def fhir_time(moment: datetime) -> str:
    """A local ward time with its offset: 2026-11-24T08:00:00+01:00.

    FHIR wants an offset on every time. Near the calendar's ends (a record in the year
    1, stored by an older version) the operating system cannot say one; the offset of
    the nearest time it can answer for is used, so the export never fails on it.
    """
    try:
        return moment.astimezone().isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        nearest = min(max(moment, _SAFE_FIRST), _SAFE_LAST)
        offset = nearest.astimezone().utcoffset() or timedelta(0)
        return moment.replace(tzinfo=timezone(offset)).isoformat(timespec="seconds")


_SAFE_FIRST, _SAFE_LAST = datetime(1970, 1, 2), datetime(9998, 12, 31)


def _patient(records: PatientRecords) -> dict[str, Any]:
    details = records.patient.details
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": V2_0203, "code": "MR"}], "text": "MRN"},
                "value": details.mrn,
            }
        ],
        "active": not records.patient.archived,
        "name": [{"text": details.name}],
    }
    if details.date_of_birth:
        resource["birthDate"] = details.date_of_birth.isoformat()
    return resource


def _observation(stored: Stored[PlateletCount], subject: str) -> dict[str, Any]:
    count = stored.record
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        # A corrected count's value is not the first one reported.
        "status": "amended" if stored.supersedes_id is not None else "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [PLATELETS], "text": "Platelet count"},
        "subject": {"reference": subject},
        "effectiveDateTime": fhir_time(count.collected_at),
        "valueQuantity": {
            "value": count.value,
            "unit": "10*9/L",
            "system": UCUM,
            "code": "10*9/L",
        },
    }
    if count.accession:
        resource["identifier"] = [
            {"type": {"coding": [{"system": V2_0203, "code": "ACSN"}]}, "value": count.accession}
        ]
    return resource


def _administration(stored: Stored[Injection], subject: str) -> dict[str, Any]:
    dose = stored.record
    per_kg = dose.dose_units / dose.weight_kg
    dosage: dict[str, Any] = {
        "text": f"{dose.dose_units} U subcutaneously ({per_kg:.0f} U/kg on {dose.weight_kg:g} kg)",
        "route": {"coding": [SUBCUTANEOUS]},
        # The product's own units: arbitrary units in UCUM, not the enzyme unit U.
        "dose": {"value": dose.dose_units, "unit": "U", "system": UCUM, "code": "[arb'U]"},
    }
    if dose.site:
        dosage["site"] = {"text": dose.site.replace("-", ", ")}
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "subject": {"reference": subject},
        "effectiveDateTime": fhir_time(dose.given_at),
        "dosage": dosage,
    }
    if dose.lot:
        resource["contained"] = [
            {
                "resourceType": "Medication",
                "id": "rhtpo",
                "code": {"text": RHTPO},
                "batch": {"lotNumber": dose.lot},
            }
        ]
        resource["medicationReference"] = {"reference": "#rhtpo", "display": RHTPO}
    else:
        resource["medicationCodeableConcept"] = {"text": RHTPO}
    if dose.given_by:
        resource["performer"] = [{"actor": {"display": dose.given_by}}]
    if dose.notes:
        resource["note"] = [{"text": dose.notes}]
    return resource


def patient_bundle(records: PatientRecords, now: datetime) -> dict[str, Any]:
    """The Bundle of her current counts and injections, in time order."""
    subject = urn("patient", records.patient.id)
    entries = [{"fullUrl": subject, "resource": _patient(records)}]
    entries += [
        {"fullUrl": urn("count", c.id), "resource": _observation(c, subject)}
        for c in records.counts
    ]
    entries += [
        {"fullUrl": urn("injection", i.id), "resource": _administration(i, subject)}
        for i in records.injections
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.astimezone(UTC).isoformat(timespec="seconds"),
        "entry": entries,
    }
