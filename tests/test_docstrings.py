"""The estimators' docstrings are literal text: these tests keep the texts that
several of them share identical, every parameter documented with its default,
and benchmark figures out of them."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import skdropout
from skdropout import (
    DropoutMLPClassifier,
    DropoutMLPClassifierCV,
    DropoutMLPRegressor,
    DropoutMLPRegressorCV,
)
from skdropout._activations import HIDDEN_ACTIVATIONS

ESTIMATORS = [
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    DropoutMLPClassifierCV,
    DropoutMLPRegressorCV,
]
PLAIN = [DropoutMLPClassifier, DropoutMLPRegressor]

# Entries documented in more than one docstring whose texts legitimately
# differ; every other shared entry must read the same everywhere.
ALLOWED_DIFFERENCES = {
    "Parameters": {
        # The CV estimators choose the number of epochs on the folds' held-out
        # parts, and their defaults differ by task (see their Notes).
        "early_stopping",
        # DropoutMLPRegressorCV's only refers to the regressor's text.
        "loss",
        # A stratified split for the classifier, a plain KFold for the regressor.
        "cv",
        # The loss 'loss' scores with is the task's.
        "scoring",
        # The default differs by task, and the text says why.
        "refit",
        # The classifier trains its fold models in lockstep by default (1), the
        # regressor, which chooses no epochs, has None.
        "halving_factor",
        # The loss of the selection is the task's; what it averages follows
        # refit's default.
        "ensemble",
    },
    "Attributes": {
        # The members are classifiers or regressors ...
        "estimators_",
        "best_estimator_",
        # ... and what they predict out of fold, probabilities or values.
        "oof_predictions_",
    },
}

# Figures and data-set names of the benchmarks: they belong in the user guide
# and benchmarks/README.md, where they are dated and can be rerun.
FIGURE = re.compile(
    r"bench_quality|[0-9]+ (real |regression |classification )?data sets"
    r"|\b(Caravan|olive|Chicago|txhousing|CreditCard|SwissLabor|HMDA|PSID1976"
    r"|NMES1988|CPS1988|stackoverflow)\b"
    r"| s against|[0-9]+ of the [0-9]+|[0-9.]+ ?% (more|less|faster|slower)"
)

_HEADER = re.compile(r"^(\w[\w ]*)\n-+$", re.MULTILINE)


def _sections(doc):
    """A numpydoc docstring's sections, by title (the summary under '')."""
    doc = inspect.cleandoc(doc)
    parts = _HEADER.split(doc)
    sections = {"": parts[0]}
    for title, body in zip(parts[1::2], parts[2::2]):
        sections[title] = body
    return sections


def _entries(doc, section):
    """The entries of a Parameters-like section: ``{name: (type, text)}``, the
    type line and the description with their whitespace collapsed."""
    entries = {}
    name = None
    for line in _sections(doc).get(section, "").splitlines():
        if line and not line[0].isspace():
            name, _, kind = line.partition(" : ")
            entries[name.strip()] = [" ".join(kind.split()), []]
        elif name is not None and line.strip():
            entries[name][1].append(line.strip())
    return {name: (kind, " ".join(text)) for name, (kind, text) in entries.items()}


def _grouped(entries):
    """The grouped entry of the CV docstrings ("a, b, ... : see ..."), if any."""
    names = [name for name in entries if name.endswith("...")]
    assert len(names) <= 1
    return names[0] if names else None


def _value(text):
    """A value as a docstring writes it, as Python reads it where it can."""
    if text == "np.inf":
        return float("inf")
    try:
        return ast.literal_eval(text)
    except ValueError:
        return text


def _default(kind):
    """The default a type line states."""
    match = re.search(r"default=(.+)$", kind)
    assert match, f"no default in {kind!r}"
    return _value(match.group(1))


