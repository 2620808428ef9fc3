"""The developers' guide (doc/developers.rst) names only modules, functions,
methods and keyword arguments that exist, so that it cannot go stale
silently."""

import importlib
import inspect
import pathlib
import re

import pytest

import skdropout

DOC = pathlib.Path(__file__).parents[1] / "doc" / "developers.rst"
PACKAGE = pathlib.Path(skdropout.__file__).parent
MODULES = {
    path.stem: importlib.import_module(f"skdropout.{path.stem}")
    for path in sorted(PACKAGE.glob("_*.py"))
    if path.stem != "__init__"
}
# Names of other libraries that the guide mentions as models.
FOREIGN = {"LogisticRegressionCV", "LogisticRegression"}


def _text():
    if not DOC.exists():  # an sdist without the docs
        pytest.skip("doc/developers.rst is not in this checkout")
    return DOC.read_text()


def _classes():
    found = {}
    for module in MODULES.values():
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__.startswith("skdropout"):
                found.setdefault(name, obj)
    return found


def test_every_module_file_named_exists():
    """Each ``_name.py`` the guide names is a module of the package."""
    for stem in set(re.findall(r"\b(_[a-z_]+)\.py\b", _text())):
        assert stem in MODULES, stem


def test_every_module_attribute_named_exists():
    """Each ``_module.name`` the guide names is defined in that module."""
    for module, name in set(re.findall(r"\b(_[a-z_]+)\.([A-Za-z_]\w*)", _text())):
        if name == "py":
            continue
        assert hasattr(MODULES[module], name), f"{module}.{name}"


def test_every_method_named_exists():
    """Each ``Class.method`` the guide names is an attribute of that class."""
    classes = _classes()
    for cls, name in set(re.findall(r"\b([A-Z][A-Za-z]+)\.([a-z_]\w*)", _text())):
        if cls in FOREIGN:
            continue
        assert cls in classes, cls
        assert hasattr(classes[cls], name), f"{cls}.{name}"


def test_every_keyword_argument_named_exists():
    """Each ``callable(..., name=, ...)`` of the guide's call chains names
    parameters that the callable has."""
    callables = {**_classes()}
    for module in MODULES.values():
        callables.update(
            {n: f for n, f in vars(module).items() if inspect.isfunction(f)}
        )
    text = re.sub(r"\s+", " ", _text())
    calls = re.findall(r"\b(\w+)\(([^()]*=[^()]*)\)", text)
    assert calls, "the guide shows no call with keyword arguments"
    for name, arguments in calls:
        if name not in callables:
            continue
        parameters = inspect.signature(callables[name]).parameters
        for keyword in re.findall(r"(\w+)=", arguments):
            assert keyword in parameters, f"{name}({keyword}=)"
