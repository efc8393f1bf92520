"""Two-stage forecasts: NN2 reads only known errors, fits reproduce, scores as the paper's."""

import numpy as np
import pandas as pd
import pytest

from stocklearn import error_correction as ec
from stocklearn import grid, training
from stocklearn.prep import make_dataset
from stocklearn.splits import chronological_split

FEATURES = ("open", "high", "low", "close", "change", "volume")


@pytest.fixture(scope="module")
def ds(csi300):
    rows = csi300.loc["2015-06-01":].iloc[:400]
    rows = rows.assign(change=rows["close"].diff()).iloc[1:]
    split = chronological_split(rows, 320, val=80)
    return make_dataset(rows, split, features=FEATURES, targets="high", window=5)


@pytest.fixture(scope="module")
def first(ds):
    return ec.first_stage("MLP", ds, epochs=2, seed=0, units=4)


def test_build_gives_the_three_networks_with_a_linear_output():
    mlp = ec.build("MLP", (5, 6), units=30)
    assert mlp.count_params() == (5 * 6 + 1) * 30 + 30 + 1
    assert ec.build("GRU", (5, 1), units=30).count_params() == 3 * 30 * (1 + 30 + 2) + 31
    assert ec.build("LSTM", (5, 1), units=30).count_params() == 4 * 30 * (1 + 30 + 1) + 31
    assert mlp.layers[-1].get_config()["activation"] == "linear"
    with pytest.raises(ValueError, match="kind"):
        ec.build("CNN", (5, 1))


def test_error_windows_read_only_the_errors_before_each_target():
    errors = np.arange(10.0)
    errors[0] = np.nan
    X = ec.error_windows(errors, [4, 9], window=3)
    assert X.shape == (2, 3, 1)
    np.testing.assert_array_equal(X[:, :, 0], [[1, 2, 3], [6, 7, 8]])
    with pytest.raises(ValueError, match="not all known"):
        ec.error_windows(errors, [3], window=3)  # would read the missing error of row 0
    with pytest.raises(ValueError, match="must lie"):
        ec.error_windows(errors, [2], window=3)
    np.testing.assert_array_equal(ec.usable_targets(errors, range(10), 3), [4, 5, 6, 7, 8, 9])


def test_a_perturbed_future_actual_moves_nothing_before_it(ds):
    """Change the high of one test day: no forecast of that day or earlier may move."""
    nn1 = ec.FirstStage.fit("GRU", ds, epochs=1, seed=0, units=4)
    errors = ds.frame["high"].to_numpy() - nn1.forecast(ds.frame)
    nn2 = ec.ErrorCorrector.fit("LSTM", errors, ec.usable_targets(errors, ds.val.target_pos, 5),
                                window=5, epochs=1, seed=0, units=4)
    test = ds.test.target_pos

    def final(frame):
        f = nn1.forecast(frame)
        e = frame["high"].to_numpy() - f
        return f[test], nn2.correct(e, test)

    base_nn1, base_nn2 = final(ds.frame)
    k = test[30]
    moved = ds.frame.copy()
    moved.iloc[k, moved.columns.get_loc("high")] *= 1.05
    new_nn1, new_nn2 = final(moved)
    before = test <= k
    np.testing.assert_array_equal(new_nn1[before], base_nn1[before])
    np.testing.assert_array_equal(new_nn2[before], base_nn2[before])
    after = np.flatnonzero(test == k + 1)[0]
    assert new_nn1[after] != base_nn1[after]  # the test can see a change: NN1 reads day k
    assert new_nn2[after] != base_nn2[after]  # and NN2 reads day k's error


def test_same_seed_same_network_in_any_order_and_process(ds):
    X, y = ds.train.X, ds.train.y
    a = ec.fit_network("GRU", X, y, epochs=2, seed=0, units=4).get_weights()
    ec.fit_network("GRU", X, y, epochs=2, seed=1, units=4)  # something else in between
    b = ec.fit_network("GRU", X, y, epochs=2, seed=0, units=4).get_weights()
    saved = dict(training._traced)
    training._traced.clear()  # as in a fresh process: the traced copy is built anew
    try:
        c = ec.fit_network("GRU", X, y, epochs=2, seed=0, units=4).get_weights()
    finally:
        training._traced.update(saved)
    for wa, wb, wc in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(wa, wc)
    d = ec.fit_network("GRU", X, y, epochs=2, seed=1, units=4).get_weights()
    assert not np.array_equal(a[0], d[0])


