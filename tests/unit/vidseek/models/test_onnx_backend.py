"""The ONNX Runtime backend against the torch reference path, on a tiny open_clip model.

The model is a small config written by the test (same architecture family as ViT-B-32, a few
layers), so exporting it takes seconds; ViT-B-32 itself is measured in benchmarks/onnx_speed.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from vidseek.errors import ModelError
from vidseek.models.encoders import load_encoder
from vidseek.models.onnx_cache import EXPORT_FORMAT, export_folder, read_export
from vidseek.models.onnx_encoder import OnnxClipEncoder
from vidseek.models.onnx_export import probe_frames

TINY = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
SPEC = "VidseekTinyTest:random"
TEXTS = ["a dog catches a frisbee on the beach", "x", "Café, naïve — “quoted” text!", "word " * 120]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import open_clip

    configs = tmp_path_factory.mktemp("configs")
    (configs / "VidseekTinyTest.json").write_text(json.dumps(TINY))
    open_clip.add_model_config(configs / "VidseekTinyTest.json")
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def torch_encoder(cache: Path):  # noqa: ANN201
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_encoder(SPEC, precision="fp32")


@pytest.fixture(scope="module")
def onnx_fp32(cache: Path) -> OnnxClipEncoder:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = load_encoder(SPEC, backend="onnx", precision="fp32", cache_dir=cache)
    assert isinstance(encoder, OnnxClipEncoder)
    return encoder


def _frames(n: int, size: int = 64, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


def test_the_export_records_the_model_and_its_probe(onnx_fp32: OnnxClipEncoder, cache: Path) -> None:
    meta = read_export(export_folder(cache, SPEC))
    assert meta is not None
    assert (meta["name"], meta["dim"], meta["input_size"]) == ("open_clip:VidseekTinyTest:random", 64, [64, 64])
    assert meta["tokenizer"] == {"kind": "clip_bpe", "context_length": 77, "clean": "lower"}
    assert set(meta["probe"]) >= {"torch_fp32", "onnx_fp32", "onnx_int8"}
    assert (onnx_fp32.name, onnx_fp32.dim, onnx_fp32.input_size) == (meta["name"], 64, (64, 64))


def test_fp32_image_vectors_match_torch(onnx_fp32: OnnxClipEncoder, torch_encoder) -> None:  # noqa: ANN001
    for frames in (probe_frames(64, 64), _frames(5)):
        cosine = (onnx_fp32.encode_frames(frames) * torch_encoder.encode_frames(frames)).sum(axis=1)
        assert cosine.min() > 0.9999


def test_int8_image_vectors_stay_close_to_torch(cache: Path, torch_encoder) -> None:  # noqa: ANN001
    int8 = load_encoder(SPEC, backend="onnx", precision="int8", cache_dir=cache)
    assert int8.precision == "int8"
    frames = _frames(6, seed=3)
    cosine = (int8.encode_frames(frames) * torch_encoder.encode_frames(frames)).sum(axis=1)
    assert cosine.min() > 0.98  # the probe, not this test, decides whether auto may use it


def test_text_vectors_match_torch_at_every_length(onnx_fp32: OnnxClipEncoder, torch_encoder) -> None:  # noqa: ANN001
    for texts in (TEXTS, TEXTS[:1], ["snow"]):
        cosine = (onnx_fp32.encode_text(texts) * torch_encoder.encode_text(texts)).sum(axis=1)
        assert cosine.min() > 0.9999


def test_frames_of_another_size_are_scaled(onnx_fp32: OnnxClipEncoder) -> None:
    out = onnx_fp32.encode_frames(_frames(2, size=100))
    assert out.shape == (2, 64) and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert onnx_fp32.encode_frames(np.zeros((0, 64, 64, 3), np.uint8)).shape == (0, 64)


def test_auto_uses_onnx_at_the_fastest_precision_the_probe_allows(onnx_fp32: OnnxClipEncoder, cache: Path) -> None:
    from vidseek.models.runtime_choice import choose_runtime

    meta = read_export(export_folder(cache, SPEC))
    auto = load_encoder(SPEC, backend="auto", cache_dir=cache)
    assert isinstance(auto, OnnxClipEncoder)
    assert auto.precision == choose_runtime("auto", "auto", "cpu", meta["probe"]).precision


def test_a_query_process_with_an_export_never_imports_torch(onnx_fp32: OnnxClipEncoder, cache: Path) -> None:
    script = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from vidseek.models.encoders import load_encoder\n"
        f"e = load_encoder({SPEC!r}, backend='auto', cache_dir={str(cache)!r})\n"
        "v = e.encode_text(['a red car'])\n"
        "print(type(e).__name__, v.shape, e.towers_open, 'torch' in sys.modules, 'open_clip' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["OnnxClipEncoder", "(1,", "64)", "(False,", "True)", "False", "False"]


def test_an_export_is_made_once(onnx_fp32: OnnxClipEncoder, cache: Path) -> None:
    from vidseek.models.model_spec import open_clip_source
    from vidseek.models.onnx_export import export_model

    folder = export_folder(cache, SPEC)
    before = (folder / "export.json").stat().st_mtime_ns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_model(open_clip_source(SPEC), folder, SPEC, lambda: pytest.fail("exported again"))
    assert (folder / "export.json").stat().st_mtime_ns == before


def test_an_incomplete_export_is_made_again(cache: Path, tmp_path: Path) -> None:
    folder = export_folder(tmp_path, SPEC)
    folder.mkdir(parents=True)
    (folder / "export.json").write_text(json.dumps({"format": EXPORT_FORMAT, "files": ["image.fp32.onnx"]}))
    assert read_export(folder) is None  # its file is missing: load_encoder exports again


def test_onnx_refuses_settings_it_cannot_run(cache: Path) -> None:
    with pytest.raises(ModelError, match="VIDSEEK_PRECISION=bf16 is not available with VIDSEEK_BACKEND=onnx"):
        load_encoder(SPEC, backend="onnx", precision="bf16", cache_dir=cache)
    with pytest.raises(ModelError, match="VIDSEEK_BACKEND=onnx runs on the CPU"):
        load_encoder(SPEC, backend="onnx", device="cuda", cache_dir=cache)
    with pytest.raises(ModelError, match="VIDSEEK_BACKEND must be one of auto, torch, onnx"):
        load_encoder(SPEC, backend="tensorrt", cache_dir=cache)


def test_index_and_search_on_the_default_backend_use_the_export_in_the_data_dir(
    onnx_fp32: OnnxClipEncoder, colour_library: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from cli.main import main

    data = tmp_path / "data"
    monkeypatch.setenv("VIDSEEK_DATA_DIR", str(data))
    monkeypatch.setenv("VIDSEEK_MODEL", SPEC)
    monkeypatch.setenv("VIDSEEK_BACKEND", "auto")
    runner = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert runner.invoke(main, ["index", str(colour_library["green"])]).exit_code == 0
        found = runner.invoke(main, ["search", "green", "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["results"][0]["video"]["title"] == "green"
    assert read_export(export_folder(data / "models", SPEC)) is not None


# ------------------------------------------------------------- damaged exports, killed exports, a read-only cache


def _copy_of_export(cache: Path, into: Path) -> Path:
    """The module's export copied (times kept, as a backup restored with them would be) into cache ``into``."""
    import shutil

    folder = export_folder(into, SPEC)
    shutil.copytree(export_folder(cache, SPEC), folder)
    return folder


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _scramble_64k(path: Path) -> None:
    """64 KB of random bytes in the middle of the file: same size, other contents."""
    with path.open("r+b") as f:
        f.seek(path.stat().st_size // 2)
        f.write(np.random.default_rng(5).integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())


def _edit_meta(folder: Path, change) -> None:  # noqa: ANN001
    meta = json.loads((folder / "export.json").read_text())
    change(meta)
    (folder / "export.json").write_text(json.dumps(meta))


DAMAGES = {
    "truncated text tower": (lambda f: _truncate(f / "text.fp32.onnx"), "text.fp32.onnx has"),
    "truncated int8 image tower": (lambda f: _truncate(f / "image.int8.onnx"), "image.int8.onnx has"),
    "64 KB scrambled in a tower": (lambda f: _scramble_64k(f / "image.fp32.onnx"), "SHA-256 differs"),
    "no export.json": (lambda f: (f / "export.json").unlink(), "export.json is missing"),
    "export.json not JSON": (lambda f: (f / "export.json").write_text("{"), "cannot be read"),
    "no probe": (lambda f: _edit_meta(f, lambda m: m.pop("probe")), "no valid 'probe'"),
    "a wrong probe": (lambda f: _edit_meta(f, lambda m: m["probe"].pop("onnx_int8")), "'onnx_int8'"),
    "no checksums": (lambda f: _edit_meta(f, lambda m: m.pop("checksums")), "without the checksums"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_each_damage_of_an_export_is_found_before_use(onnx_fp32, cache: Path, tmp_path: Path, damage: str) -> None:  # noqa: ANN001
    from vidseek.models.onnx_cache import check_export

    folder = _copy_of_export(cache, tmp_path)
    assert check_export(folder) == (read_export(export_folder(cache, SPEC)), None)
    harm, said = DAMAGES[damage]
    harm(folder)
    meta, why = check_export(folder)
    assert meta is None and said in why


_LOAD = """
import json, sys, warnings
warnings.simplefilter("ignore")
import open_clip
open_clip.add_model_config(sys.argv[2])
from vidseek.models.encoders import load_encoder
e = load_encoder(sys.argv[1], backend="onnx", precision="int8", cache_dir=sys.argv[3])
frames = __import__("numpy").zeros((1, 64, 64, 3), "uint8")
print(json.dumps([e.encode_text(["a red car"])[0].tolist(), e.encode_frames(frames)[0].tolist()]))
"""


def _load_in_child(cache_dir: Path, configs: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _LOAD, SPEC, str(configs / "VidseekTinyTest.json"), str(cache_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_damaged_export_is_made_again_with_one_line_saying_so(onnx_fp32, cache: Path, tmp_path: Path) -> None:  # noqa: ANN001
    from vidseek.models.onnx_cache import check_export

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "VidseekTinyTest.json").write_text(json.dumps(TINY))
    folder = _copy_of_export(cache, tmp_path / "cache")
    good = _load_in_child(tmp_path / "cache", configs)
    assert good.returncode == 0 and "damaged" not in good.stderr, good.stderr
    _scramble_64k(folder / "text.fp32.onnx")
    _truncate(folder / "image.int8.onnx")
    again = _load_in_child(tmp_path / "cache", configs)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    lines = [line for line in again.stderr.splitlines() if "ONNX" in line]
    assert len(lines) == 1 and "is damaged" in lines[0] and "exporting it again" in lines[0], again.stderr
    assert check_export(folder)[0] is not None  # repaired
    assert np.allclose(json.loads(again.stdout), json.loads(good.stdout), atol=1e-4)  # the same vectors again
    third = _load_in_child(tmp_path / "cache", configs)
    assert third.returncode == 0 and "ONNX" not in third.stderr  # used as it is from then on


_EXPORT_UNTIL_KILLED = """
import sys, warnings
warnings.simplefilter("ignore")
import open_clip
open_clip.add_model_config(sys.argv[2])
from vidseek.models.encoders import load_encoder
load_encoder(sys.argv[1], backend="onnx", cache_dir=sys.argv[3])
"""

_HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)  # like an export in progress in another process
print("held", flush=True)
sys.stdin.read()
"""


def test_a_killed_export_leaves_a_copy_the_next_process_removes(onnx_fp32, cache: Path, tmp_path: Path) -> None:  # noqa: ANN001
    import os
    import shutil
    import signal
    import time

    from vidseek.models.onnx_cache import export_lock, staging_prefix

    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "VidseekTinyTest.json").write_text(json.dumps(TINY))
    mine = tmp_path / "cache"
    folder = export_folder(mine, SPEC)
    child = subprocess.Popen(
        [sys.executable, "-c", _EXPORT_UNTIL_KILLED, SPEC, str(configs / "VidseekTinyTest.json"), str(mine)],
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not any(folder.parent.glob(f"{staging_prefix(folder)}*/*.onnx")) and time.monotonic() < deadline:
            assert child.poll() is None, "the export ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    (left,) = [p for p in folder.parent.glob(f"{staging_prefix(folder)}*") if p.is_dir()]
    assert any(left.glob("*.onnx")) and not folder.exists()

    shutil.copytree(export_folder(cache, SPEC), folder)  # an export there now: loading it exports nothing
    live = folder.parent / f"{staging_prefix(folder)}live"  # staging of an export in progress elsewhere
    live.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(export_lock(folder))], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"held"
        from vidseek.models.encoders import _build

        _build(SPEC, device="cpu", threads=0, precision="fp32", backend="onnx", cache_dir=mine)
        assert left.exists() and live.exists()  # someone holds the lock: nothing is removed
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    live.rmdir()
    _build(SPEC, device="cpu", threads=0, precision="fp32", backend="onnx", cache_dir=mine)
    assert not left.exists()  # nobody exporting: the dead export's copy is gone
    assert read_export(folder) is not None  # and the export beside it untouched


def test_a_cache_that_cannot_be_written_is_one_sentence_naming_the_setting(onnx_fp32) -> None:  # noqa: ANN001
    unwritable = Path("/sys/vidseek-model-cache")  # sysfs: no one may make a folder there, root included
    if not Path("/sys").is_dir() or unwritable.exists():
        pytest.skip("needs Linux's /sys")
    with pytest.raises(ModelError) as caught:
        load_encoder(SPEC, backend="onnx", precision="fp32", cache_dir=unwritable)
    message = str(caught.value)
    assert "VIDSEEK_MODEL_CACHE" in message and str(unwritable.parent) in message and "\n" not in message


def test_a_query_with_a_hugging_face_tokenizer_never_imports_torch_either(tmp_path: Path) -> None:
    """The multilingual preset's kind of model (a Hugging Face tokenizer, as SigLIP's) on ONNX: its
    ``tokenizer.json`` is kept with the export and a query process reads it without torch or transformers,
    to the same vectors as torch."""
    import open_clip
    from test_hf_tokens import _sentencepiece_like

    tokenizer = tmp_path / "tokenizer"
    tokenizer.mkdir()
    special = _sentencepiece_like(tokenizer)
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 16, **special}
    (tokenizer / "tokenizer_config.json").write_text(json.dumps(config))
    text_cfg = {**TINY["text_cfg"], "context_length": 16, "vocab_size": 128, "hf_tokenizer_name": str(tokenizer)}
    tiny_hf = {**TINY, "text_cfg": {**text_cfg, "tokenizer_kwargs": {"clean": "canonicalize"}}}
    (tmp_path / "VidseekTinyHfTest.json").write_text(json.dumps(tiny_hf))
    open_clip.add_model_config(tmp_path / "VidseekTinyHfTest.json")
    spec, cache = "VidseekTinyHfTest:random", tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = load_encoder(spec, precision="fp32").encode_text(["a red car", "ein Hund"])
        load_encoder(spec, backend="onnx", precision="fp32", cache_dir=cache)
    assert read_export(export_folder(cache, spec))["tokenizer"]["kind"] == "hf_tokenizers"
    script = (
        "import json, sys, warnings; warnings.simplefilter('ignore')\n"
        "from vidseek.models.encoders import load_encoder\n"
        f"e = load_encoder({spec!r}, backend='onnx', precision='fp32', cache_dir={str(cache)!r})\n"
        "v = e.encode_text(['a red car', 'ein Hund'])\n"
        "print(json.dumps(v.tolist()))\n"
        "print(type(e).__name__, 'torch' in sys.modules, 'transformers' in sys.modules, 'open_clip' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    vectors, facts = out.stdout.strip().splitlines()
    assert facts.split() == ["OnnxClipEncoder", "False", "False", "False"]
    assert (np.array(json.loads(vectors)) * reference).sum(axis=1).min() > 0.9999
