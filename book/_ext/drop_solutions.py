"""Sphinx extension of the student book: every exercise solution is dropped.

Loaded by the configuration that ``stocklearn.teaching.edition.write_book_config``
writes; the course's own book keeps the solutions (in closed dropdowns).
"""


def setup(app):
    """Sphinx extension of the student book: every exercise solution is dropped.

    sphinx-exercise's own ``hide_solutions`` cannot be used: with gated
    solutions (``solution-start``/``solution-end``, the course's form, which
    keeps executed code cells in a solution) it crashes the build
    (executablebooks/sphinx-exercise#89). This transform runs after
    sphinx-exercise has merged each gated solution into one node, and removes
    those nodes, code cells included.
    """
    from sphinx.transforms import SphinxTransform
    from sphinx_exercise.nodes import solution_end_node, solution_node, solution_start_node

    class DropSolutions(SphinxTransform):
        default_priority = 11  # after sphinx-exercise's MergeGatedSolutions (10)

        def apply(self, **kwargs) -> None:
            for kind in (solution_node, solution_start_node, solution_end_node):
                for node in list(self.document.findall(kind)):
                    node.parent.remove(node)

    app.add_transform(DropSolutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
