"""VietQR payloads: the EMVCo fields, the CRC against published vectors, refusals."""

from __future__ import annotations

import pytest

from services.billing.adapters.vietqr import crc16_ccitt, qr_svg, transfer_payload


class TestCrc:
    def test_the_standard_check_value(self):
        assert crc16_ccitt("123456789") == "29B1"

    def test_the_napas_static_account_vector(self):
        # NAPAS VietQR specification, vector 6.1.1 (static QR to an account): CRC F4E5.
        body = "00020101021138570010A00000072701270006970403011200110123456780208QRIBFTTA53037045802VN6304"
        assert crc16_ccitt(body) == "F4E5"


class TestPayload:
    def test_a_dynamic_transfer_with_amount_and_purpose(self):
        payload = transfer_payload(bank_bin="970436", account="0071001234567", amount_vnd=850_000,
                                   purpose="DH482113")
        assert payload == ("00020101021238570010A00000072701270006970436011300710012345670208QRIBFTTA"
                           "530370454068500005802VN62120808DH4821136304E529")

    def test_without_amount_it_is_static(self):
        payload = transfer_payload(bank_bin="970436", account="12345")
        assert payload.startswith("000201010211") and "54" not in payload.split("5303704")[1][:2]

    @pytest.mark.parametrize("changes", [{"bank_bin": "97043"}, {"account": ""}, {"account": "12-34"},
                                         {"amount_vnd": 0}, {"purpose": "Thanh toán hóa đơn"}])
    def test_refuses_what_a_banking_app_could_not_read(self, changes):
        with pytest.raises(ValueError):
            transfer_payload(**{"bank_bin": "970436", "account": "12345", "amount_vnd": 1, **changes})

    def test_the_qr_code_is_an_svg_document(self):
        svg = qr_svg(transfer_payload(bank_bin="970436", account="12345", amount_vnd=1))
        assert svg.startswith("<?xml") and "<svg" in svg and "</svg>" in svg