def _docstrings():
    """Every docstring in skdropout/ (modules, classes, functions), by place."""
    for path in sorted(Path(skdropout.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(
                node,
                (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef),
            ):
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{path.name}:{getattr(node, 'name', '<module>')}", doc


def _assert_shared_texts_agree(docs, section):
    texts = {}
    for owner, doc in docs.items():
        for name, text in _entries(doc, section).items():
            texts.setdefault(name, {})[owner] = text
    allowed = ALLOWED_DIFFERENCES.get(section, set())
    differing = set()
    for name, by_owner in texts.items():
        if len(set(by_owner.values())) > 1:
            differing.add(name)
            if name not in allowed and not name.endswith("..."):
                pytest.fail(f"{section} {name!r} reads differently in {by_owner}")
    return differing


@pytest.mark.parametrize("section", ["Parameters", "Attributes"])
def test_shared_entries_read_the_same_in_every_docstring(section):
    """An entry documented by several estimators has the same text in each,
    but for the allow-list, whose entries all still differ."""
    docs = {cls.__name__: cls.__doc__ for cls in ESTIMATORS}
    differing = _assert_shared_texts_agree(docs, section)
    assert ALLOWED_DIFFERENCES[section] <= differing, "stale allow-list entries"


@pytest.mark.parametrize("method", ["fit", "predict_mc"])
def test_plain_estimators_methods_document_their_parameters_alike(method):
    """The classifier's and the regressor's ``fit`` and ``predict_mc`` document
    their parameters in the same words."""
    docs = {cls.__name__: getattr(cls, method).__doc__ for cls in PLAIN}
    assert not _assert_shared_texts_agree(docs, "Parameters")
    first, second = (_entries(doc, "Parameters") for doc in docs.values())
    assert first == second


def test_plain_estimators_share_notes_and_references():
    """The regressor's Notes begin with the classifier's, and both cite the same
    references."""
    classifier = _sections(DropoutMLPClassifier.__doc__)
    regressor = _sections(DropoutMLPRegressor.__doc__)
    assert regressor["Notes"].startswith(classifier["Notes"].rstrip())
    assert regressor["References"] == classifier["References"]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_is_documented_with_its_default(cls):
    """Each of ``get_params()`` has an entry stating its default, or, in a CV
    docstring, falls under the grouped entry that refers to the plain estimator,
    whose own entry documents it; defaults that differ from the plain
    estimator's are spelled out (``name=value``)."""
    entries = _entries(cls.__doc__, "Parameters")
    defaults = cls().get_params()
    grouped = _grouped(entries)
    own = {name: kind for name, (kind, _) in entries.items() if name != grouped}
    assert set(own) <= set(defaults), "documented but not a parameter"
    for name, kind in own.items():
        assert _default(kind) == defaults[name], name
    rest = set(defaults) - set(own)
    if grouped is None:
        assert not rest, f"undocumented: {sorted(rest)}"
        return
    kind, text = entries[grouped]
    plain = getattr(skdropout, re.search(r"skdropout\.(\w+)", kind).group(1))
    assert {"hidden_layer_sizes", "activation"} <= rest
    plain_entries = _entries(plain.__doc__, "Parameters")
    plain_defaults = plain().get_params()
    for name in rest:
        assert name in plain_entries, name
        if plain_defaults[name] != defaults[name]:
            stated = re.findall(rf"``{name}=([^`]+)``", cls.__doc__)
            assert defaults[name] in map(_value, stated), f"{name}'s default"
    for name in set(plain_defaults) - set(defaults):  # set by the candidates
        assert f"``{name}``" in text, name


@pytest.mark.parametrize("cls", PLAIN, ids=lambda cls: cls.__name__)
def test_activation_parameter_documents_every_hidden_activation(cls):
    """The ``activation`` parameter's docstring names every hidden activation."""
    kind, text = _entries(cls.__doc__, "Parameters")["activation"]
    for name in HIDDEN_ACTIVATIONS:
        assert f"'{name}'" in kind, name
        assert f"'{name}'" in text, name


def test_no_docstring_quotes_benchmark_figures():
    """No docstring in skdropout/ quotes a benchmark figure or data-set name."""
    found = [
        f"{place}: {match.group(0)!r}"
        for place, doc in _docstrings()
        for match in [FIGURE.search(doc)]
        if match
    ]
    assert not found, found


def test_figure_pattern_catches_the_figures_it_is_for():
    """The pattern matches the kinds of figure that used to be in docstrings."""
    for text in [
        "on ``benchmarks/bench_quality.py`` it beat 'best'",
        "on 7 of the 17 data sets",
        "the regressions took 845 s against 692 s",
        "olive chose 89 to 93 epochs",
        "for 12 to 17 % more fit time",
        "lost on Caravan and CreditCard",
    ]:
        assert FIGURE.search(text), text
    assert not FIGURE.search("which would cover far fewer than 95% of new targets")


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("section", ["Parameters", "Attributes"])
def test_entry_parser_agrees_with_numpydoc(cls, section):
    """The small parser above reads the sections as numpydoc does."""
    docscrape = pytest.importorskip("numpydoc.docscrape")
    expected = {
        item.name: (" ".join(item.type.split()), " ".join(" ".join(item.desc).split()))
        for item in docscrape.NumpyDocString(cls.__doc__)[section]
    }
    assert _entries(cls.__doc__, section) == expected
