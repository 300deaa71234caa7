# Pullboard image: the web process (uvicorn, ASGI), Celery workers and beat all run it.
# Build: docker build -t pullboard .   Run: see docker-compose.yml.

# --- Front-end libraries, pinned in package-lock.json, never committed ----------------
FROM node:22-bookworm-slim AS vendor
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/vendor.sh scripts/vendor.sh
RUN mkdir -p static && bash scripts/vendor.sh

# --- The application -------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage
WORKDIR /app
RUN useradd --system --create-home --uid 10001 pullboard

COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt
# msgfmt compiles the translations (locale/) below.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

COPY . .
COPY --from=vendor /src/static/vendor static/vendor
# Static files are collected at build time (hashed names, compressed) and served by
# WhiteNoise. The key below exists only for this build step; the real one comes from
# the environment at run time.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput -v 0 \
    && DJANGO_SECRET_KEY=compilemessages-at-build-time-only python manage.py compilemessages -v 0 \
    && mkdir -p var \
    && chown -R pullboard:pullboard var

USER pullboard
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "3", "--no-proxy-headers", "--log-level", "warning"]
