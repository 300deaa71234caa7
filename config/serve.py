"""`make run`: prepare the embedded plant and serve it, in one process.

One Python start instead of four (migrate, collectstatic, seed_demo, the server): the
imports are most of each command's time, so a second `make run` pays for one start only.
It says where it serves only once uvicorn listens.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    # A web process, as config.asgi tells the settings: the database pool is on by default.
    os.environ.setdefault("DATABASE_POOL", "true")
    import django

    django.setup()
    import uvicorn
    from django.core.management import call_command
    from django.db import connections

    port = int(os.environ.get("PORT", "8000"))
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo")
    connections.close_all()  # the server's threads open their own
    # Only now: WhiteNoise looks at the static folder once, when the app is built.
    from config.asgi import application

    class Server(uvicorn.Server):
        async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
            await super().startup(sockets=sockets)
            if self.started:
                print(f"Pullboard on http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)

    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,  # open event streams would otherwise hold the shutdown
    )
    server = Server(config)
    server.run()
    sys.exit(0 if server.started else 1)


if __name__ == "__main__":
    main()
