"""Every feature's models, imported so that `Base.metadata` holds every table (Alembic, `create_all`) and
SQLAlchemy can resolve the relationships the models name each other by."""

from portal.applications import models as applications  # noqa: F401
from portal.auth import models as auth  # noqa: F401
from portal.core import models as core  # noqa: F401
from portal.loans import models as loans  # noqa: F401
from portal.people import models as people  # noqa: F401
from portal.policies import models as policies  # noqa: F401
from portal.support import models as support  # noqa: F401
