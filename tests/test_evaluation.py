"""Score tables and the paper comparison, on cases small enough to check by hand."""

import numpy as np
import pandas as pd
import pytest

from stocklearn import baselines, data, papers, prep
from stocklearn.evaluation import (
    compare_scores,
    format_table,
    paper_comparison,
    score,
    score_dataset,
)
from stocklearn.metrics import diebold_mariano

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
    assert list(table.columns) == ["RMSE", "RMSE std", "MAE", "MAE std", "MAPE", "MAPE std",
                                   "MASE", "MASE std", "DA", "DA std", "seeds", "DM p"]
    assert table.loc["model", "RMSE"] == pytest.approx(1.0)
    assert table.loc["model", "RMSE std"] == pytest.approx(0.0)
    assert table.loc["model", "MASE"] == pytest.approx(0.5)
    assert table.loc["wide", "RMSE"] == pytest.approx(2.0)
    assert table.loc["wide", "RMSE std"] == pytest.approx(np.sqrt(2.0))  # ddof 1
    assert table.loc["persistence", "RMSE"] == pytest.approx(np.sqrt(7 / 5))
    assert np.isnan(table.loc["persistence", "RMSE std"])  # a single forecast
    assert table.loc["persistence", "MAE"] == pytest.approx(5 / 5)
    assert table.loc["model", "seeds"] == 2 and table.loc["persistence", "seeds"] == 1
    # DM uses the seed-mean forecast: here exactly the actual values
    expected = diebold_mariano(np.zeros(5), ACTUAL - PREVIOUS)[1]
    assert table.loc["model", "DM p"] == pytest.approx(expected)
    assert np.isnan(table.loc["persistence", "DM p"])


def test_score_checks_inputs():
    with pytest.raises(ValueError, match="reference"):
        score(ACTUAL, {"model": ACTUAL}, previous=PREVIOUS, train_series=TRAIN)
    with pytest.raises(ValueError, match="shape"):
        score(ACTUAL, {"model": ACTUAL[:4]}, previous=PREVIOUS, train_series=TRAIN,
              reference=None)
    no_test = score(ACTUAL, {"model": ACTUAL + 1}, previous=PREVIOUS, train_series=TRAIN,
                    reference=None)
    assert "DM p" not in no_test.columns


def test_paper_comparison_and_format():
    ours = {("CSI 300", "SimpleRNN"): [58.0, 60.0], ("CSI 300", "LSTM"): [70.0]}
    base = {"persistence": {("CSI 300", "SimpleRNN"): 55.5, ("CSI 300", "LSTM"): 55.5},
            "linear": {("CSI 300", "SimpleRNN"): 55.25}}
    dm = {("CSI 300", "SimpleRNN"): 0.0004, ("CSI 300", "LSTM"): 0.25}
    t = paper_comparison(papers.lu2024_rmse(), ours, base, column="test", dm_p=dm)
    assert list(t.columns) == ["paper", "source", "ours", "ours std", "seeds", "persistence",
                               "linear", "DM p"]
    assert len(t) == 4  # every paper row, ours or not
    row = t.loc[("CSI 300", "SimpleRNN")]
    assert row["paper"] == 60.01 and row["source"] == "Lu (2024), Table 2"
    assert row["ours"] == 59.0 and row["ours std"] == pytest.approx(np.sqrt(2))
    shown = format_table(t)
    assert list(shown.columns) == ["paper", "source", "ours", "seeds", "persistence", "linear",
                                   "DM p"]
    assert shown.loc[("CSI 300", "SimpleRNN")].tolist() == [
        "60.01", "Lu (2024), Table 2", "59.00 ± 1.41", "2", "55.50", "55.25", "<0.001"]
    assert shown.loc[("CSI 300", "LSTM")].tolist() == [
        "72.91", "Lu (2024), Table 3", "70.00", "1", "55.50", "–", "0.250"]
    assert shown.loc[("NASDAQ", "LSTM"), "ours"] == "–"
    with pytest.raises(ValueError, match="column="):
        paper_comparison(papers.lu2024_rmse(), ours)


def test_compare_scores_matches_the_score_table(table):
    paper = pd.Series({"toy": 1.5}, name="RMSE")
    t = compare_scores(paper, {"toy": table}, model="wide", baselines=("persistence", "linear"))
    assert t.loc["toy", "paper"] == 1.5
    assert t.loc["toy", "ours"] == pytest.approx(2.0)
    assert t.loc["toy", "seeds"] == 2
    assert t.loc["toy", "persistence"] == pytest.approx(np.sqrt(7 / 5))
    assert "linear" not in t.columns
    assert t.loc["toy", "DM p"] == table.loc["wide", "DM p"]
    shown = format_table(t, decimals={"ours": 1})
    assert shown.loc["toy", "ours"] == "2.0 ± 1.4"
    assert shown.loc["toy", "source"] == "–"


def test_format_score_table(table):
    shown = format_table(table, decimals=3)
    assert shown.loc["model", "RMSE"] == "1.000 ± 0.000"
    assert shown.loc["persistence", "RMSE"] == f"{np.sqrt(1.4):.3f}"
    assert shown.loc["persistence", "DM p"] == "–"
    assert all(isinstance(v, str) for v in shown.to_numpy().ravel())


def test_score_dataset_adds_both_baselines_on_the_same_rows():
    df = data.load("csi300", "2014-12-08", "2016-12-31")
    ds = prep.make_dataset(df, prep.chronological_split(df, 300), window=3)
    model = ds.persistence("test") * 1.001
    table = score_dataset(df, ds, {"model": model})
    assert list(table.index) == ["model", "persistence", "linear"]
    expected = score(ds.actual("test"),
                     {"model": model, "persistence": ds.persistence("test"),
                      "linear": baselines.linear_on_window(df, ds)},
                     previous=ds.persistence("test"), train_series=df["close"].iloc[:300])
    pd.testing.assert_frame_equal(table, expected)
