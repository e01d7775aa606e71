"""The portal as gunicorn serves it, plus one minimal route: the baseline every page is compared with.

The baseline goes through the same app (request id, session checks, security headers) but reads nothing and
renders nothing, so a page's share of the baseline's throughput is what its own work costs.
"""

from __future__ import annotations

from portal import create_app

# The benchmark speaks plain HTTP on the loopback (in production nginx terminates TLS), so the session cookie
# cannot be marked Secure here; everything else is the production configuration from the environment.
app = create_app({"SESSION_COOKIE_SECURE": False})


@app.route("/bench/baseline")
def baseline():
    return "ok"
