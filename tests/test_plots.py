"""Every plot returns a figure with the expected pieces, and shows nothing."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from stocklearn import plots  # noqa: E402
from stocklearn.data import load  # noqa: E402
from stocklearn.prep import make_dataset  # noqa: E402
from stocklearn.splits import chronological_split  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures")


def test_price_volume():
    df = load("csi300", start="2020-01-01", end="2020-12-31")
    fig = plots.price_volume(df, title="CSI 300")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_title() == "CSI 300"


def test_forecast_vs_actual_with_seeds_and_persistence():
    df = load("csi300", start="2020-01-01", end="2020-06-30")
    ds = make_dataset(df, chronological_split(df, 80), window=5)
    actual = ds.actual("test")
    forecasts = {"LSTM": np.stack([actual + 1, actual - 1]), "linear": actual + 0.2}
    fig = plots.forecast_vs_actual(ds, forecasts, last_n=10, title="test")
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["actual", "LSTM (mean of 2 seeds)", "linear", "persistence"]
    assert all(len(line.get_xdata()) == 10 for line in ax.get_lines())
    persistence = ax.get_lines()[-1]
    assert persistence.get_linestyle() == "--"
    np.testing.assert_array_equal(persistence.get_ydata(), ds.previous("test")[-10:])
    with pytest.raises(ValueError, match="persistence"):
        plots.forecast_vs_actual(ds, {"persistence": actual})


def test_loss_curves_single_and_many():
    h = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.2, 0.6, 0.7]}
    fig = plots.loss_curves(h)
    assert [line.get_label() for line in fig.axes[0].get_lines()][:2] == ["train", "validation"]
    assert fig.axes[0].get_yscale() == "log"
    fig = plots.loss_curves({"seed 0": h, "seed 1": {"loss": [0.9, 0.4]}}, logy=False)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "seed 1 train" in labels and "seed 1 validation" not in labels


def test_error_histograms():
    rng = np.random.default_rng(0)
    fig = plots.error_histograms({"LSTM": rng.normal(size=200),
                                  "persistence": rng.normal(size=200)}, bins=20)
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("LSTM (mean") and legend[1].startswith("persistence")
