"""Whatever valid records are written to a record file are read back unchanged."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from itp_monitor.domain.records import (
    AdverseEvent,
    BleedingAssessment,
    Delivery,
    Injection,
    NeonatalCount,
    PatientDetails,
    PlateletCount,
    Treatment,
)
from itp_monitor.domain.vocab import (
    Anaesthesia,
    DeliveryMode,
    InjectionSite,
    RecordStatus,
    TreatmentKind,
    values_of,
)
from itp_monitor.services import record_file
from itp_monitor.services.results import PatientInfo, PatientRecords, Stored

times = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 25))
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
optional_text = st.none() | text
counts = st.builds(PlateletCount, times, st.floats(0, 1500), text.filter(str.strip), optional_text)
injections = st.builds(
    Injection,
    times,
    st.integers(1, 200_000),
    st.floats(30, 250),
    st.none() | st.sampled_from(values_of(InjectionSite)),
    optional_text,
    optional_text,
    optional_text,
)
bleeding = st.builds(BleedingAssessment, times, st.integers(0, 4), optional_text)
treatments = st.builds(
    Treatment, st.sampled_from(values_of(TreatmentKind)), times, st.none() | times, optional_text
)
deliveries = st.builds(
    Delivery,
    times,
    st.sampled_from(values_of(DeliveryMode)),
    st.none() | st.sampled_from(values_of(Anaesthesia)),
    st.none() | st.integers(0, 20_000),
    optional_text,
)
neonatal = st.builds(NeonatalCount, times, st.floats(0, 1500), optional_text)
adverse = st.builds(
    AdverseEvent, times, text.filter(str.strip), st.integers(1, 5), st.none() | st.booleans()
)
details = st.builds(
    PatientDetails,
    text.filter(str.strip).map(str.strip).filter(bool),
    text.filter(str.strip),
    st.dates(),
    st.none() | st.dates(),
    st.none() | st.floats(30, 250),
    optional_text,
)


def _stored(records: list) -> tuple:  # type: ignore[type-arg]
    return tuple(
        Stored(i, 1, r, RecordStatus.CURRENT, None, datetime(2026, 1, 1), "x")
        for i, r in enumerate(records)
    )


@settings(max_examples=150, deadline=None)
@given(
    details,
    st.booleans(),
    st.lists(counts, max_size=5),
    st.lists(injections, max_size=5),
    st.lists(bleeding, max_size=3),
    st.lists(treatments, max_size=3),
    st.none() | deliveries,
    st.lists(neonatal, max_size=3),
    st.lists(adverse, max_size=3),
)
def test_written_records_read_back_the_same(
    d,
    archived,
    c,
    i,
    b,
    t,
    delivery,
    n,
    a,  # type: ignore[no-untyped-def]
) -> None:
    original = PatientRecords(
        patient=PatientInfo(1, d, archived),
        counts=_stored(c),
        injections=_stored(i),
        bleeding=_stored(b),
        treatments=_stored(t),
        delivery=_stored([delivery])[0] if delivery else None,
        neonatal_counts=_stored(n),
        adverse_events=_stored(a),
    )
    data = json.loads(json.dumps(record_file.write([original])))
    [patient], problems = record_file.read(data)
    assert problems == []
    assert patient.details == d and patient.archived == archived
    expected = [*c, *i, *b, *t, *([delivery] if delivery else []), *n, *a]
    assert [r.record for r in patient.records] == expected
