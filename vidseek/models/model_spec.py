"""Model specs (README, "Pick a model") read and checked without building a model.

Besides the README's ``ARCH:TAG``, ``ARCH:/path/to/weights``, ``ARCH:random`` and
``python:MODULE:ATTR``, a spec may be a preset name (``vidseek.models.model_presets``), ``hf-hub:ORG/REPO``
(an open_clip repository on the Hugging Face hub) or a model folder (``vidseek.models.model_folders``).

``split_spec`` parses ``ARCH:WEIGHTS``; ``open_clip_source`` says what open_clip should build and the
name an index records; ``canonical_spec`` is the spec a library records to load its model again;
``check_spec`` says whether a spec can be loaded here (for queueing a re-embed): the architecture
and tag exist, a weights file or model folder is there, and pretrained weights (and a Hugging Face
tokenizer) are in the local cache or their host answers within a few seconds.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidseek.errors import ModelError
from vidseek.models.model_folders import (
    CONFIG_FILE,
    LOCAL_DIR,
    TOKENIZER_FILES,
    check_model_folder,
    hf_tokenizer_name,
    model_folder,
    require_transformers,
)
from vidseek.models.model_presets import expand_preset

HF_HUB = "hf-hub:"


@dataclass(frozen=True)
class ModelSource:
    """What open_clip builds for a spec: ``model_name`` goes to ``create_model`` and ``get_tokenizer``,
    ``pretrained`` is a tag, a file path or None; ``name`` is recorded in the index; ``spec`` is the
    canonical spec (``canonical_spec``). A ``model_name`` with open_clip's ``hf-hub:`` or ``local-dir:``
    schema brings its own config and weights (``pretrained`` None); a bare architecture with
    ``pretrained`` None has random weights."""

    spec: str
    model_name: str
    pretrained: str | None
    name: str

    @property
    def random(self) -> bool:
        return self.pretrained is None and not self.model_name.startswith((HF_HUB, LOCAL_DIR))


def warn_random(spec: str) -> None:
    warnings.warn(
        f"VIDSEEK_MODEL={spec} uses untrained weights: results are meaningless. For tests and benchmarks only.",
        stacklevel=5,
    )


def open_clip_source(spec: str) -> ModelSource:
    """The ModelSource of an open_clip spec (a preset name, ``ARCH:WEIGHTS``, ``hf-hub:ORG/REPO``, or a
    model folder); ModelError (one sentence) when it cannot be one. Reads no network."""
    spec = expand_preset(spec)
    if spec.startswith(HF_HUB):
        hf_repo(spec)
        return ModelSource(spec, spec, None, f"open_clip:{spec}")
    folder = model_folder(spec)
    if folder is not None:
        weights = check_model_folder(folder)
        name = f"{LOCAL_DIR}{folder}"
        return ModelSource(name, name, None, f"open_clip:{LOCAL_DIR}sha256={_file_digest(weights)}")
    import open_clip

    arch, weights = split_spec(spec)
    if arch not in open_clip.list_models():
        raise ModelError(unknown_arch(open_clip, arch))
    if weights == "random":
        warn_random(spec)
        return ModelSource(spec, arch, None, f"open_clip:{arch}:random")
    path = Path(weights).expanduser()
    if is_weights_file(weights):
        if not path.is_file():
            raise ModelError(f"Weights file {path} for {arch} does not exist (from VIDSEEK_MODEL).")
        path = path.resolve()
        return ModelSource(f"{arch}:{path}", arch, str(path), f"open_clip:{arch}:sha256={_file_digest(path)}")
    _check_tag(open_clip, arch, weights)
    return ModelSource(spec, arch, weights, f"open_clip:{arch}:{weights}")


def canonical_spec(spec: str) -> str:
    """The spec to record for loading ``spec`` again later, from any directory: a preset is replaced by
    the spec it stands for, a folder or weights file by its absolute path; others are unchanged.
    Reads nothing but the file system (a missing folder is a ModelError)."""
    if spec.startswith(("python:", HF_HUB)):
        return spec
    spec = expand_preset(spec)
    folder = model_folder(spec)
    if folder is not None:
        return f"{LOCAL_DIR}{folder}"
    arch, sep, weights = spec.partition(":")
    if sep and weights != "random" and is_weights_file(weights):
        return f"{arch}:{Path(weights).expanduser().resolve()}"
    return spec


def cause_of(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else type(exc).__name__


def cannot_fetch(arch: str, weights: str, cause: str) -> str:
    repo = _tokenizer_model_repo(arch, weights)
    if repo is not None:  # its weights file alone is not enough offline: the tokenizer files must come too
        return (
            f"Could not fetch pretrained weights '{weights}' for {arch} (no network?). On an offline machine, "
            f"download the Hugging Face repository {repo} (config, weights and tokenizer files) into a folder "
            f"on one with internet and set VIDSEEK_MODEL=/path/to/that/folder. Cause: {cause}"
        )
    return (
        f"Could not fetch pretrained weights '{weights}' for {arch} (no network?). On an offline machine, "
        f"download the checkpoint on one with internet and set VIDSEEK_MODEL={arch}:/path/to/weights.bin "
        f"(an open_clip .bin, .pt or .safetensors file). Cause: {cause}"
    )


def _tokenizer_model_repo(arch: str, weights: str) -> str | None:
    """The Hugging Face repository of a built-in model that uses a Hugging Face tokenizer, else None."""
    import open_clip

    try:
        if not hf_tokenizer_name(open_clip.get_model_config(arch) or {}):
            return None
        cfg = open_clip.get_pretrained_cfg(arch, weights) or {}
    except Exception:  # noqa: BLE001 - a name open_clip cannot read: no repository to name
        return None
    return (cfg.get("hf_hub") or "").rstrip("/") or None


def unknown_arch(open_clip, arch: str) -> str:  # noqa: ANN001
    return (
        f"Unknown open_clip architecture {arch!r} in VIDSEEK_MODEL. Known ones include: "
        f"{', '.join(open_clip.list_models()[:12])}, ... (all of them, with their pretrained tags: "
        "python -c 'import open_clip; print(open_clip.list_pretrained())')."
    )


def is_weights_file(weights: str) -> bool:
    return weights.startswith(("/", ".", "~")) or Path(weights).suffix in (".bin", ".pt", ".pth", ".safetensors")


def _check_tag(open_clip, arch: str, weights: str) -> None:  # noqa: ANN001
    tags = open_clip.list_pretrained_tags_by_model(arch)
    if weights not in tags:
        raise ModelError(
            f"{arch} has no pretrained tag {weights!r}; known tags: {', '.join(tags) or 'none'}. "
            f"Or give a local file: VIDSEEK_MODEL={arch}:/path/to/weights"
        )


FETCH_CHECK_SECONDS = 3.0
"""How long ``check_spec`` waits for the weights' host to answer before calling them unreachable."""


