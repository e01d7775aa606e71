"""Staff pages: the blueprint, with every module of its routes attached.

`bp` is made first; each route module then imports it and attaches its pages, so importing this package is all
the app factory needs to do.
"""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The route modules: each attaches its pages to `bp` when imported.
from portal.staff import (  # noqa: E402, F401 - imported for the routes they attach
    borrowers,
    case_page,
    decide,
    evidence,
    help,
    outcomes,
    queue,
)
