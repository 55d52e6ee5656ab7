"""Adds the test suite's own routes (`tests.support.test_routes`) to `boundary serve` started by
the tests: `tests.support.process.Service` puts this folder on PYTHONPATH, so Python imports
this module at start-up in the server and in every worker it spawns, before the server imports
`create_api_app`. The service ships none of these routes."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.support.test_routes import router

import boundary.http.app as api_app

_create_api_app = api_app.create_api_app


@functools.wraps(_create_api_app)
def _with_test_routes(system: Any, **options: Any) -> Any:
    options["extra_routers"] = (*options.get("extra_routers", ()), router)
    return _create_api_app(system, **options)


api_app.create_api_app = _with_test_routes
