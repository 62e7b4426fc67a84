"""Imports every model module so that metadata (and Alembic) sees all tables."""

from server import generation  # noqa: F401
from server.audit import models as audit_models  # noqa: F401
from server.auth import models as auth_models  # noqa: F401
from server.cases import models as cases_models  # noqa: F401
from server.forms import models as forms_models  # noqa: F401
from server.notifications import models as notifications_models  # noqa: F401
from server.sla import models as sla_models  # noqa: F401
from server.tasks import models as tasks_models  # noqa: F401
from server.web import DOMAINS  # noqa: E402
from server.workflows import models as workflows_models  # noqa: F401


def _optional_models() -> None:
    import importlib
    import importlib.util

    for domain in DOMAINS:
        if importlib.util.find_spec(f"server.{domain}") and importlib.util.find_spec(f"server.{domain}.models"):
            importlib.import_module(f"server.{domain}.models")


_optional_models()
