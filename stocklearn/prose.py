"""Numbers a chapter's prose takes from its run, glued in with myst-nb.

A sentence such as "the network's RMSE is 26.8" is true only for the run
that printed 26.8. The chapters instead *glue* the number where the code
computes it, ``prose.glue("rmse_sh", rmse)``, and the markdown shows it
with MyST's role, ``{glue:text}`rmse_sh:.1f```: the book fills in the value
of whatever run built the page, in either profile and on any backend. A
role whose name was never glued fails the book's build (``-W``).

This is myst-nb's ``glue`` (the same display data and metadata), without
importing myst-nb, which Colab and Binder do not install, and with NumPy
scalars turned into Python numbers so that a format such as ``:.2f``
applies to them.
"""

from __future__ import annotations

import numbers

import numpy as np

MIME_PREFIX = "application/papermill.record/"
"""myst-nb's prefix for glued data that the notebook itself does not show."""


def glue(name: str, value, *, display: bool = False) -> None:
    """Store ``value`` under ``name`` for ``{glue:text}`name``` in the chapter's prose.

    Parameters
    ----------
    name : str
        The key the markdown refers to; unique within the notebook.
    value : number or str
        What the prose shows. NumPy scalars become Python ``int``/``float``;
        a string is shown as it is (give numbers, and format in the role).
    display : bool
        Also show the value in the cell's output (off: the prose shows it).

    Raises
    ------
    ValueError
        If ``value`` is a number that is not finite: prose must not say "nan".
    """
    from IPython.core.formatters import DisplayFormatter
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.display import display as ipy_display

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not np.isfinite(value):
            raise ValueError(f"glue({name!r}): the value is {value}; the prose needs a number")
    # the kernel's formatters where there is a kernel (as myst-nb), else IPython's defaults
    formatter = (InteractiveShell.instance().display_formatter
                 if InteractiveShell.initialized() else DisplayFormatter())
    bundle, metadata = formatter.format(value)
    prefix = "" if display else MIME_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)
