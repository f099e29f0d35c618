"""What a file is by its content: the media type its magic bytes say (the `filetype` library), never its name
or the type a client claims."""

from __future__ import annotations

import filetype


def media_type_of(data: bytes) -> str | None:
    """The media type found in the first bytes of `data` (e.g. "application/pdf", "image/png"), or None."""
    found = filetype.guess(data[:8192])
    return str(found.mime) if found is not None else None
