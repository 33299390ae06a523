# vidseek: one image for every process (`vidseek serve`, `vidseek worker`, `vidseek watch`, `vidseek keys ...`).
#
#   docker build -t vidseek .
#
# torch==2.14.1 and torchvision==0.29.1 are pinned in pyproject.toml and installed with the project.
# On a CPU-only host the default wheels carry CUDA libraries you do not need (gigabytes): build with
# PyTorch's CPU-only wheel index instead (its address is on PyTorch's install page), e.g.
#
#   docker build --build-arg TORCH_INDEX_URL=<PyTorch CPU wheel index URL> -t vidseek .
FROM python:3.11-slim

# libgomp: OpenMP for faiss and torch. FFmpeg comes inside the PyAV wheel.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
ARG TORCH_INDEX_URL=""
RUN if [ -n "$TORCH_INDEX_URL" ]; then \
      pip install --index-url "$TORCH_INDEX_URL" torch==2.14.1 torchvision==0.29.1; \
    fi

COPY pyproject.toml README.md ./
COPY vidseek ./vidseek
COPY indexer ./indexer
COPY search_api ./search_api
COPY migrations ./migrations
COPY web ./web
COPY cli ./cli
RUN pip install ".[postgres]"

# Not root: a user of its own, owning the data and media folders (named volumes start with this ownership).
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin vidseek \
 && mkdir -p /data /media \
 && chown vidseek:vidseek /data /media
USER vidseek
WORKDIR /home/vidseek

# Model weights are cached in the data volume, so they are fetched once, not per container.
ENV VIDSEEK_DATA_DIR=/data \
    VIDSEEK_MEDIA_DIR=/media \
    HF_HOME=/data/models
VOLUME ["/data", "/media"]
EXPOSE 8000

# The database schema is created or upgraded (Alembic) by whichever vidseek command opens it first.
CMD ["vidseek", "serve", "--host", "0.0.0.0", "--port", "8000"]
