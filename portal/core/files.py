"""A stored file as services hand it to the web layer, which sends it (portal/web/attachments.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFile:
    """A file to hand out as an attachment: its content, stored type and the name to save it under."""

    data: bytes
    content_type: str
    download_name: str