def check_spec(spec: str, *, timeout: float = FETCH_CHECK_SECONDS) -> None:
    """Raise ModelError (the sentence ``load_encoder`` would give) unless ``spec`` can be loaded here,
    without building the model: a ``python:`` factory imports and exists; a preset, an open_clip
    architecture and tag are known; a weights file exists; a model folder holds a config, weights
    and (when it names one) tokenizer files; pretrained weights, an ``hf-hub:`` repository's files and
    a Hugging Face tokenizer are in the local cache (the Hugging Face cache, or ``~/.cache/clip`` for
    URL weights) or their host answers within ``timeout`` seconds (at once with ``HF_HUB_OFFLINE=1``)."""
    if spec.startswith("python:"):
        python_factory(spec)
        return
    spec = expand_preset(spec)
    if spec.startswith(HF_HUB):
        repo = hf_repo(spec)
        for names in ([CONFIG_FILE], _hf_candidates("open_clip_pytorch_model.bin")):
            cause = hf_problem(repo, names, timeout)
            if cause is not None:
                raise ModelError(cannot_fetch_repo(repo, cause))
        return
    folder = model_folder(spec)
    if folder is not None:
        check_model_folder(folder)
        return
    arch, weights = split_spec(spec)
    import open_clip

    if arch not in open_clip.list_models():
        raise ModelError(unknown_arch(open_clip, arch))
    _check_hf_tokenizer(open_clip, arch, timeout)
    if weights == "random":
        return
    if is_weights_file(weights):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise ModelError(f"Weights file {path} for {arch} does not exist (from VIDSEEK_MODEL).")
        return
    _check_tag(open_clip, arch, weights)
    cause = _fetch_problem(open_clip.get_pretrained_cfg(arch, weights), timeout)
    if cause is not None:
        raise ModelError(cannot_fetch(arch, weights, cause))


