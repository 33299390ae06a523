"""Small videos with text shown at known seconds for the on-screen text tests (rendered with Debian's
DejaVu and Noto CJK fonts by ``benchmarks/text_media.py``), made once per session and cached by name."""

from __future__ import annotations

from pathlib import Path

from benchmarks.text_media import DEJAVU_PLAIN, Shown, cjk_font, text_video

CACHE = Path(__file__).resolve().parent.parent / "test-artifacts" / "shown-media"


def cjk() -> Path:
    font = cjk_font()
    assert font is not None, "the Chinese text tests need Noto CJK: apt-get install fonts-noto-cjk (.ci/run does)"
    return font


def lower_third_video() -> Path:
    """6 s, 640x360, moving footage: a lower third "Maria Lopez" with "City Council" under it from 1 to
    4 s; nothing written before or after."""
    return _made(
        "lower_third",
        [
            Shown("Maria Lopez", 1.0, 4.0, (0.06, 0.74), 30, band=True),
            Shown("City Council", 1.0, 4.0, (0.06, 0.86), 22, font=DEJAVU_PLAIN),
        ],
        6.0,
    )


def chinese_sign_video() -> Path:
    """5 s, 640x360, moving footage: the sign 北京南站 from 2 to 5 s."""
    return _made("chinese_sign", [Shown("北京南站", 2.0, 5.0, (0.3, 0.25), 44, font=cjk())], 5.0)


def plain_video() -> Path:
    """4 s of moving footage with no text at all."""
    return _made("plain", [], 4.0)


def _made(name: str, shown: list[Shown], seconds: float) -> Path:
    path = CACHE / f"{name}.mp4"
    if not path.exists():
        text_video(path.with_suffix(".part.mp4"), shown, seconds=seconds, width=640, height=360, fps=10)
        path.with_suffix(".part.mp4").rename(path)
    return path
