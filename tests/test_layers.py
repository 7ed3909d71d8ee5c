"""The layers hold: an app imports only the apps below it (architecture note, "Layout").

`surveys` (what is asked) knows nobody above it; `respondents` (who answered what) knows
`surveys`; `mailings` (what is sent to panel members) knows both; `reports` reads them;
`integrations`, `api`, `openrosa` and `audit` sit on top. Every import counts, at the top
of a module or inside a function, migrations included.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "surveys": {"respondents", "reports", "integrations", "api", "mailings", "openrosa"},
    "respondents": {"reports", "integrations", "api", "mailings", "openrosa"},
    # E-mail to panel members sits on respondents; the dashboard (reports) reads it.
    "mailings": {"reports", "integrations", "api", "openrosa"},
    # The dashboard's provider table comes from integrations through reports.sections.
    "reports": {"integrations", "api", "openrosa"},
    # The OpenRosa server sits on top, beside the REST API: neither knows the other.
    "openrosa": {"api"},
    "api": {"openrosa"},
}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """Return the top-level packages a module imports, each with the line it does so."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_an_app_imports_no_app_above_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for package, line in sorted(imported_apps(path))
        if package in FORBIDDEN[app]
    ]
    assert wrong == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from reports.weighting import rake\n")
    assert ("reports", 2) in imported_apps(module)
