"""Simple forecasts that every model must beat, on exactly the model's test rows.

Each baseline takes a :class:`~stocklearn.prep.Dataset` (which keeps the
frame it was made from) and returns forecast prices aligned with the
windows of one part (``ds.part(part)``): shape ``(m,)`` for one target,
``(m, k)`` for ``k`` targets. A forecast for a window uses only rows up to
its last input row; anything fitted is fitted on the training rows
(``ds.split.train``) only.

* :func:`persistence`: tomorrow = today (per target, today's value of a
  chosen column: tomorrow's open = today's close).
* :func:`drift`: today plus the average daily change of the training rows.
* :func:`moving_average`: the mean of the last ``n`` values.
* :func:`arima`: an ARIMA fit once on the training rows, then run forward.
* :func:`linear_on_window`: a linear regression on the model's own inputs,
  expressed relative to the last close; the strong simple baseline.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from statsmodels.tsa.arima.model import ARIMA

from stocklearn.features import is_price_like
from stocklearn.prep import Dataset


def _target_values(ds: Dataset) -> np.ndarray:
    """The target columns of the data set's frame as an (n, k) float array."""
    return ds.frame[ds.targets].to_numpy(dtype=float)


def _shaped(values: np.ndarray, ds: Dataset, part: str) -> np.ndarray:
    """Reshape (m, k) forecasts like ``ds.part(part).y``."""
    return values.reshape(ds.part(part).y.shape)


def persistence(ds: Dataset, part: str = "test", *,
                columns: Mapping[str, str] | None = None) -> np.ndarray:
    """Tomorrow = today: the target's value on each window's last input row.

    Parameters
    ----------
    ds : Dataset
    part : {"train", "val", "test"}
    columns : mapping of target to column, optional
        For a target whose "today" is another column of the frame: the
        value of that column on the last input row is the forecast. Ding &
        Qin's targets take ``{"open": "close"}``: tomorrow's open is
        forecast by today's close (the last price before the next open),
        tomorrow's low and high by today's low and high. Targets not named
        use their own column.

    Returns
    -------
    ndarray
        Forecast prices, shaped like ``ds.actual(part)``.

    Raises
    ------
    ValueError
        When ``columns`` names a target the data set does not have, or a
        column its frame lacks.
    """
    if not columns:
        return ds.previous(part)
    unknown = [t for t in columns if t not in ds.targets]
    missing = [c for c in columns.values() if c not in ds.frame.columns]
    if unknown or missing:
        raise ValueError(f"persistence columns {dict(columns)}: targets {unknown} are not among "
                         f"{ds.targets}, columns {missing} are not in the frame")
    source = [columns.get(t, t) for t in ds.targets]
    values = ds.frame[source].to_numpy(dtype=float)
    return _shaped(values[ds.part(part).last_input_pos], ds, part)


def drift(ds: Dataset, part: str = "test") -> np.ndarray:
    """Last value plus ``horizon`` times the average change over the training rows.

    The average change is ``(y[end-1] - y[start]) / (end - 1 - start)`` over
    the training rows ``ds.split.train`` of each target column: the straight
    line from the first to the last training price, extended.

    Parameters
    ----------
    ds : Dataset
    part : {"train", "val", "test"}

    Returns
    -------
    ndarray
        Forecast prices, shaped like ``ds.actual(part)``.
    """
    values = _target_values(ds)
    start, end = ds.split.train
    slope = (values[end - 1] - values[start]) / max(end - 1 - start, 1)
    w = ds.part(part)
    return _shaped(values[w.last_input_pos] + w.horizon * slope, ds, part)


