# One image for every container of the suite: each compose service runs `basisdienste serve <service>`,
# the gateway `basisdienste serve gateway`. Run alone, the image starts the whole suite in one process.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    BASISDIENSTE_DATA_DIR=/var/lib/basisdienste

# The Bescheid service renders notices with DejaVu (embedded in every PDF, PDF/A needs embedded fonts).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# README.md is the package's long description (pyproject `readme`), so the build needs it.
COPY pyproject.toml README.md ./
COPY kit/ kit/
COPY gateway/ gateway/
COPY services/ services/
# The pytest plugin ships in the same distribution (entry point pytest11), so the package must be in the build.
COPY harness/ harness/
# A regular (not editable) install: the image runs from site-packages, /src is removed.
RUN pip install --no-cache-dir . \
    && cd / && rm -rf /src

# Never run as root; the only writable place is the SQLite directory used when no PostgreSQL URL is set.
RUN useradd --system --uid 10001 --user-group --home-dir /home/basisdienste --create-home basisdienste \
    && mkdir -p /var/lib/basisdienste \
    && chown basisdienste:basisdienste /var/lib/basisdienste
USER basisdienste:basisdienste
WORKDIR /home/basisdienste

EXPOSE 8000
# Compose replaces this with `basisdienste serve <service> ...`; `docker run -p 8000:8000` gets the whole suite.
CMD ["basisdienste", "up", "--host", "0.0.0.0", "--port", "8000"]
