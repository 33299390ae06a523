"""The Docker deployment, checked without a Docker engine: docker-compose.yml and the Dockerfile parse,
run real vidseek commands, document their variables, and start in a safe order."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from cli.main import main
from vidseek.config import Settings

REPO = Path(__file__).resolve().parents[2]
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (REPO / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def assert_vidseek_command(args: list[str], where: str) -> None:
    assert args and args[0] == "vidseek", f"{where}: {args} does not run vidseek"
    words = [a for a in args[1:] if not a.startswith("-")]
    assert words, f"{where}: {args} names no vidseek command"
    ctx = click.Context(main)
    names = main.list_commands(ctx)
    assert words[0] in names, f"{where}: `vidseek {words[0]}` is not a command ({names})"
    # the options given are ones the command takes
    command = main.get_command(ctx, words[0])
    known = {opt for p in command.params for opt in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    for arg in args[1:]:
        if arg.startswith("--"):
            assert arg.split("=")[0] in known, f"{where}: `vidseek {words[0]}` has no option {arg}"


def test_every_service_runs_a_real_vidseek_command(compose: dict) -> None:
    services = compose["services"]
    assert {"postgres", "api", "worker"} <= set(services), sorted(services)
    for name, service in services.items():
        if name == "postgres":
            continue
        assert "command" in service, f"{name}: no command"
        assert_vidseek_command(argv(service["command"]), name)
    assert argv(services["api"]["command"])[:2] == ["vidseek", "serve"]
    assert "0.0.0.0" in argv(services["api"]["command"])
    assert argv(services["worker"]["command"])[:2] == ["vidseek", "worker"]
    assert "replicas" in services["worker"].get("deploy", {})


def test_postgres_is_healthy_before_vidseek_starts(compose: dict) -> None:
    services = compose["services"]
    postgres = services["postgres"]
    assert str(postgres["image"]).startswith("postgres:15")
    assert "pg_isready" in " ".join(argv(postgres["healthcheck"]["test"]))
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
    # one process migrates a fresh database first: the workers wait for a healthy API
    assert services["worker"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(argv(services["api"]["healthcheck"]["test"]))


def test_vidseek_services_share_data_and_media_and_point_at_postgres(compose: dict) -> None:
    for name in ("api", "worker"):
        service = compose["services"][name]
        env = service["environment"]
        assert env["VIDSEEK_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in env["VIDSEEK_DATABASE_URL"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        assert mounts.get(env["VIDSEEK_DATA_DIR"]) and mounts.get(env["VIDSEEK_MEDIA_DIR"]), name
        for volume in mounts.values():
            assert volume in compose["volumes"], f"{name}: volume {volume} is not declared"
        # every VIDSEEK_* variable set is a real setting (a typo would be silently ignored)
        fields = {f"VIDSEEK_{f.upper()}" for f in Settings.model_fields}
        unknown = [k for k in env if k.startswith("VIDSEEK_") and k not in fields]
        assert not unknown, f"{name}: not vidseek settings: {unknown}"


def test_secrets_come_from_the_environment_and_every_variable_is_documented(compose_text: str) -> None:
    used = {m.group(1): (m.group(2), m.group(3)) for m in VARIABLE.finditer(compose_text)}
    for required in ("POSTGRES_PASSWORD", "VIDSEEK_MODEL"):
        operator, message = used[required]
        assert operator == ":?" and message.strip(), f"{required} must be required with a message: ${{{required}:?...}}"
    # no password is written down: the database's and the URL's both come from the environment
    compose = yaml.safe_load(compose_text)
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    url = compose["services"]["api"]["environment"]["VIDSEEK_DATABASE_URL"]
    assert re.match(r"postgresql\+psycopg://vidseek:\$\{POSTGRES_PASSWORD:\?[^}]+\}@", url), url
    readme = (REPO / "README.md").read_text()
    deploy = readme[readme.index("## Deploy") :]
    missing = [name for name in used if f"`{name}`" not in deploy]
    assert not missing, f"not described in README.md's Deploy section: {missing}"


def test_dockerfile_runs_vidseek_as_a_non_root_user(dockerfile: str) -> None:
    lines = [
        line.strip()
        for line in re.sub(r"\\\n", " ", dockerfile).splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [arg for op, arg in instructions if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")

    def exec_form(op: str) -> list[str]:
        args = [arg for o, arg in instructions if o == op]
        if not args:
            return []
        value = args[-1]
        return json.loads(value) if value.startswith("[") else ["sh", "-c", value]

    assert_vidseek_command(exec_form("ENTRYPOINT") + exec_form("CMD"), "Dockerfile CMD/ENTRYPOINT")
    assert any(op == "RUN" and "pip install" in arg and "." in arg for op, arg in instructions)


def test_dockerfile_torch_pins_match_pyproject(dockerfile: str) -> None:
    pins = {
        d.split("==")[0]: d
        for d in re.findall(r'"((?:torch|torchvision)==[^"]+)"', (REPO / "pyproject.toml").read_text())
    }
    assert set(pins) == {"torch", "torchvision"}
    for pin in pins.values():
        assert pin in dockerfile, f"the Dockerfile's CPU-wheel install should pin {pin} like pyproject.toml"
