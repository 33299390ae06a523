"""The indexer users usually write first, kept as the baseline to beat (do not optimise it).

Per clip: decord ``get_batch`` of the clip's frames, PIL preprocessing frame by frame with
open_clip's own transform, one model call per clip, mean pooling.
"""

from __future__ import annotations

from pathlib import Path

import decord
import numpy as np
import open_clip
import torch
from PIL import Image


def load(arch: str = "ViT-B-32"):  # noqa: ANN201
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None)
    return model.eval(), preprocess


def index_video(
    path: Path,
    model,
    preprocess,
    *,
    fps: float = 1.0,
    clip_seconds: float = 4.0,  # noqa: ANN001
    stride: float = 2.0,
) -> np.ndarray:
    reader = decord.VideoReader(str(path))
    native = reader.get_avg_fps()
    duration = len(reader) / native
    vectors = []
    start = 0.0
    while start < duration:
        times = np.arange(start, min(start + clip_seconds, duration), 1.0 / fps)
        indices = [min(len(reader) - 1, int(round(t * native))) for t in times]
        frames = reader.get_batch(indices).asnumpy()
        batch = torch.stack([preprocess(Image.fromarray(f)) for f in frames])
        with torch.no_grad():
            emb = model.encode_image(batch)
        emb = emb / emb.norm(dim=-1, keepdim=True)
        clip = emb.mean(0)
        vectors.append((clip / clip.norm()).numpy())
        if start + clip_seconds >= duration:
            break
        start += stride
    return np.stack(vectors)


if __name__ == "__main__":  # a whole process, for benchmarks/whole_process.py: python -m benchmarks.naive_indexer FILE
    import sys
    import warnings

    warnings.simplefilter("ignore")
    model, preprocess = load()
    print(index_video(Path(sys.argv[1]), model, preprocess).shape)
