# syntax=docker/dockerfile:1.7
#
# One image for every Partisipro process. The container command picks the role:
#   partisipro serve --host 0.0.0.0 --port 8000   API (default CMD)
#   partisipro worker                             queue workers (SAQ on Redis)
#   partisipro indexer                            chain indexer (leader + standby via a lock)
#   partisipro db upgrade                         migrations, one-off task
#   partisipro chain deploy                       platform contracts, one-off task
# infra/terraform/modules/compute sets these per ECS task definition.
#
# Build:  docker build -t partisipro:$(git rev-parse --short=12 HEAD) .
# Pin PYTHON_IMAGE to a digest in CI (python:3.11-slim-bookworm@sha256:...).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtual environment with the dependencies and the project --------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers only for a dependency without a wheel for this platform; they stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install --upgrade pip \
 && pip install -r /tmp/requirements.txt

# The project. Installed in editable mode on purpose: the code finds alembic.ini,
# migrations/ and contracts/build/ relative to the source tree, which lives at /app.
COPY README.md alembic.ini ./
COPY platform ./platform
COPY kyc ./kyc
COPY notifications ./notifications
RUN pip install --no-deps -e . \
 && python -m compileall -q platform kyc notifications

# --- runtime: Python, the virtual environment, the code; no compilers, runs as non-root ---
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="partisipro" \
      org.opencontainers.image.description="Partisipro API, workers, chain indexer and one-off tasks"

RUN groupadd --system --gid 10001 partisipro \
 && useradd --system --uid 10001 --gid partisipro --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin partisipro

# /tmp is the only writable path: ECS mounts a task volume there, the root filesystem is read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PARTISIPRO_CONTRACTS_BUILD_DIR=/app/contracts/build \
    PARTISIPRO_VAR_DIR=/tmp/partisipro

WORKDIR /app

# Owned by root, read-only for the service user: the process cannot change its own code.
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY migrations ./migrations
COPY contracts/build ./contracts/build

USER 10001:10001

EXPOSE 8000

CMD ["partisipro", "serve", "--host", "0.0.0.0", "--port", "8000"]
