"""Speech model specs (``VIDSEEK_SPEECH_MODEL``) read and checked without building a model.

A spec is one of

- ``faster-whisper:SIZE`` (``tiny``, ``base``, ``small``, ``medium``, ``large-v3``, ``turbo``, ...) or
  ``faster-whisper:ORG/REPO``: a faster-whisper (CTranslate2) model, fetched from the Hugging Face hub
  on first use on a machine with internet;
- a model folder (``/models/whisper-small``, ``./...``, ``~/...``, or ``faster-whisper:/models/...``):
  a CTranslate2 faster-whisper model copied there for an offline machine (``model.bin``,
  ``config.json``, ``tokenizer.json``, vocabulary);
- ``python:MODULE:ATTR``: a custom transcriber (``vidseek.said.transcribers``), as tests use. Checking one
  imports it in a child process (``vidseek.import_probe``), given ``VIDSEEK_SPEECH_IMPORT_TIMEOUT``
  seconds: a module that raises or hangs as it is imported is one sentence, never a traceback or a hang.

faster-whisper is the optional extra ``vidseek[speech]``; it is imported only here and in
``vidseek.said.transcribers``, and only for a faster-whisper spec.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vidseek.errors import ModelError
from vidseek.import_probe import probe_factory
from vidseek.models.model_spec import FETCH_CHECK_SECONDS, cause_of, hf_problem, python_factory

FASTER_WHISPER = "faster-whisper:"
FOLDER_FILES = ("model.bin", "tokenizer.json")
"""What a faster-whisper model folder must hold to load offline (without ``tokenizer.json``
faster-whisper fetches one from the hub)."""
INSTALL = "pip install 'vidseek[speech]'"
SETTING = "VIDSEEK_SPEECH_MODEL"
IMPORT_TIMEOUT_SETTING = "VIDSEEK_SPEECH_IMPORT_TIMEOUT"
IMPORT_CHECK_SECONDS = 30.0
"""How long a ``python:`` speech model's import may take when it is checked (the setting's default)."""


@dataclass(frozen=True)
class SpeechSource:
    """What a speech spec builds."""

    spec: str
    """The canonical spec: what a queued job records to load the same model again (a folder absolute)."""
    kind: str
    """'python', 'folder' or 'hub'."""
    target: str
    """The ``python:`` spec, the folder's path, or the faster-whisper size or hub repository."""
    name: str
    """The model's name, recorded in each transcript cue's source (``speech:NAME``)."""


def speech_source(spec: str, *, import_timeout: float = IMPORT_CHECK_SECONDS) -> SpeechSource:
    """The SpeechSource of ``spec``; ModelError (one sentence) when it cannot be one. Reads the file
    system only (a folder's files; a ``python:`` module imported in a child process, for at most
    ``import_timeout`` seconds, for its ``name``)."""
    source = parse_speech_spec(spec)
    if source.kind != "python":
        return source
    name = probe_factory(source.spec, timeout=import_timeout, setting=SETTING, timeout_setting=IMPORT_TIMEOUT_SETTING)
    return SpeechSource(source.spec, "python", source.target, name)


def parse_speech_spec(spec: str) -> SpeechSource:
    """The SpeechSource of ``spec`` as written, importing nothing (a ``python:`` spec's name is
    ``MODULE.ATTR``); ModelError (one sentence) when it cannot be one. Reads a folder's files."""
    spec = spec.strip()
    if spec.startswith("python:"):
        parts = spec.split(":")
        if len(parts) != 3 or not all(parts[1:]):
            raise ModelError(f"Speech model spec {spec!r} should look like python:MODULE:ATTR ({SETTING}).")
        return SpeechSource(spec, "python", spec, f"{parts[1]}.{parts[2]}")
    raw = spec[len(FASTER_WHISPER) :] if spec.startswith(FASTER_WHISPER) else spec
    if raw.startswith(("/", ".", "~")):
        folder = check_folder(Path(raw).expanduser())
        return SpeechSource(str(folder), "folder", str(folder), f"faster-whisper:{folder.name}")
    if not spec.startswith(FASTER_WHISPER) or not raw or raw.count("/") > 1 or ":" in raw:
        raise ModelError(
            f"Speech model spec {spec!r} should be faster-whisper:SIZE (e.g. faster-whisper:small), "
            "faster-whisper:ORG/REPO, /path/to/a/faster-whisper/model/folder or python:MODULE:ATTR "
            f"({SETTING})."
        )
    return SpeechSource(spec, "hub", raw, spec)


def import_factory(spec: str) -> Callable[[], object]:
    """The factory of a ``python:`` speech spec, imported in this process (a transcriber's own process,
    ``vidseek.said.transcriber_process``); ModelError, one sentence, whatever the import raised."""
    try:
        return python_factory(spec)
    except ModelError:
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's module: a syntax error, anything it raises
        module = spec.split(":")[1]
        raise ModelError(f"Cannot import module {module!r}: {cause_of(exc)}") from None


def check_folder(folder: Path) -> Path:
    """The folder, absolute, when it holds a faster-whisper model; else ModelError naming what is missing."""
    if not folder.is_dir():
        raise ModelError(f"Speech model folder {folder} (from VIDSEEK_SPEECH_MODEL) does not exist or is not a folder.")
    missing = [name for name in FOLDER_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelError(
            f"Speech model folder {folder} has no {' or '.join(missing)}: it should be a CTranslate2 "
            "faster-whisper model (model.bin, config.json, tokenizer.json, vocabulary), such as a copy of "
            "the Hugging Face repository Systran/faster-whisper-small."
        )
    return folder.resolve()


def require_faster_whisper() -> None:
    if importlib.util.find_spec("faster_whisper") is None:
        raise ModelError(f"Speech transcription with faster-whisper needs the speech extra: {INSTALL}.")


def hub_repo(target: str) -> str:
    """The Hugging Face repository faster-whisper downloads for a size or repository name."""
    if "/" in target:
        return target
    from faster_whisper import utils

    models = getattr(utils, "_MODELS", {})
    if target not in models:
        raise ModelError(
            f"faster-whisper has no model {target!r}; known ones: {', '.join(models)} "
            "(or faster-whisper:ORG/REPO, or a local model folder)."
        )
    return models[target]


def cannot_fetch(target: str, repo: str, cause: str) -> str:
    return (
        f"Could not fetch the faster-whisper model {target!r} (Hugging Face repository {repo}; no network?). "
        f"On an offline machine, download that repository on one with internet "
        f"(hf download {repo} --local-dir whisper-model), copy the folder over and set "
        f"VIDSEEK_SPEECH_MODEL=/path/to/whisper-model. Cause: {cause}"
    )


def check_speech_spec(
    spec: str, *, timeout: float = FETCH_CHECK_SECONDS, import_timeout: float = IMPORT_CHECK_SECONDS
) -> SpeechSource:
    """The spec's SpeechSource when it can be loaded here, without building the model: a ``python:``
    factory imports (in a child process, within ``import_timeout`` seconds); a folder holds a model;
    for a faster-whisper name, faster-whisper is installed and the model is in the local Hugging Face
    cache or the hub answers within ``timeout`` seconds. Otherwise ModelError, one sentence saying what
    to do."""
    source = speech_source(spec, import_timeout=import_timeout)
    if source.kind == "python":
        return source
    require_faster_whisper()
    if source.kind == "hub":
        repo = hub_repo(source.target)
        cause = hf_problem(repo, ["model.bin"], timeout)
        if cause is not None:
            raise ModelError(cannot_fetch(source.target, repo, cause))
    return source
