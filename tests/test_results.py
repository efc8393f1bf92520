"""The chapters' result files: written, read back in order, checked, judged."""

import numpy as np
import pandas as pd
import pytest

from stocklearn import results


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKLEARN_RESULTS", str(tmp_path))


def _rows(ours=50.0, p=0.01):
    return pd.DataFrame({"experiment": ["CSI 300 LSTM"], "metric": ["RMSE"], "paper": [72.9],
                         "ours": [ours], "persistence": [51.0], "DM p": [p]})


def test_save_and_load_round_trip_per_profile():
    results.save("05_b", _rows(), profile="fast")
    results.save("04_a", _rows(ours=60.0), profile="fast")
    results.save("04_a", _rows(ours=55.0), profile="full")
    fast = results.load("fast")
    assert list(fast["chapter"]) == ["04_a", "05_b"]
    assert list(fast["ours"]) == [60.0, 50.0]
    assert list(results.load("full")["ours"]) == [55.0]


def test_load_without_results_is_empty():
    assert results.load("fast").empty


def test_bad_rows_are_refused():
    with pytest.raises(ValueError, match="columns"):
        results.save("x", pd.DataFrame({"experiment": ["a"]}))
    with pytest.raises(ValueError, match="finite"):
        results.save("x", _rows(ours=np.nan))
    with pytest.raises(ValueError, match="no result rows"):
        results.save("x", _rows().iloc[:0])


@pytest.mark.parametrize(("ours", "p", "words"), [
    (50.0, 0.01, "beats"), (50.0, 0.5, "no better"), (60.0, 0.01, "worse"),
    (60.0, np.nan, "not better")])
def test_verdict_follows_the_numbers(ours, p, words):
    assert words in results.verdict(ours, 51.0, p)


def test_a_paper_comparison_table_is_saved_as_it_is():
    table = pd.DataFrame({"paper": [60.0], "ours": [55.0], "persistence": [51.0]},
                         index=pd.MultiIndex.from_tuples([("CSI 300", "LSTM")]))
    results.save("03_x", table, metric="RMSE", note="test rows", profile="fast")
    row = results.load("fast").iloc[0]
    assert (row["experiment"], row["metric"], row["note"]) == ("CSI 300 / LSTM", "RMSE",
                                                               "test rows")
