"""The organizer's review queue says, on each row, how far the registration's required documents are ("1/2 giấy
tờ đã chấp nhận", what the rest wait for), read from the real registration service behind the portal, in the
page's language only; a row whose documents are all accepted is marked ready."""

from __future__ import annotations

import re

from services.portal.domain.documents import queue_documents
from tests.service.test_portal import text_of
from tests.service.test_portal_documents import one_language, stack
from tests.service.test_registration_documents import JPEG, PDF


def test_a_tally_in_words_and_a_row_that_needs_nothing():
    words = queue_documents({"data": [
        {"registration_id": "r1", "required": 3, "accepted": 1, "pending": 1, "replace_requested": 0, "missing": 1},
        {"registration_id": "r2", "required": 0, "accepted": 0, "pending": 0, "replace_requested": 0, "missing": 0},
        {"registration_id": "r3", "required": 1, "accepted": 1, "pending": 0, "replace_requested": 0, "missing": 0},
        {"required": 1}]})
    assert set(words) == {"r1", "r2", "r3"}
    assert words["r1"].headline == ("1/3 giấy tờ đã chấp nhận", "1 of 3 documents accepted")
    assert words["r1"].details == [("1 chờ xem xét", "1 waiting for review"), ("1 chưa nộp", "1 not uploaded")]
    assert not words["r1"].ready and words["r2"].ready and words["r3"].ready
    assert words["r3"].headline[1] == "1 of 1 document accepted"
    assert queue_documents(None) == {}


async def test_the_queue_shows_each_rows_documents_and_marks_the_ready_ones(settings_for):
    async with stack(settings_for) as s:
        api, portal, fair, reg = s["api"], s["portal"], s["fair"], s["reg"]
        queue = f"/organizer/fairs/{fair['id']}"
        english = {"Cookie": f"{s['org_cookie']['Cookie']}; hangviet_lang=en"}
        nothing_required = text_of(await portal.get(queue, headers=s["org_cookie"]))
        assert (await api.put(f"/fairs/{fair['id']}/document-requirements", headers=s["org"], json={
            "requirements": {"cooperative": ["business_registration", "food_safety_certificate"]}})).status_code == 200
        none_sent = await portal.get(queue, headers=s["org_cookie"])
        doc = (await api.put(f"/registrations/{reg['id']}/documents/business_registration", headers=s["ex"],
                             params={"filename": "gcn.pdf"}, content=PDF)).json()
        await api.post(f"/registrations/{reg['id']}/documents/{doc['id']}/accept", headers=s["org"])
        await api.put(f"/registrations/{reg['id']}/documents/food_safety_certificate", headers=s["ex"],
                      params={"filename": "attp.jpg"}, content=JPEG)
        half = await portal.get(queue, headers=s["org_cookie"])
        half_en = await portal.get(queue, headers=english)
        languages = await one_language(portal, queue, s["org_cookie"])
        second = (await api.get(f"/registrations/{reg['id']}/documents", headers=s["org"])).json()["data"][1]
        await api.post(f"/registrations/{reg['id']}/documents/{second['id']}/accept", headers=s["org"])
        ready = await portal.get(queue, headers=s["org_cookie"])
    assert "Không yêu cầu giấy tờ" in nothing_required
    assert "0/2 giấy tờ đã chấp nhận" in text_of(none_sent) and "2 chưa nộp" in text_of(none_sent)
    assert "1/2 giấy tờ đã chấp nhận" in text_of(half) and "1 chờ xem xét" in text_of(half)
    assert "chưa nộp" not in text_of(half)
    assert "1 of 2 documents accepted" in text_of(half_en) and "1 waiting for review" in text_of(half_en)
    assert languages == {}
    # Each row's count links to the documents on its review page; a complete one is marked ready.
    assert f'href="/organizer/registrations/{reg["id"]}#documents" class="waiting"' in half.text
    assert re.search(rf'href="/organizer/registrations/{reg["id"]}#documents" class="ready">'
                     r'<span aria-hidden="true">✓ </span>2/2 giấy tờ đã chấp nhận', ready.text)
