"""The order of the examples in the gallery: a reading order, not the alphabet."""

# SPDX-License-Identifier: BSD-3-Clause

# From first steps to the finer points; a file not listed here (a new example)
# comes after these, in alphabetical order.
EXAMPLES = [
    "plot_keras_translation.py",
    "plot_overfitting.py",
    "plot_grid_search_dropout.py",
    "plot_grid_search_heatmap.py",
    "plot_paper_recipe.py",
    "plot_mixed_tabular.py",
    "plot_mc_dropout_intervals.py",
    "distributed_grid_search.py",
]


class ReadingOrder:
    """A sphinx-gallery ``within_subsection_order`` key: the position in
    ``EXAMPLES``, then the file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        position = EXAMPLES.index(filename) if filename in EXAMPLES else len(EXAMPLES)
        return position, filename

    def __repr__(self):
        return f"<{type(self).__name__}>"
