"""Real files to upload: a PDF that opens (of any size), a PNG and a JPEG that decode, and files that only look
like them (the right first bytes, then something else)."""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject


def _pdf(padding: int) -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    content = DecodedStreamObject()
    content.set_data(b" " * padding)  # white space: a valid, empty content stream of any length
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@lru_cache(maxsize=8)
def pdf_of(size: int) -> bytes:
    """A one-page PDF of exactly `size` bytes (at least a few hundred)."""
    base = len(_pdf(0))
    padding = size - base
    for _ in range(4):  # the stream's /Length grows by a digit now and then: settle it
        data = _pdf(max(padding, 0))
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError(f"no PDF of exactly {size} bytes")


PDF = pdf_of(1024)


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


PNG = _image("PNG")
JPEG = _image("JPEG")
# The right first bytes, then a web page: stored as a PDF when only the first bytes were read (issue 17).
PDF_THEN_HTML = b"%PDF-1.4\n<!doctype html><html><body><script>alert(1)</script></body></html>"
PNG_CUT_SHORT = PNG[: len(PNG) // 2]
