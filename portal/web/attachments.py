"""Files handed to the browser as attachments (web layer: the services return a StoredFile, this sends it)."""

from __future__ import annotations

import io

from flask import abort, send_file

from portal.core.files import StoredFile


def send_attachment(stored: StoredFile | None):
    """The file as an attachment with its stored type, never cached; 404 when there is none."""
    if stored is None:
        abort(404)
    return send_file(
        io.BytesIO(stored.data),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.download_name,
        max_age=0,
    )
