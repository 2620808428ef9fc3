"""Sphinx configuration of the skdropout documentation."""

import sys
from pathlib import Path

from docutils import nodes

import skdropout

# doc/sphinxext holds the gallery's sort key, imported by name below.
sys.path.insert(0, str(Path(__file__).parent / "sphinxext"))

project = "skdropout"
author = "The skdropout developers"
copyright = "2026, The skdropout developers"
version = release = skdropout.__version__

templates_path = ["_templates"]

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# No intersphinx: the machines that build the docs have no internet access, so
# references to scikit-learn and NumPy objects render as plain text.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Only plot_*.py files are executed; any other example (such as the
    # distributed grid search, which needs a Dask cluster) is rendered unrun.
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ReadingOrder",
    # The minigallery at the foot of each API page lists the examples that use
    # the class.
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skdropout",),
    "reference_url": {"skdropout": None},
}

html_theme = "pydata_sphinx_theme"
html_title = "skdropout"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]

# The API pages show the methods the estimators inherit from scikit-learn
# (score, get_params, set_fit_request...), whose docstrings refer to labels and
# glossary terms of scikit-learn's own documentation. Without intersphinx these
# few are linked to its web pages by hand; any other unresolved reference still
# fails the build.
SKLEARN_DOC = "https://scikit-learn.org/stable/"
SKLEARN_TARGETS = {
    ("ref", "metadata_routing"): "metadata_routing.html",
    ("ref", "accuracy_score"): "modules/model_evaluation.html#accuracy-score",
    ("ref", "r2_score"): "modules/model_evaluation.html#r2-score",
    ("term", "meta-estimator"): "glossary.html#term-meta-estimator",
    # set_output, which the tabular transformers inherit
    (
        "ref",
        "df_output_transform",
    ): "developers/develop.html#developer-api-for-set-output",
    (
        "ref",
        "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
    ): "auto_examples/miscellaneous/plot_set_output.html",
}


def link_sklearn_targets(app, env, node, contnode):
    """Resolve a reference to scikit-learn's documentation to its URL."""
    if node.get("refdomain") != "std":
        return None
    page = SKLEARN_TARGETS.get((node.get("reftype"), node.get("reftarget")))
    if page is None:
        return None
    reference = nodes.reference("", "", internal=False, refuri=SKLEARN_DOC + page)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", link_sklearn_targets)
