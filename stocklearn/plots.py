"""One style for every figure of the course.

Each function applies :func:`set_style`, draws on a new figure and returns
it without showing it: in a notebook write ``fig = plots.loss_curves(h)`` (or
end the line with ``;``) so that the figure is shown once.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from stocklearn.prep import Dataset

ACTUAL = {"color": "black", "linewidth": 1.4, "label": "actual"}
PERSISTENCE = {"color": "0.55", "linestyle": "--", "linewidth": 1.1}
PALETTE = "colorblind"


def set_style() -> None:
    """White grid, readable font sizes, a colour-blind-safe palette, 9 x 4 inch figures.

    In a notebook, figures are also shown as SVG with their text kept as
    text (``svg.fonttype: none``) beside the PNG: the book's pages use the
    SVG, whose titles, labels and legends the Chinese book translates
    (``book/_ext/output_translation.py``) without running the chapter again;
    the PDF uses the PNG.
    """
    sns.set_theme(style="whitegrid", context="notebook", palette=PALETTE, rc={
        "figure.figsize": (9.0, 4.0), "figure.dpi": 100, "savefig.dpi": 150,
        "axes.titlesize": 13, "axes.labelsize": 11, "legend.fontsize": 10,
        "legend.frameon": False, "axes.spines.top": False, "axes.spines.right": False,
        "svg.fonttype": "none",
    })
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in IPython: nothing is shown inline
        return
    if get_ipython() is not None:
        set_matplotlib_formats("png", "svg")


def _colors(n: int) -> list:
    return sns.color_palette(PALETTE, n)


def price_volume(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Close price above, volume below, on a shared date axis.

    Parameters
    ----------
    df : DataFrame
        Validated OHLCV frame (columns ``close`` and ``volume``).
    title : str, optional

    Returns
    -------
    Figure
    """
    set_style()
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 5),
                                      gridspec_kw={"height_ratios": [3, 1]})
    top.plot(df.index, df["close"], color=_colors(1)[0], linewidth=1.0)
    top.set_ylabel("close")
    bottom.fill_between(df.index, df["volume"], step="mid", color="0.5", linewidth=0)
    bottom.set_ylabel("volume")
    bottom.set_ylim(bottom=0)
    if title:
        top.set_title(title)
    fig.align_ylabels()
    fig.tight_layout()
    return fig


def forecast_vs_actual(
    ds: Dataset,
    forecasts: Mapping[str, np.ndarray],
    *,
    part: str = "test",
    last_n: int | None = None,
    title: str | None = None,
) -> Figure:
    """Actual prices, forecasts of the same rows, and persistence (dashed grey).

    Parameters
    ----------
    ds : Dataset
        Gives the dates, the actual prices and the persistence forecast of
        the windows of ``part``.
    forecasts : mapping of name to array-like
        Forecast prices of those windows, shape ``(m,)``, or ``(n_seeds, m)``:
        drawn as the seed mean with a band from the lowest to the highest seed.
    part : {"train", "val", "test"}, default "test"
    last_n : int, optional
        Show only the last ``last_n`` rows (daily detail).
    title : str, optional

    Returns
    -------
    Figure
    """
    if "persistence" in forecasts:
        raise ValueError("persistence is drawn from the data set; leave it out of `forecasts`")
    set_style()
    dates = ds.part(part).dates
    keep = slice(-last_n, None) if last_n else slice(None)
    fig, ax = plt.subplots()
    ax.plot(dates[keep], ds.actual(part)[keep], **ACTUAL)
    for (name, forecast), color in zip(forecasts.items(), _colors(len(forecasts)), strict=True):
        f = np.atleast_2d(np.asarray(forecast, dtype=float))[:, keep]
        label = name if len(f) == 1 else f"{name} (mean of {len(f)} seeds)"
        ax.plot(dates[keep], f.mean(axis=0), color=color, linewidth=1.1, label=label)
        if len(f) > 1:
            ax.fill_between(dates[keep], f.min(axis=0), f.max(axis=0), color=color, alpha=0.2,
                            linewidth=0)
    ax.plot(dates[keep], ds.previous(part)[keep], label="persistence", **PERSISTENCE)
    ax.set_ylabel("price")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _history_dict(h) -> dict:
    return h.history if hasattr(h, "history") else dict(h)


def loss_curves(histories, *, logy: bool = True, title: str | None = None) -> Figure:
    """Training (solid) and validation (dashed) loss per epoch.

    Parameters
    ----------
    histories : History, dict of lists, or mapping of name to either
        A Keras ``History``, its ``.history`` dict (keys ``loss``,
        ``val_loss``), or several of them by name (e.g. one per seed or model).
    logy : bool, default True
        Log scale for the loss.
    title : str, optional

    Returns
    -------
    Figure
    """
    set_style()
    single = _history_dict(histories) if hasattr(histories, "history") else None
    if single is None and "loss" in histories:
        single = dict(histories)
    runs = {"": single} if single is not None else {
        name: _history_dict(h) for name, h in histories.items()}
    fig, ax = plt.subplots()
    for (name, h), color in zip(runs.items(), _colors(len(runs)), strict=True):
        prefix = f"{name} " if name else ""
        epochs = np.arange(1, len(h["loss"]) + 1)
        ax.plot(epochs, h["loss"], color=color, label=f"{prefix}train")
        if h.get("val_loss"):
            ax.plot(epochs, h["val_loss"], color=color, linestyle="--",
                    label=f"{prefix}validation")
            best = int(np.argmin(h["val_loss"]))
            ax.plot(epochs[best], h["val_loss"][best], "o", color=color, markersize=5)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def error_histograms(errors: Mapping[str, np.ndarray], *, bins: int = 50,
                     title: str | None = None) -> Figure:
    """Overlaid histograms of forecast errors (actual - forecast), one per forecast.

    Parameters
    ----------
    errors : mapping of name to array-like
        Errors in price units; the legend shows each mean and std.
    bins : int, default 50
        Common bins over all the errors.
    title : str, optional

    Returns
    -------
    Figure
    """
    set_style()
    arrays = {k: np.ravel(np.asarray(v, dtype=float)) for k, v in errors.items()}
    edges = np.histogram_bin_edges(np.concatenate(list(arrays.values())), bins=bins)
    fig, ax = plt.subplots()
    for (name, e), color in zip(arrays.items(), _colors(len(arrays)), strict=True):
        style = PERSISTENCE if name == "persistence" else {"color": color, "linewidth": 1.4}
        ax.hist(e, bins=edges, histtype="step", label=f"{name} (mean {e.mean():.3g}, "
                f"std {e.std(ddof=1):.3g})", **style)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("error (actual - forecast)")
    ax.set_ylabel("count")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
