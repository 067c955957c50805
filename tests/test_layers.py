"""The layers of the package (../shared/DESIGN.md): a module imports only from its own layer or below.

Read from the source (every ``import`` and ``from ... import``, inside functions too), so a lazy
import that runs back up fails here as well as a top-level one.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "myoreflex"

LAYERS = (
    ("errors", "units", "registry", "runtime", "params", "arrays", "fastmath", "calibrated"),  # under every layer
    ("knowledge",),  # sourced text and the triage rules: nothing of the model
    ("trial",),
    ("physiology",),
    ("model", "subjects"),  # a subject is the model's parameters for a body
    ("conditions", "treatments", "cramps", "spasms"),  # a treatment is a list of changes, as a condition
    ("simulation",),
    ("measures",),
    ("protocols",),  # a protocol names the measure that reads its recording
    ("io", "datasets"),  # a dataset is a recording by name, read by io
    ("motor_unit_emg",),  # the surface EMG of a simulated Trial: physiology pools over the loop
    ("fit", "calibration"),
    ("cohort",),
    ("report",),
    ("web",),  # the local app: a face over the library, as the command line
    ("cli",),
)
LAYER = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _imported(tree: ast.AST):
    """Top-level myoreflex names each import statement of ``tree`` reaches (``myoreflex.X`` -> X)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "myoreflex":
            parts = node.module.split(".")
            yield from ([alias.name for alias in node.names] if len(parts) == 1 else [parts[1]])
        elif isinstance(node, ast.Import):
            yield from (alias.name.split(".")[1] for alias in node.names if alias.name.startswith("myoreflex."))


def test_every_module_belongs_to_a_layer_and_imports_only_downwards():
    upward, unknown = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if top == "__init__":  # the package's face re-exports from every layer
            continue
        if top not in LAYER:
            unknown.append(top)
            continue
        for name in _imported(ast.parse(path.read_text())):
            if name == "__version__":
                continue
            if name not in LAYER:  # e.g. a name re-exported by the package's face
                unknown.append(f"{path.name} imports {name}")
            elif LAYER[name] > LAYER[top]:
                upward.append(f"{path.relative_to(PACKAGE)} imports myoreflex.{name}")
    assert not unknown, unknown
    assert not upward, upward
