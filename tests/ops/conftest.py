"""Operations tests reuse the integration fixtures (private Redis broker, real workers)."""

from tests.integration.conftest import broker, start_worker  # noqa: F401
