"""Is an uploaded file what its first bytes claim? A PDF must open as a PDF with at least one page (pypdf), an
image must decode whole as the JPEG or PNG it says it is (Pillow), and not be a decompression bomb.

The first bytes alone let `%PDF-` followed by a web page be stored as a PDF (issue 17); a file that a reviewer's
viewer cannot open is no evidence either.
"""

from __future__ import annotations

import io
import logging
import warnings

from PIL import Image
from pypdf import PdfReader

# Above this many pixels a picture is refused unread: a small file that decodes into gigabytes (a phone photo
# is 12 to 50 million pixels).
MAX_PIXELS = 80_000_000
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}

logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken upload is refused, not logged as a warning


def opens_as(data: bytes, content_type: str) -> bool:
    """True when `data` opens as `content_type` (application/pdf, image/jpeg or image/png)."""
    if content_type == "application/pdf":
        return _pdf_opens(data)
    if content_type in PIL_FORMATS:
        return _image_decodes(data, PIL_FORMATS[content_type])
    return False


def _pdf_opens(data: bytes) -> bool:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return False  # nobody at the branch could read it
        return len(reader.pages) >= 1
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of error on a broken file: all mean "not a PDF"
        return False


def _image_decodes(data: bytes, pil_format: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return False
                image.load()  # decode every pixel: a truncated or corrupt file fails here
        return True
    except Exception:  # noqa: BLE001 - Pillow raises many kinds of error on a broken file: all mean "not a picture"
        return False
