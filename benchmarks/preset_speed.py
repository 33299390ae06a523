"""Frames per second of each preset's image tower on this CPU: torch fp32, batch 32, random weights
(the same compute as the real ones), ``--threads`` intra-op threads, the fastest of ``--rounds``. The figures in
``vidseek/model_presets.py`` come from here:

    python -m benchmarks.preset_speed --threads 2
"""

from __future__ import annotations

import argparse
import logging
import time

import torch

from vidseek.model_presets import PRESETS


def frames_per_second(arch: str, *, batch: int, rounds: int) -> float:
    import open_clip

    logging.disable(logging.WARNING)
    model = open_clip.create_model(arch, pretrained=None, device="cpu").eval()
    size = model.visual.image_size
    h, w = (size, size) if isinstance(size, int) else size
    x = torch.randn(batch, 3, h, w)
    times = []
    with torch.inference_mode():
        model.encode_image(x)  # warm-up
        for _ in range(rounds):
            started = time.perf_counter()
            model.encode_image(x)
            times.append(time.perf_counter() - started)
    return batch / min(times)  # the least disturbed round: other processes share the CPU


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for preset in PRESETS:
        arch = preset.spec.split(":")[0]
        fps = frames_per_second(arch, batch=args.batch, rounds=args.rounds)
        print(f"{preset.name:13s} {arch:28s} {fps:6.1f} frames/s", flush=True)


if __name__ == "__main__":
    main()