def hf_repo(spec: str) -> str:
    """``ORG/REPO`` of an ``hf-hub:ORG/REPO`` spec."""
    repo = spec[len(HF_HUB) :]
    org, sep, name = repo.partition("/")
    if not (org and sep and name) or "/" in name or ":" in repo:
        raise ModelError(f"Model spec {spec!r} should look like hf-hub:ORG/REPO (a Hugging Face open_clip repository).")
    return repo


def cannot_fetch_repo(repo: str, cause: str) -> str:
    return (
        f"Could not fetch the open_clip model {HF_HUB}{repo} ({CONFIG_FILE} and weights; no network?). On an "
        f"offline machine, download the repository's files on one with internet into a folder and set "
        f"VIDSEEK_MODEL=/path/to/that/folder. Cause: {cause}"
    )


def tokenizer_problem(what: str, tokenizer: str, cause: str) -> str:
    return (
        f"Could not load the Hugging Face tokenizer {tokenizer!r} of {what} (no network?). On an offline "
        f"machine, put the model's {CONFIG_FILE}, weights and tokenizer files in one folder and set "
        f"VIDSEEK_MODEL=/path/to/that/folder. Cause: {cause}"
    )


def fetch_hf_model(repo: str) -> None:
    """Bring an ``hf-hub:`` repository's config and weights into the local cache (a no-op when they
    are there), as open_clip's ``create_model`` looks them up; ModelError when it cannot. (open_clip
    itself builds a model with random weights, with only a log line, when the weights are missing.)"""
    from open_clip.pretrained import download_pretrained_from_hf

    try:
        download_pretrained_from_hf(repo, filename=CONFIG_FILE)
        download_pretrained_from_hf(repo)
    except Exception as exc:  # noqa: BLE001 - hub errors come in many kinds
        raise ModelError(cannot_fetch_repo(repo, cause_of(exc))) from None


def _check_hf_tokenizer(open_clip, arch: str, timeout: float) -> None:  # noqa: ANN001
    """A built-in architecture whose config names a Hugging Face tokenizer (SigLIP, multilingual ones)
    needs ``transformers`` and that tokenizer's files, cached or reachable."""
    tokenizer = hf_tokenizer_name(open_clip.get_model_config(arch) or {})
    if not tokenizer:
        return
    require_transformers(arch)
    cause = hf_problem(tokenizer, list(TOKENIZER_FILES), timeout)
    if cause is not None:
        raise ModelError(tokenizer_problem(arch, tokenizer, cause))


def hf_problem(repo: str, names: list[str], timeout: float) -> str | None:
    """Why none of ``names`` of a Hugging Face repository can be had now (None: cached or reachable)."""
    try:
        import huggingface_hub
    except ImportError:
        return "the huggingface_hub package is not installed"
    if any(isinstance(huggingface_hub.try_to_load_from_cache(repo, name), str) for name in names):
        return None
    if _hf_offline():
        return "not in the local Hugging Face cache, and HF_HUB_OFFLINE is set"
    return _answers_within(timeout, lambda: _hf_reachable(huggingface_hub, repo, names, timeout))


