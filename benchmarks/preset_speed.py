"""Frames per second of each preset's image tower on this CPU: torch fp32, batch 32, random weights
(the same compute as the real ones), ``--threads`` intra-op threads. The presets take turns, round
after round, and each keeps its fastest round, so other work on the machine slows them alike. The
figures in ``vidseek/models/model_presets.py`` come from here:

    python -m benchmarks.preset_speed --threads 2
"""

from __future__ import annotations

import argparse
import logging
import time

import torch

from vidseek.models.model_presets import PRESETS


def _image_tower(arch: str, batch: int):  # noqa: ANN202
    import open_clip

    logging.disable(logging.WARNING)  # "initialized randomly": the point
    model = open_clip.create_model(arch, pretrained=None, device="cpu").eval()
    size = model.visual.image_size
    h, w = (size, size) if isinstance(size, int) else size
    return model, torch.randn(batch, 3, h, w)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    towers = {p.name: _image_tower(p.spec.split(":")[0], args.batch) for p in PRESETS}
    best = dict.fromkeys(towers, float("inf"))
    with torch.inference_mode():
        for model, x in towers.values():
            model.encode_image(x)  # warm-up
        for _ in range(args.rounds):
            for name, (model, x) in towers.items():
                started = time.perf_counter()
                model.encode_image(x)
                best[name] = min(best[name], time.perf_counter() - started)
    for preset in PRESETS:
        print(f"{preset.name:13s} {preset.spec:32s} {args.batch / best[preset.name]:6.1f} frames/s")


if __name__ == "__main__":
    main()
