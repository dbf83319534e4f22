"""The import contract: layers import one way.

    core (plain Python) <- models <- selectors <- services <- reports <- tasks, admin, apis,
    commands, urls

A module may import modules of its own layer or below, never above, at module level or inside a
function. Two exceptions are the house rule for background jobs: a service queues its tasks, so
services may import `claims.tasks`; a task imports the service it calls inside its body, never
at module level, so the two never form a cycle. The top layer's kinds stay apart: tasks import no
admin or API, the API no admin, the admin no API. `tracker` (settings, errors, bulk helpers,
history) sits below everything and imports none of the apps above `models`.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ("claims", "sources", "api", "tracker")

RANK = {"base": 0, "core": 1, "models": 2, "selectors": 3, "services": 4, "reports": 5, "top": 6}


def layer_of(module: str) -> tuple[str, str]:
    """(layer, kind) of a project module; kind tells the top layer's parts apart."""
    parts = module.split(".")
    app, rest = parts[0], parts[1:]
    head = rest[0] if rest else ""
    if app == "tracker":
        if head in {"", "urls", "celery", "wsgi", "settings", "urls_converters"}:
            return "top", "urls"  # the project's wiring: it loads everything
        if head in {"models"}:
            return "models", "models"
        if head == "admin_site":
            return "top", "admin"  # the admin's front page: it reads the desk's selectors
        return "base", "base"
    if app == "api":
        return "top", "apis"
    if head == "core" or module == "sources.url_normalization":
        return "core", "core"
    if head in {"models", "migrations"}:
        return "models", "models"
    if head == "selectors":
        return "selectors", "selectors"
    if head == "services":
        return "services", "services"
    if head == "reports":
        return "reports", "reports"
    if head == "tasks":
        return "top", "tasks"
    if head == "admin":
        return "top", "admin"
    if head == "apis":
        return "top", "apis"
    if head == "management":
        return "top", "commands"
    if head in {"urls", "apps", ""}:
        return "top", "urls"
    raise AssertionError(f"{module}: no layer assigned; add it to tests/tracker/test_layers.py")


def project_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if "migrations" in parts:
                continue
            yield ".".join(parts), path


def imports_of(path: pathlib.Path, module: str):
    """(imported module, line, at module level) for every project import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            # `from claims.core import values` imports the submodule claims.core.values
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        yield from (
            (name, node.lineno, id(node) in top_level)
            for name in names
            if name.split(".")[0] in APPS
        )


def resolve(name: str, known: set[str]) -> str | None:
    """The project module an imported name refers to (a module, or a name in one)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def violations():
    modules = dict(project_modules())
    known = set(modules)
    for module, path in modules.items():
        layer, kind = layer_of(module)
        seen = set()
        for name, line, module_level in imports_of(path, module):
            target = resolve(name, known)
            if target is None or target == module or module.startswith(target + "."):
                continue
            if (target, line) in seen:
                continue
            seen.add((target, line))
            target_layer, target_kind = layer_of(target)
            where = f"{path.relative_to(ROOT)}:{line} imports {target}"
            if kind == "services" and target == "claims.tasks":
                continue  # services queue their tasks on commit
            if kind == "tasks" and target_kind == "services" and module_level:
                yield f"{where}: a task imports its service inside its body"
                continue
            if RANK[target_layer] > RANK[layer]:
                yield f"{where}: {layer} may not import {target_layer}"
            elif layer == "top" == target_layer and kind != target_kind and kind != "urls":
                if {kind, target_kind} & {"admin", "apis", "tasks"} and target_kind != "commands":
                    yield f"{where}: {kind} may not import {target_kind}"


def test_every_import_runs_down_the_layers():
    assert list(violations()) == []


def test_core_reads_no_database():
    offenders = []
    for module, path in project_modules():
        if layer_of(module)[0] != "core":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.db"):
                # Choices are plain enums; anything else of django.db is the ORM.
                if {alias.name for alias in node.names} - {"TextChoices", "IntegerChoices"}:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            elif isinstance(node, ast.Import) and any(
                alias.name.startswith("django.db") for alias in node.names
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from claims.admin.claims import ClaimAdmin\n", "reports may not import top"),
        ("def f():\n    from claims.tasks import check_claims\n", "reports may not import top"),
        ("from claims.selectors.claims import facts_queryset\n", None),
        ("from claims.services.claims import claim_rate\n", None),
    ],
)
def test_the_contract_catches_an_upward_import(source, expected):
    """The check itself can fail: a report importing the admin is caught."""
    fake = ROOT / "claims" / "reports" / "_layer_probe.py"
    fake.write_text(source)
    try:
        found = [v for v in violations() if "_layer_probe" in v]
    finally:
        fake.unlink()
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0]
