"""Score tables and the paper comparison, on cases small enough to check by hand."""

import numpy as np
import pandas as pd
import pytest

from stocklearn import baselines, data, metrics, papers, prep, splits
from stocklearn.evaluation import ACCURACY, scaled_accuracy, score, score_dataset
from stocklearn.metrics import diebold_mariano
from stocklearn.tables import format_table, paper_comparison

ACTUAL = np.array([10.0, 11.0, 12.0, 11.0, 13.0])
PREVIOUS = np.array([10.0, 10.0, 11.0, 12.0, 11.0])  # = the persistence forecast
TRAIN = np.array([1.0, 2.0, 4.0, 7.0])  # naive in-sample MAE = (1 + 2 + 3) / 3 = 2


@pytest.fixture()
def table():
    forecasts = {
        "model": [ACTUAL + 1.0, ACTUAL - 1.0],  # two seeds
        "wide": np.stack([ACTUAL + 1.0, ACTUAL + 3.0]),
        "persistence": PREVIOUS,
    }
    return score(ACTUAL, forecasts, previous=PREVIOUS, train_series=TRAIN)


def test_score_by_hand(table):
    assert list(table.index) == ["model", "wide", "persistence"]
    per_seed = [c for m in ("RMSE", "MAE", "MAPE", "MASE", "DA")
                for c in (f"{m} per seed", f"{m} per seed std")]
    assert list(table.columns) == ["RMSE", "MAE", "MAPE", "MASE", "DA", *per_seed, "seeds",
                                   "DM p", "CW p", "detectable"]
    # the row's numbers score the seed ensemble (the mean forecast): here exactly the actual
    assert table.loc["model", "RMSE"] == pytest.approx(0.0)
    assert table.loc["model", "MASE"] == pytest.approx(0.0)
    assert table.loc["model", "RMSE per seed"] == pytest.approx(1.0)
    assert table.loc["model", "RMSE per seed std"] == pytest.approx(0.0)
    assert table.loc["model", "MASE per seed"] == pytest.approx(0.5)
    assert table.loc["wide", "RMSE"] == pytest.approx(2.0)  # the mean forecast is ACTUAL + 2
    assert table.loc["wide", "RMSE per seed"] == pytest.approx(2.0)
    assert table.loc["wide", "RMSE per seed std"] == pytest.approx(np.sqrt(2.0))  # ddof 1
    assert table.loc["persistence", "RMSE"] == pytest.approx(np.sqrt(7 / 5))
    assert np.isnan(table.loc["persistence", "RMSE per seed std"])  # a single forecast
    assert table.loc["persistence", "MAE"] == pytest.approx(5 / 5)
    assert table.loc["model", "seeds"] == 2 and table.loc["persistence", "seeds"] == 1
    # DM uses the seed-mean forecast: here exactly the actual values
    expected = diebold_mariano(np.zeros(5), ACTUAL - PREVIOUS)[1]
    assert table.loc["model", "DM p"] == pytest.approx(expected)
    assert np.isnan(table.loc["persistence", "DM p"])