def moving_average(ds: Dataset, part: str = "test", n: int = 5) -> np.ndarray:
    """Mean of the target's last ``n`` values, up to and including the last input row.

    Windows near the start of the series with fewer than ``n`` earlier rows
    use the rows there are.

    Parameters
    ----------
    ds : Dataset
    part : {"train", "val", "test"}
    n : int, default 5
        Number of values averaged.

    Returns
    -------
    ndarray
        Forecast prices, shaped like ``ds.actual(part)``.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    values = _target_values(ds)
    means = pd.DataFrame(values).rolling(n, min_periods=1).mean().to_numpy()
    return _shaped(means[ds.part(part).last_input_pos], ds, part)


def arima(ds: Dataset, part: str = "test", order: tuple[int, int, int] = (1, 1, 0)) -> np.ndarray:
    """ARIMA fit once on the training rows, then forecasting each window without refitting.

    For each target column, :class:`statsmodels.tsa.arima.model.ARIMA` is fit
    on the training rows ``ds.split.train``. Its parameters are then kept
    fixed and its Kalman filter is run over the series up to the last input
    row of the part's last window (``res.apply``); the filter's state after
    each window's last input row gives the ``horizon``-step forecast. The
    filter only moves forward, so a forecast never sees its target or any
    later row.

    Parameters
    ----------
    ds : Dataset
    part : {"train", "val", "test"}
    order : (p, d, q), default (1, 1, 0)
        ARIMA order.

    Returns
    -------
    ndarray
        Forecast prices, shaped like ``ds.actual(part)``.
    """
    values = _target_values(ds)
    w = ds.part(part)
    cut = w.last_input_pos
    start, end = ds.split.train
    out = np.empty((len(w), values.shape[1]))
    for j in range(values.shape[1]):
        fitted = ARIMA(values[start:end, j], order=order).fit()
        kf = fitted.apply(values[: cut.max() + 1, j]).filter_results
        state = kf.predicted_state[:, cut + 1]  # state for row c + 1 given rows <= c
        for _ in range(w.horizon - 1):
            state = kf.transition[:, :, 0] @ state + kf.state_intercept[:, :1]
        out[:, j] = kf.design[0, :, 0] @ state + kf.obs_intercept[0, 0]
    return _shaped(out, ds, part)


def _relative_windows(ds: Dataset, part: str, reference: np.ndarray, mean: np.ndarray,
                      std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flattened inputs of a part's windows relative to their last close, and that close."""
    w = ds.part(part)
    rows = w.first_input_pos[:, None] + np.arange(w.window)
    last = reference[w.last_input_pos]
    raw = ds.frame[ds.features].to_numpy(dtype=float)[rows]  # (m, window, f)
    price = np.array([is_price_like(c) for c in ds.features])
    x = np.where(price, raw / last[:, None, None] - 1.0, (raw - mean) / std)
    return x.reshape(len(w), -1), last


def linear_on_window(ds: Dataset, part: str = "test", alpha: float = 1e-6) -> np.ndarray:
    """Linear regression on the model's own inputs, relative to the last close.

    Every window of ``ds`` (the same input columns ``ds.features`` and the
    same length) is rewritten relative to the close on its last input row:
    price-like columns (see :func:`stocklearn.features.is_price_like`) as
    ``x / last_close - 1``, other columns (volume, RSI, MACD, ...)
    standardised with the mean and standard deviation of the training rows.
    The target is ``target / last_close - 1``. A ridge regression with a tiny
    ``alpha`` (so that constant inputs, such as the last close itself, do no
    harm) is fit on the training windows only, one regression per target
    column, and its forecasts are turned back into prices,
    ``last_close * (1 + prediction)``.

    Raw values come from the data set's frame at the rows of each window, so the baseline
    does not depend on how the Dataset scaled its inputs.

    Parameters
    ----------
    ds : Dataset
        Its frame's ``close`` column is the reference price; without one,
        the first target column is.
    part : {"train", "val", "test"}
    alpha : float, default 1e-6
        Ridge penalty.

    Returns
    -------
    ndarray
        Forecast prices, shaped like ``ds.actual(part)``.
    """
    targets = _target_values(ds)
    df = ds.frame
    reference = (df["close"] if "close" in df.columns else df[ds.targets[0]]).to_numpy(float)
    train_rows = ds.split.take(df[ds.features], "train").to_numpy(dtype=float)
    mean = train_rows.mean(axis=0)
    std = train_rows.std(axis=0)
    std[std == 0] = 1.0
    x_train, last_train = _relative_windows(ds, "train", reference, mean, std)
    y_train = targets[ds.train.target_pos] / last_train[:, None] - 1.0
    model = Ridge(alpha=alpha).fit(x_train, y_train)
    x, last = _relative_windows(ds, part, reference, mean, std)
    pred = model.predict(x).reshape(len(last), -1)
    return _shaped(last[:, None] * (1.0 + pred), ds, part)
