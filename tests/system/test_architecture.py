"""The shape of the code, checked: imports run one way, from the screens and entry points down
through digest's stages (ingest, match, editions, deliver) to the records and the pure cores,
and the readers' app (subscriptions) never imports digest. The developers' tools
(digest/devtools) sit on top: they may import anything, and nothing in the service imports
them. Read from the source with ast, so nothing is imported to check it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "digest", "subscriptions")

# Bottom to top; a module may import its own layer (without a cycle) or any layer below.
LAYERS = [
    ("foundations", ["config.env", "config.logs", "config.log_redaction", "config.access_log",
                     "config.commands", "digest.backoff", "digest.memo"]),
    ("pure cores", ["subscriptions.filters", "subscriptions.addresses",
                    "subscriptions.esp_events", "digest.ingest.sources", "digest.match.topk",
                    "digest.match.phrases", "digest.match.index", "digest.match.lines",
                    "digest.match.stored", "digest.match.readers", "digest.match.matching",
                    "digest.learn.embedding", "digest.learn.text_features",
                    "digest.learn.profiles", "digest.learn.ranking", "digest.learn.scoring",
                    "subscriptions.seeds", "digest.teams.coverage"]),
    ("records", ["subscriptions.models", "digest.models"]),
    ("readers' services", ["subscriptions"]),
    ("follows", ["digest.follow"]),
    ("ingest", ["digest.ingest"]),
    ("match's reads", ["digest.match"]),
    ("learn", ["digest.learn"]),
    ("editions", ["digest.editions", "digest.teams"]),
    ("deliver", ["digest.deliver", "digest.teams.mail"]),
    ("screens and entry points", ["digest.screens", "digest.tasks", "digest.management",
                                  "digest.apps", "subscriptions.admin", "subscriptions.views",
                                  "subscriptions.urls", "subscriptions.webhook_urls",
                                  "subscriptions.teams.views", "subscriptions.teams.urls",
                                  "subscriptions.teams.admin",
                                  "subscriptions.management", "subscriptions.apps", "config"]),
    ("developers' tools", ["digest.devtools"]),
]
DEVTOOLS = "digest.devtools"
# Modules that must stay pure: no models, no settings, no database.
PURE = ["subscriptions.filters", "digest.ingest.sources", "digest.match.topk",
        "digest.match.phrases", "digest.match.index", "digest.match.lines",
        "digest.match.stored", "digest.match.readers", "digest.match.matching",
        "digest.learn.embedding", "digest.learn.text_features", "digest.learn.profiles",
        "digest.learn.ranking", "digest.learn.scoring", "subscriptions.seeds",
        "digest.backoff", "digest.memo", "digest.teams.coverage"]
IMPURE = ("django.conf", "django.db", ".models")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> set[str]:
    """The project's modules a file imports (`from a.b import c` is a.b.c when that is a
    module, else a.b), at any depth in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                names.add(full if full in known else node.module)
    return {name for name in names if name in known}


def layer_of(module: str) -> int:
    """The layer whose longest prefix names the module."""
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} is on no layer: add it to LAYERS"
    return rank


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, known) - {name} for name, path in known.items()}


def test_subscriptions_never_imports_digest():
    found = [(module, target) for module, targets in graph().items()
             if module.startswith("subscriptions") for target in targets
             if target.startswith("digest")]
    assert found == []


def test_nothing_in_the_service_imports_the_developers_tools():
    def is_devtools(module: str) -> bool:
        return module == DEVTOOLS or module.startswith(DEVTOOLS + ".")

    found = [f"{module} -> {target}" for module, targets in graph().items()
             if not is_devtools(module) for target in targets if is_devtools(target)]
    assert found == []


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = [f"{module} ({LAYERS[layer_of(module)][0]}) -> {target} "
              f"({LAYERS[layer_of(target)][0]})"
              for module, targets in graph().items() for target in targets
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_the_module_graph_has_no_cycle():
    edges, state, cycles = graph(), {}, []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_pure_cores_import_no_models_settings_or_database():
    impure = []
    for module, path in modules().items():
        if any(module == pure or module.startswith(pure + ".") for pure in PURE):
            source = path.read_text()
            impure += [f"{module}: {word}" for word in IMPURE
                       if f"from {word}" in source or f"import {word}" in source
                       or (word == ".models" and ".models import" in source)]
    assert impure == []


def test_the_check_sees_an_upward_import_when_there_is_one(tmp_path, monkeypatch):
    """The layers check is not vacuous: a pure core importing a screen is caught."""
    known = modules()
    fake = tmp_path / "index.py"
    fake.write_text("from digest.screens.views import preview\n")
    assert "digest.screens.views" in imports_of(fake, known)
    assert layer_of("digest.screens.views") > layer_of("digest.match.index")


def test_the_check_sees_the_service_importing_the_developers_tools(tmp_path):
    """The devtools check is not vacuous: the tools are seen, and so is an import of them."""
    known = modules()
    fake = tmp_path / "views.py"
    fake.write_text("from digest.devtools.fake_esp import FakeESP\n")
    assert "digest.devtools.fake_esp" in imports_of(fake, known)
    assert layer_of("digest.devtools.fake_esp") > layer_of("digest.screens.views")
