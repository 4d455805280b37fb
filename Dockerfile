# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

COPY . .
# Static files are collected at build time and served by whitenoise from the image; the
# messages are compiled here too. Neither needs a database, only a (throwaway) key.
RUN mkdir -p static \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && if [ -n "$(find . -name '*.po' -print -quit)" ]; then \
        SECRET_KEY=build-only python manage.py compilemessages --verbosity 0; fi

RUN useradd --system --uid 1000 --home /app sanbufu \
    && mkdir -p /app/var && chown sanbufu /app/var
USER sanbufu

EXPOSE 8000
CMD ["gunicorn", "sanbufu.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
