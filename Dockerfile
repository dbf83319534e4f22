# One image for every process of the tracker: web (gunicorn), worker and beat (celery).
# docker-compose.yml picks the command; configuration comes from the environment (.env.example).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Pango and HarfBuzz for WeasyPrint (the contradiction report's PDF, made by web and worker).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Requirements first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Settings refuse to load without a SECRET_KEY when DEBUG is off; collectstatic needs no real
# one, and this throwaway key is set for this one command only, never in the image's environment.
RUN SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput

# Run as an unprivileged user. The code and static files stay owned by root: read-only to it.
# /var/lib/tracker is its one writable folder (celery beat's schedule file).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tracker \
    && install -d -o tracker -g tracker /var/lib/tracker
USER tracker

EXPOSE 8000
# gunicorn comes from requirements.txt. docker-compose.yml runs migrate first, then this (with
# GUNICORN_TIMEOUT from .env). --timeout: a worker silent this long is killed and its request
# answered 502; gunicorn's 30 s would cut off a large claimset import or the report's PDF, whose
# transaction then rolls back (nothing half-written), so the limit is set for them.
CMD ["gunicorn", "tracker.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "120", "--graceful-timeout", "30", "--access-logfile", "-"]
