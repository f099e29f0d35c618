"""VietQR (NAPAS 247) transfer payload: an EMVCo merchant-presented QR string, and its QR code as SVG.

The payload is a list of ID-length-value fields; tag 38 carries the VietQR GUID, the bank's BIN and
the account, service ``QRIBFTTA`` (transfer to an account); tag 63 is the CRC-16/CCITT-FALSE of all
that precedes it, itself included up to its length. Any Vietnamese banking app reads it.
"""

from __future__ import annotations

import io
import re

import segno

__all__ = ["crc16_ccitt", "qr_svg", "transfer_payload"]

VIETQR_GUID = "A000000727"
TRANSFER_TO_ACCOUNT = "QRIBFTTA"
VND = "704"
_PURPOSE = re.compile(r"[A-Za-z0-9 .-]{0,50}")


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"EMVCo field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: str) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as four upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("ascii"):
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def transfer_payload(*, bank_bin: str, account: str, amount_vnd: int | None = None, purpose: str = "") -> str:
    """The VietQR string for a transfer to ``account`` at the bank of ``bank_bin``, with amount and purpose."""
    if not re.fullmatch(r"\d{6}", bank_bin):
        raise ValueError(f"bank BIN must be 6 digits, got {bank_bin!r}")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account):
        raise ValueError(f"account must be 1-19 letters or digits, got {account!r}")
    if amount_vnd is not None and amount_vnd <= 0:
        raise ValueError(f"amount must be positive, got {amount_vnd}")
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError("purpose must be at most 50 unaccented letters, digits, spaces, dots or dashes")
    beneficiary = _field("00", bank_bin) + _field("01", account)
    merchant = _field("00", VIETQR_GUID) + _field("01", beneficiary) + _field("02", TRANSFER_TO_ACCOUNT)
    parts = [_field("00", "01"), _field("01", "12" if amount_vnd else "11"), _field("38", merchant),
             _field("53", VND)]
    if amount_vnd:
        parts.append(_field("54", str(amount_vnd)))
    parts.append(_field("58", "VN"))
    if purpose:
        parts.append(_field("62", _field("08", purpose)))
    body = "".join(parts) + "6304"
    return body + crc16_ccitt(body)


def qr_svg(payload: str) -> str:
    """The QR code of ``payload`` as a standalone SVG document."""
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="svg", scale=4, border=4)
    return buffer.getvalue().decode()
