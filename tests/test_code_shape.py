"""The shape of the package's code: modules of one job, calls that read by name,
formatting left to the formatter. These rules were each broken once (issue 21)
and are cheap to keep."""

import ast
import pathlib

import pytest

import skdropout

PACKAGE = pathlib.Path(skdropout.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
#: Past this many lines of code a module does two jobs. Docstrings are not
#: counted: the estimators' docstrings are literal text (hundreds of lines of
#: parameters), which a reader finds in the class, not in another module.
MAX_CODE_LINES = 500
MAX_POSITIONAL = 6


def _docstring_lines(tree):
    """The line numbers of every module, class and function docstring."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(
            node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
        ):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_has_at_most_500_lines_of_code(path):
    """Each module's code, docstrings aside, fits in 500 lines."""
    source = path.read_text()
    docstrings = _docstring_lines(ast.parse(source))
    code = [
        line
        for number, line in enumerate(source.splitlines(), 1)
        if number not in docstrings and line.strip()
    ]
    assert len(code) <= MAX_CODE_LINES, f"{path.name}: {len(code)} lines of code"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_take_at_most_six_positional_arguments(path):
    """Past six positional parameters (self aside), arguments are keyword-only:
    calls then say what each value is."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            names = [n for n in names if n not in ("self", "cls")]
            assert len(names) <= MAX_POSITIONAL, (
                f"{path.name}:{node.lineno} {node.name} takes {len(names)} "
                "positional parameters"
            )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_formatting_is_exempted(path):
    """No ``# fmt: skip``: the formatter lays out all the package's code."""
    assert "# fmt: skip" not in path.read_text()
