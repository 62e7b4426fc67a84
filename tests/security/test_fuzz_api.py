"""Schemathesis against /api/v1/openapi.json: no generated input may make the server fail (5xx or a crash).

Bounded (few examples per operation, fixed seed) so the suite stays quick; the caller holds every role so
that admin, case, manager and partner endpoints are all reached past the permission guard.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import T0

EXAMPLES_PER_OPERATION = 6


@pytest.fixture
def api_schema(app: Any, session: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def bearer(app: Any, session: Any) -> Any:
    """A fresh token per call for a user holding every role (a generated call may revoke its token)."""
    from server.auth import service as auth_service
    from server.auth.models import Unit
    from server.auth.permissions import Role
    from server.db import unit_of_work

    with app.app_context(), unit_of_work() as s:
        unit = s.query(Unit).filter_by(code=app.config["OFFICE_CODE"]).one()
        fuzzer = auth_service.create_user(s, username="fuzzer", password="fuzzer-password-1", now=T0,
                                          groups=[r.value for r in Role], unit=unit)
        user_id = fuzzer.id

    def headers() -> dict[str, str]:
        from server import clock
        from server.auth.models import User

        with app.app_context(), unit_of_work() as s:
            token, _ = auth_service.issue_token(s, user=s.get(User, user_id), now=clock.utcnow())
        return {"Authorization": f"Bearer {token}"}

    return headers


def test_api_never_fails_on_generated_input(api_schema: Any, bearer: Any) -> None:
    # Each operation gets its own bounded Hypothesis run (valid and invalid inputs); failures are
    # collected so one report lists every operation that broke. (Schemathesis' pytest plugin does not
    # run under pytest 9, so its strategies are driven directly.)
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=strategy)
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                  verbosity=Verbosity.quiet)
        def run(case: Any) -> None:
            response = case.call(headers=bearer())
            statuses.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every failing operation
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert operations >= 20
    assert sum(200 <= s < 300 for s in statuses) >= operations  # the token works: calls get past the guard
    assert not failures, "\n\n".join(failures)