def test_score_tests_the_forecast_it_shows():
    """DM p belongs to the ensemble's RMSE, CW p to the nested rows only, DM p linear against
    the second reference; the loss follows the metric asked for."""
    rng = np.random.default_rng(0)
    actual = 100 + rng.normal(size=60).cumsum()
    previous = np.r_[100.0, actual[:-1]]
    seeds = np.stack([previous + rng.normal(0, 0.3, 60) for _ in range(3)])
    linear = previous + 0.01
    forecasts = {"model": seeds, "persistence": previous, "linear": linear}
    t = score(actual, forecasts, previous=previous, train_series=actual,
              nested=["linear"], against=["linear"])
    ensemble = seeds.mean(axis=0)
    assert t.loc["model", "RMSE"] == pytest.approx(np.sqrt(np.mean((actual - ensemble) ** 2)))
    assert t.loc["model", "DM p"] == pytest.approx(
        diebold_mariano(actual - ensemble, actual - previous)[1])
    assert t.loc["model", "DM p linear"] == pytest.approx(
        diebold_mariano(actual - ensemble, actual - linear)[1])
    assert np.isnan(t.loc["model", "CW p"]) and not np.isnan(t.loc["linear", "CW p"])
    assert t.loc["model", "detectable"] == pytest.approx(metrics.detectable_gain(
        actual - previous, e_model=actual - ensemble))
    assert np.isnan(t.loc["linear", "DM p linear"])
    absolute = score(actual, forecasts, previous=previous, train_series=actual,
                     loss="absolute")
    assert absolute.loc["model", "DM p"] == pytest.approx(
        diebold_mariano(actual - ensemble, actual - previous, loss="absolute")[1])
    with pytest.raises(ValueError, match="nested"):
        score(actual, forecasts, previous=previous, train_series=actual, nested=["arima"])


def test_score_checks_inputs():
    with pytest.raises(ValueError, match="reference"):
        score(ACTUAL, {"model": ACTUAL}, previous=PREVIOUS, train_series=TRAIN)
    with pytest.raises(ValueError, match="shape"):
        score(ACTUAL, {"model": ACTUAL[:4]}, previous=PREVIOUS, train_series=TRAIN,
              reference=None)
    no_test = score(ACTUAL, {"model": ACTUAL + 1}, previous=PREVIOUS, train_series=TRAIN,
                    reference=None)
    assert "DM p" not in no_test.columns


def test_paper_comparison_and_format(table):
    paper = pd.Series({"toy": 1.5, "missing": 2.5}, name="RMSE")
    t = paper_comparison(paper, {"toy": table, "extra": table}, model="wide",
                         baselines=("persistence", "linear"))
    assert list(t.index) == ["toy", "missing", "extra"]  # the paper's rows, then ours
    # "wide" is significantly worse than persistence: no detectable gain to report
    assert list(t.columns) == ["paper", "source", "ours", "per seed", "per seed std", "seeds",
                               "persistence", "DM p"]
    assert t.loc["toy", "paper"] == 1.5
    assert t.loc["toy", "ours"] == pytest.approx(2.0)
    assert t.loc["toy", "per seed std"] == pytest.approx(np.sqrt(2.0))
    assert t.loc["toy", "seeds"] == 2
    assert t.loc["toy", "persistence"] == pytest.approx(np.sqrt(7 / 5))
    assert "linear" not in t.columns  # absent from the score table
    assert t.loc["toy", "DM p"] == table.loc["wide", "DM p"]
    assert np.isnan(t.loc["missing", "ours"]) and np.isnan(t.loc["extra", "paper"])
    shown = format_table(t, decimals={"per seed": 1})
    assert shown.loc["toy", "per seed"] == "2.0\u00a0±\u00a01.4"
    assert shown.loc["toy", "ours"] == "2.00"
    assert shown.loc["toy", "source"] == "–"
    assert shown.loc["missing", "ours"] == "–"


def test_paper_comparison_with_a_papers_table(table):
    scores = {("CSI 300", "SimpleRNN"): table}
    t = paper_comparison(papers.lu2024_rmse(), scores, column="test")
    assert len(t) == 4  # every paper row, ours or not
    row = t.loc[("CSI 300", "SimpleRNN")]
    assert row["paper"] == papers.lu2024_rmse().loc[("CSI 300", "SimpleRNN"), "test"]
    assert row["source"] == "Lu (2024), Table 2"
    assert row["ours"] == pytest.approx(0.0)  # the seed ensemble
    assert row["per seed"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="column="):
        paper_comparison(papers.lu2024_rmse(), scores)


