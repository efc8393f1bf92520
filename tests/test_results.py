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
    assert words in results.verdict(100 - ours, 49.0, p, higher_better=True)


def test_adjust_words_follow_holm_adjusted_p_values():
    """Twenty rows at p = 0.04 each: every raw p-value is below 5 %, none survives Holm;
    one row at p = 0.0001 does. Clark-West counts for a nested row; worse needs DM."""
    rows = pd.DataFrame({
        "experiment": [f"e{i}" for i in range(23)], "metric": ["RMSE"] * 23,
        "ours": [50.0] * 20 + [50.0, 50.0, 60.0], "persistence": [51.0] * 23,
        "linear": [49.0] * 20 + [52.0, 49.0, 52.0],
        "DM p": [0.04] * 20 + [0.0001, 0.3, 0.0001],
        "CW p": [np.nan] * 21 + [0.0001, np.nan],
        "DM p linear": [0.5] * 20 + [0.0001, 0.5, 0.5]})
    out = results.adjust(rows)
    # one family of 23 DM and 1 CW p-values: after the three at 0.0001, Holm multiplies
    # the first 0.04 by 24 - 3 = 21, and the rest share that value (monotone)
    assert out["DM p adj"].iloc[0] == pytest.approx(0.04 * 21, rel=1e-9)
    assert out["CW p adj"].iloc[21] == pytest.approx(0.0001 * 24, rel=1e-9)
    assert (out["against persistence"].iloc[:20] == "no better than persistence").all()
    assert list(out["against persistence"].iloc[20:]) == [
        "beats persistence", "beats persistence", "worse than persistence"]
    assert list(out["against linear"].iloc[20:]) == [
        "beats the linear baseline too", "not the linear baseline", ""]
    accuracy = results.adjust(pd.DataFrame({
        "experiment": ["a"], "metric": ["accuracy"], "ours": [0.9], "persistence": [0.8],
        "DM p": [0.001]}))
    assert accuracy["against persistence"].iloc[0] == "beats persistence"


def test_save_labels_the_forecast_and_keeps_findings_and_cuts():
    rows = _rows().assign(seeds=[5], finding=[True], cut=["10 of 200 epochs"])
    results.save("06_x", rows, profile="fast")
    results.save("07_y", _rows(), profile="fast")
    loaded = results.load("fast")
    assert list(loaded["forecast"]) == ["ensemble of 5 seeds", "one run"]
    assert list(loaded["finding"]) == [True, False]
    assert list(loaded["cut"]) == ["10 of 200 epochs", ""]


def test_a_paper_comparison_table_is_saved_as_it_is():
    table = pd.DataFrame({"paper": [60.0], "ours": [55.0], "persistence": [51.0]},
                         index=pd.MultiIndex.from_tuples([("CSI 300", "LSTM")]))
    results.save("03_x", table, metric="RMSE", note="test rows", profile="fast")
    row = results.load("fast").iloc[0]
    assert (row["experiment"], row["metric"], row["note"]) == ("CSI 300 / LSTM", "RMSE",
                                                               "test rows")


def test_a_recorded_run_is_kept_with_its_origin_and_shown_beside_this_run(tmp_path):
    rows = pd.DataFrame({"experiment": ["a", "b"], "metric": "RMSE", "ours": [1.0, 3.0],
                         "persistence": 2.0, "DM p": [0.001, 0.5], "seeds": 2})
    results.save("09_demo", rows, profile="full")
    kept = results.record(tmp_path, profile="full",
                          backend="jax", commit="0123456789abcdef", date="2026-12-06",
                          target=tmp_path / "kept")
    assert sorted(p.name for p in kept.iterdir()) == ["09_demo.csv", "run.json"]
    recorded = results.recorded("full", source=tmp_path / "kept")
    assert recorded.attrs["run"]["commit"] == "0123456789abcdef"
    assert list(recorded["against persistence"]) == ["beats persistence",
                                                     "no better than persistence"]
    assert results.recorded_note(recorded) == (
        "recorded full profile run of 2026-12-06 on jax, commit 0123456")
    # this (fast) run: row b better, a new row c the recorded run lacks
    now = pd.DataFrame({"experiment": ["a", "b", "c"], "metric": "RMSE",
                        "ours": [2.5, 1.5, 1.0], "persistence": 2.0,
                        "DM p": [0.4, 0.3, 0.001]})
    results.save("09_demo", now, profile="fast")
    beside = results.beside_recorded("09_demo", "fast", source=tmp_path / "kept")
    assert list(beside.columns) == ["this run", "recorded", "persistence", "verdict",
                                    "recorded verdict"]
    assert beside["recorded verdict"].tolist()[:2] == ["beats", "no better"]
    assert beside["verdict"].tolist() == ["no better", "no better", "beats"]
    assert beside.attrs["differ"] == ["a"]
    assert results.beside_summary(beside) == (
        "Of the 2 rows this run shares with the recorded full profile run of 2026-12-06 "
        "on jax, commit 0123456, 1 has a verdict of another kind: a.")
    assert beside.loc[("a", "RMSE"), "recorded"] == 1.0
    assert beside.loc[("a", "RMSE"), "this run"] == 2.5
    assert np.isnan(beside.loc[("c", "RMSE"), "recorded"])
    assert beside.attrs["note"].startswith("recorded full profile run")
    with pytest.raises(FileNotFoundError, match="no result files"):
        results.record(tmp_path / "empty", profile="full", backend="jax", commit="x")


def test_the_package_keeps_a_recorded_full_run_of_every_reproducing_chapter():
    kept = results.recorded("full")
    run = kept.attrs["run"]
    assert run["profile"] == "full" and run["backend"] and len(run["commit"]) == 40
    assert set(kept["chapter"]) == {"03_rnn_lstm_gru", "04_resnet_lstm", "05_associated_net",
                                    "06_error_correction", "07_forecasts_to_decisions",
                                    "08_volatility"}
    assert np.isfinite(kept["ours"].to_numpy(float)).all()
