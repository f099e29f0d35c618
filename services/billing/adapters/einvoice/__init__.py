"""The e-invoice as the tax authority's XML data document (HDon), and the schema it is checked against."""

from __future__ import annotations

import re

# What XML 1.0 cannot hold (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF; lone
# surrogates). Text stored before the kernel's text types refused such characters would otherwise make lxml
# refuse the whole document: they are dropped, as the exports drop them (they are invisible anyway).
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: str | int) -> str:
    """`value` as XML element text: what XML 1.0 cannot hold is dropped."""
    return _NOT_IN_XML.sub("", str(value))