def test_format_score_table(table):
    shown = format_table(table, decimals=3)
    assert shown.loc["model", "RMSE"] == "0.000"
    assert shown.loc["model", "RMSE per seed"] == "1.000\u00a0±\u00a00.000"
    assert shown.loc["persistence", "RMSE"] == f"{np.sqrt(1.4):.3f}"
    assert shown.loc["persistence", "DM p"] == "–"
    assert all(isinstance(v, str) for v in shown.to_numpy().ravel())
    p_values = format_table(pd.DataFrame({"DM p linear": [1e-5], "p vs pers.": [0.01234],
                                          "CW p adj": [0.5], "detectable": [0.0312]}))
    assert list(p_values.iloc[0]) == ["<0.001", "0.012", "0.500", "3.1 %"]


def test_score_dataset_adds_both_baselines_on_the_same_rows():
    df = data.load("csi300", "2014-12-08", "2016-12-31")
    ds = prep.make_dataset(df, splits.chronological_split(df, 300), window=3)
    model = ds.previous("test") * 1.001
    table = score_dataset(ds, {"model": model})
    assert list(table.index) == ["model", "persistence", "linear"]
    expected = score(ds.actual("test"),
                     {"model": model, "persistence": ds.previous("test"),
                      "linear": baselines.linear_on_window(ds)},
                     previous=ds.previous("test"), train_series=df["close"].iloc[:300],
                     nested=["linear"], against=["linear"])
    pd.testing.assert_frame_equal(table, expected)


@pytest.fixture(scope="module")
def three():
    """A data set with the targets open, low, high and a made-up forecast over two seeds."""
    df = data.load("csi300", "2014-12-08", "2016-12-31")
    ds = prep.make_dataset(df, splits.chronological_split(df, 300), window=3,
                           features=("open", "high", "low", "close"),
                           targets=["open", "low", "high"])
    model = np.stack([ds.previous("test") * 1.001, ds.previous("test") * 0.998])
    return ds, model


def test_score_dataset_scores_each_target_on_the_same_rows(three):
    ds, model = three
    columns = {"open": "close"}
    table = score_dataset(ds, {"model": model}, persistence_columns=columns)
    assert table.index.names == ["target", "forecast"]
    assert list(table.index.get_level_values(0).unique()) == ["open", "low", "high"]
    pers = baselines.persistence(ds, columns=columns)
    linear = baselines.linear_on_window(ds)
    for j, target in enumerate(ds.targets):
        expected = score(ds.actual("test")[:, j],
                         {"model": model[:, :, j], "persistence": pers[:, j],
                          "linear": linear[:, j]},
                         previous=pers[:, j], train_series=ds.train_series()[:, j],
                         nested=["linear"], against=["linear"])
        pd.testing.assert_frame_equal(table.loc[target], expected, check_names=False)
    with pytest.raises(ValueError, match="shape"):
        score_dataset(ds, {"model": model[..., :2]})


def test_scaled_accuracy_by_hand(three):
    ds, model = three
    table = scaled_accuracy(ds, {"model": model})
    assert list(table.columns) == [ACCURACY, ACCURACY + " std", "seeds"]
    for j, target in enumerate(ds.targets):
        train = ds.train_series()[:, j]
        spread = train.max() - train.min()
        assert spread == pytest.approx(1 / ds.target_scaler.scaler.scale_[j])
        per_seed = [1 - np.mean(np.abs(ds.actual("test")[:, j] - s[:, j])) / spread
                    for s in model]
        assert table.loc[(target, "model"), ACCURACY] == pytest.approx(np.mean(per_seed))
        assert table.loc[(target, "model"), ACCURACY + " std"] == pytest.approx(
            np.std(per_seed, ddof=1))
        pers = ds.previous("test")[:, j]
        assert table.loc[(target, "persistence"), ACCURACY] == pytest.approx(
            1 - np.mean(np.abs(ds.actual("test")[:, j] - pers)) / spread)
    single = prep.make_dataset(ds.frame, ds.split, window=3)
    one = scaled_accuracy(single, {"model": single.previous("test")})
    assert list(one.index) == ["model", "persistence", "linear"]
    assert one.loc["model", ACCURACY] == one.loc["persistence", ACCURACY]
