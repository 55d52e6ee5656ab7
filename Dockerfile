# syntax=docker/dockerfile:1
# Boundary API — container image (CONTRACT §11).
#
#   docker build -t boundary-api:1.0.0 .
#   docker run -d --name boundary-api -p 3000:3000 -p 9203:9203 \
#     -e DATABASE_URL=postgresql://… -e JWT_SECRET=… -e SESSION_SECRET=… boundary-api:1.0.0
#
# Stage 1 builds Boundary's wheel and installs it, with the dependency versions CI tested
# (constraints.txt), into a virtualenv. Stage 2 is a slim Python runtime that receives only
# that virtualenv plus config/ and migrations/ (commands run from the project root, §13), and
# runs as the unprivileged user `boundary`. Docker sends SIGTERM to PID 1 (`boundary serve`,
# no shell in between), which starts the graceful shutdown of §7; `docker stop -t` must exceed
# GRACEFUL_SHUTDOWN_WAIT_DURATION + ops.shutdown_timeout (30s), e.g. `docker stop -t 45`.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/boundary/venv
# Dependencies first, so this layer is reused while only the source changes.
COPY constraints.txt ./
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/boundary/venv/bin/python -m pip install --constraint constraints.txt /wheels/boundary-*.whl \
    && /opt/boundary/venv/bin/boundary version

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="boundary-api" \
      org.opencontainers.image.description="Boundary users/authentication API service"
RUN groupadd --system --gid 10001 boundary \
    && useradd --system --uid 10001 --gid boundary --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin boundary
ENV PATH=/opt/boundary/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENV=prod \
    PORT=3000 \
    OPS_PORT=9203
COPY --from=build /opt/boundary/venv /opt/boundary/venv
WORKDIR /app
COPY config ./config
COPY migrations ./migrations
# var/ is the only directory the service may write (SQLite in dev; nothing in prod).
RUN mkdir -p /app/var && chown boundary:boundary /app/var
# The user `boundary` (10001), by number so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 3000 9203
# `boundary health` probes http://127.0.0.1:$OPS_PORT/health/ready: exit 0 ready, 1 otherwise.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["boundary", "health", "--timeout", "3"]
STOPSIGNAL SIGTERM
CMD ["boundary", "serve"]
