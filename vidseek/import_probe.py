"""Importing a ``python:MODULE:ATTR`` factory in a child process, within a time limit.

A module that raises as it is imported (any exception, a syntax error) or never finishes importing
must not take down or hold the process that asked (a server's request, ``vidseek transcribe``): the
child imports it and answers the factory's ``name`` attribute, or why it could not; one that takes
longer than the limit is killed, with everything it started. ``child_env`` gives a child this
process's ``sys.path``, so it finds the same modules.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from vidseek.errors import ModelError

ANSWER = "vidseek-import-probe:"
"""The prefix of the child's answer line (the module may print to stdout as it is imported)."""

_PROBE = f"""
import importlib, json, sys
module, attr = sys.argv[1], sys.argv[2]
def cause(exc):
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{{type(exc).__name__}}: {{text}}" if text else type(exc).__name__
def answer(**fields):
    sys.stdout.write("\\n{ANSWER}" + json.dumps(fields) + "\\n")
    sys.stdout.flush()
try:
    factory = getattr(importlib.import_module(module), attr, None)
except BaseException as exc:
    answer(problem="import", cause=cause(exc))
else:
    if factory is None:
        answer(problem="attribute")
    elif not callable(factory):
        answer(problem="callable")
    else:
        try:
            name = str(getattr(factory, "name", f"{{module}}.{{attr}}"))
        except BaseException as exc:
            answer(problem="import", cause=cause(exc))
        else:
            answer(name=name)
"""


def child_env() -> dict[str, str]:
    """This process's environment, with ``PYTHONPATH`` its ``sys.path`` (the current folder made absolute)."""
    paths = [os.path.abspath(p) if p else os.getcwd() for p in sys.path]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def probe_factory(spec: str, *, timeout: float, setting: str, timeout_setting: str) -> str:
    """The ``name`` of the factory a ``python:MODULE:ATTR`` spec names (its ``MODULE.ATTR`` without one),
    imported in a child process that is given ``timeout`` seconds; else ModelError, one sentence that
    names ``setting`` (the environment variable the spec came from) and, for a slow import,
    ``timeout_setting``."""
    parts = spec.split(":")
    if len(parts) != 3 or not all(parts[1:]):
        raise ModelError(f"Model spec {spec!r} should look like python:MODULE:ATTR ({setting}).")
    _, module, attr = parts
    proc = subprocess.Popen(
        [sys.executable, "-c", _PROBE, module, attr],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=child_env(),
        start_new_session=True,  # its own process group: whatever the import started is killed with it
        text=True,
        errors="replace",
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)  # the leader is not reaped yet: its group id is still its own
        raise ModelError(
            f"Importing module {module!r} for {setting}={spec} did not finish within {timeout:g} s "
            f"({timeout_setting}); it was stopped."
        ) from None
    found = _answer(out)
    if found is None:
        raise ModelError(
            f"Importing module {module!r} for {setting}={spec} ended its Python process (exit code {proc.returncode})."
        )
    if found.get("problem") == "import":
        raise ModelError(f"Cannot import module {module!r} ({setting}={spec}): {found.get('cause')}")
    if found.get("problem") == "attribute":
        raise ModelError(f"Module {module!r} has no attribute {attr!r} (model spec {spec!r}, {setting}).")
    if found.get("problem") == "callable":
        raise ModelError(f"{module}.{attr} is not a class or factory (model spec {spec!r}, {setting}).")
    return str(found.get("name", f"{module}.{attr}"))


def _answer(out: str) -> dict | None:
    for line in reversed(out.splitlines()):
        if line.startswith(ANSWER):
            try:
                found = json.loads(line[len(ANSWER) :])
            except ValueError:
                return None
            return found if isinstance(found, dict) else None
    return None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
