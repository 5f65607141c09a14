"""The ids rows travel with: UUIDs of version 7 (time-ordered), as text, never the same twice."""

from __future__ import annotations

import time
import uuid

from itp_monitor.storage.models import new_uid, new_uids


def test_new_uids_are_distinct_version_7_uuids_in_their_usual_spelling() -> None:
    made = [*new_uids(5000), new_uid(), new_uid()]
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert str(parsed) == text  # lower case, with its four hyphens: 36 characters


def test_later_uids_sort_after_earlier_ones() -> None:
    """New rows go to the end of the uid index, as they do with integer ids."""
    first = new_uids(100)
    time.sleep(0.002)
    assert max(first) < min(new_uids(100))
