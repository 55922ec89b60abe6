# chaosrunner's image, used by manifests/job.yaml and manifests/cronjob.yaml as
# ghcr.io/chaosrunner/chaosrunner:0.1.0. Build it from the repository root:
#
#   docker build -t ghcr.io/chaosrunner/chaosrunner:0.1.0 .
#
# Not built or tested on the development machines (no container engine there); see
# manifests/README.md. Only the chaos-mesh driver is meant to run in it: the local lab's
# binaries (Redis, Toxiproxy, Prometheus, the demo) are not included.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

COPY pyproject.toml README.md /src/
COPY chaosrunner /src/chaosrunner
RUN pip install /src \
    && rm -rf /src \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /tmp \
        --shell /usr/sbin/nologin chaosrunner

# Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
WORKDIR /reports
ENTRYPOINT ["chaosrunner"]
CMD ["--help"]