def test_fit_network_refuses_bad_input(ds):
    X, y = ds.train.X.copy(), ds.train.y
    X[3, 2, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ec.fit_network("MLP", X, y, epochs=1, seed=0)
    with pytest.raises(ValueError, match="epochs"):
        ec.fit_network("MLP", ds.train.X, y, epochs=0, seed=0)


def test_first_stage_forecasts_every_row_from_the_rows_before(ds, first):
    f = first["nn1 forecast"]
    assert f.shape == (len(ds.frame),)
    assert np.isnan(f[:5]).all() and np.isfinite(f[5:]).all()
    nn1 = ec.FirstStage.fit("MLP", ds, epochs=2, seed=0, units=4)
    np.testing.assert_array_equal(nn1.forecast(ds.frame), f)
    # the same numbers as the data set's own windows and price conversion
    np.testing.assert_allclose(f[ds.test.target_pos],
                               ds.to_price(ec.outputs(nn1.model, ds.test.X), "test"), rtol=1e-6)


@pytest.mark.parametrize("errors", ec.ERRORS)
def test_second_stage_corrects_the_test_forecasts(ds, first, errors):
    out = ec.second_stage("MLP", ds, first, errors=errors, epochs=2, seed=0, units=4)
    test = ds.test.target_pos
    np.testing.assert_allclose(out["forecast"], first["nn1 forecast"][test] + out["correction"])
    expected = len(ds.val) - 5 if errors == "held-out" else len(ds.train) - 5
    assert out["nn2 rows"] == expected
    assert out["nn2 fit s"] > 0


def test_second_stage_refuses_unknown_sources_and_missing_tails(ds, first):
    with pytest.raises(ValueError, match="errors"):
        ec.second_stage("MLP", ds, first, errors="oracle", epochs=1, seed=0)
    rows = ds.frame
    no_val = make_dataset(rows, chronological_split(rows, 320), features=FEATURES,
                          targets="high", window=5)
    with pytest.raises(ValueError, match="validation slice"):
        ec.second_stage("MLP", no_val, first, epochs=1, seed=0)


@pytest.mark.slow
def test_the_stages_run_as_a_grid(ds):
    def stage1(*, nn1, seed):
        return ec.first_stage(nn1, ds, epochs=1, seed=seed, units=4)

    table = grid.sweep(stage1, grid.configurations(nn1=["MLP", "GRU"]), seeds=[0, 1])
    assert list(table[["nn1", "seed"]].itertuples(index=False, name=None)) == [
        ("MLP", 0), ("MLP", 1), ("GRU", 0), ("GRU", 1)]
    again = grid.sweep(stage1, [{"nn1": "GRU"}], seeds=[1])
    np.testing.assert_array_equal(again["nn1 forecast"].iloc[0], table["nn1 forecast"].iloc[3])
    # other processes, each with its own training copies: the same numbers
    there = grid.sweep(stage1, grid.configurations(nn1=["MLP", "GRU"]), seeds=[0, 1],
                       executor="loky", n_jobs=2)
    for here_f, there_f in zip(table["nn1 forecast"], there["nn1 forecast"], strict=True):
        np.testing.assert_array_equal(here_f, there_f)


def test_score_as_the_paper_reports_it():
    actual = np.array([10.0, 11.0, 10.0, 12.0])
    previous = np.array([9.0, 10.0, 11.0, 10.0])
    persistence = ec.score(actual, previous, previous)
    assert persistence["MASE"] == pytest.approx(1.0)  # scaled by the day-to-day change
    assert persistence["DA"] == 0.0
    perfect = ec.score(actual, actual, previous)
    assert perfect["RMSE"] == 0 and perfect["MASE"] == 0 and perfect["DA"] == 1.0
    with pytest.raises(ValueError, match="consecutive"):
        ec.score(actual, actual, previous[::-1])


def test_autocorrelation_finds_structure_only_where_there_is_some():
    rng = np.random.default_rng(0)
    noise = rng.normal(size=600)
    ar = np.zeros(600)
    for t in range(1, 600):
        ar[t] = 0.7 * ar[t - 1] + noise[t]
    table = ec.autocorrelation(ar, lags=5)
    assert list(table.columns) == ["acf", "Ljung-Box p"]
    assert table.loc[1, "acf"] == pytest.approx(0.7, abs=0.1)
    assert table["Ljung-Box p"].max() < 1e-6
    assert ec.autocorrelation(noise, lags=5).loc[5, "Ljung-Box p"] > 0.05
    with pytest.raises(ValueError, match="too few"):
        ec.autocorrelation(pd.Series([1.0, 2.0, np.nan]), lags=5)