def _hf_offline() -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def _fetch_problem(cfg: dict, timeout: float) -> str | None:
    """Why the weights of a pretrained config cannot be had now (None: cached, or the host answered).
    Mirrors open_clip's ``download_pretrained``: the Hugging Face hub first, else the URL."""
    if cfg.get("file"):
        return None if Path(cfg["file"]).is_file() else f"the file {cfg['file']} does not exist"
    try:
        import huggingface_hub
    except ImportError:
        huggingface_hub = None
    if huggingface_hub is not None and cfg.get("hf_hub"):
        repo, filename = os.path.split(cfg["hf_hub"])
        return hf_problem(repo, _hf_candidates(filename or "open_clip_pytorch_model.bin"), timeout)
    url = cfg.get("url", "")
    if not url:
        return "open_clip names no download for it"
    if Path("~/.cache/clip").expanduser().joinpath(os.path.basename(url)).is_file():
        return None
    return _answers_within(timeout, lambda: _url_reachable(url, timeout))


def _hf_candidates(filename: str) -> list[str]:
    """The file names open_clip tries on the hub, in its order (safetensors first)."""
    if filename == "open_clip_pytorch_model.bin":
        return ["open_clip_model.safetensors", filename]
    if filename.endswith((".bin", ".pth")):
        return [filename[:-4] + ".safetensors", filename]
    return [filename]


def _hf_reachable(huggingface_hub, repo: str, names: list[str], timeout: float) -> None:  # noqa: ANN001
    error: Exception | None = None
    for name in names:
        try:
            huggingface_hub.get_hf_file_metadata(huggingface_hub.hf_hub_url(repo, name), timeout=timeout)
            return
        except Exception as exc:  # noqa: BLE001 - any failure: try the next name, report the last
            error = exc
    raise error or RuntimeError("no file to fetch")


def _url_reachable(url: str, timeout: float) -> None:
    """A HEAD request answered (a redirect counts: the host is there); raises otherwise."""
    import urllib.error
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError as exc:
        if not 300 <= exc.code < 400:
            raise


def _answers_within(timeout: float, probe) -> str | None:  # noqa: ANN001
    """Run ``probe`` (raises when the host cannot serve the file) for at most ``timeout`` seconds, name
    resolution included; None when it returned, else why not."""
    outcome: list[str | None] = []

    def run() -> None:
        try:
            probe()
            outcome.append(None)
        except Exception as exc:  # noqa: BLE001
            outcome.append(cause_of(exc))

    thread = threading.Thread(target=run, name="vidseek-weights-check", daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else f"no answer within {timeout:g} s"


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def python_factory(spec: str) -> Callable[[], object]:
    """The class or factory a ``python:MODULE:ATTR`` spec names (imported, not called)."""
    parts = spec.split(":")
    if len(parts) != 3 or not all(parts[1:]):
        raise ModelError(f"Model spec {spec!r} should look like python:MODULE:ATTR.")
    _, module_name, attr = parts
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(f"Cannot import module {module_name!r} for model spec {spec!r}: {exc}") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise ModelError(f"Module {module_name!r} has no attribute {attr!r} (model spec {spec!r}).")
    if not callable(factory):
        raise ModelError(f"{module_name}.{attr} is not a class or factory (model spec {spec!r}).")
    return factory


def split_spec(spec: str) -> tuple[str, str]:
    """(architecture, weights) of an open_clip spec."""
    arch, sep, weights = spec.partition(":")
    if not sep or not arch or not weights:
        raise ModelError(
            f"Model spec {spec!r} should be ARCH:TAG, ARCH:/path/to/weights, ARCH:random, a preset "
            "(fast, best, multilingual), hf-hub:ORG/REPO, /path/to/model/folder or python:MODULE:ATTR "
            "(for example ViT-B-32:laion2b_s34b_b79k)."
        )
    return arch, weights
