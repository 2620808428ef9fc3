"""Sphinx configuration of the skdropout documentation."""

import skdropout

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
# references to scikit-learn and NumPy render as plain text.

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "reference_url": {"skdropout": None},
    "doc_module": ("skdropout",),
}

html_theme = "pydata_sphinx_theme"
html_title = "skdropout"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
