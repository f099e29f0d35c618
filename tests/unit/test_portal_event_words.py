"""The regional and history pages say every platform event in words, never its code."""

from __future__ import annotations

from services.portal.domain.event_words import event_word


def test_changes_requested_in_both_languages() -> None:
    vi = event_word("registration.changes_requested", "vi")
    en = event_word("registration.changes_requested", "en")
    assert vi != "registration.changes_requested" and "sửa đổi" in vi
    assert en == "Changes requested on a registration"
