"""Every public exercise check: a right answer passes, a wrong one fails with a clear message."""

import numpy as np
import pandas as pd
import pytest

from stocklearn import checks, evaluation, prep, splits
from stocklearn.checks import CheckFailed


@pytest.fixture(scope="module")
def ds(csi300):
    rows = csi300.loc["2015-01-01":].iloc[:260]
    return prep.make_dataset(rows, splits.chronological_split(rows, 200, val=30), window=5,
                             features=("close", "volume"))


@pytest.fixture(scope="module")
def leaky(csi300):
    rows = csi300.loc["2015-01-01":].iloc[:260]
    return prep.make_dataset(rows, splits.chronological_split(rows, 200, val=30), window=5,
                             features=("close", "volume"), fit_scaler_on="all")


def test_exercise_names_the_exercise_in_a_failure_and_prints_a_tick(capsys):
    with checks.exercise("ch0-ex1"):
        checks.is_set(1, "x")
    assert "✓ ch0-ex1" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="^ch0-ex1: `x` is not set"), checks.exercise("ch0-ex1"):
        checks.is_set(..., "x")


@pytest.mark.parametrize("value", [..., None])
def test_is_set(value):
    assert checks.is_set(3, "x") == 3
    with pytest.raises(CheckFailed, match="not set yet"):
        checks.is_set(value, "x")


def test_number():
    assert checks.number(np.array([2.5]), "x", low=0, high=3) == 2.5
    for bad, match in [("a", "should be a number"), (np.inf, "finite"), (4.0, "outside")]:
        with pytest.raises(CheckFailed, match=match):
            checks.number(bad, "x", low=0, high=3)


def test_close():
    checks.close([1.0, 2.0], np.array([1.0, 2.0 + 1e-12]), "x")
    with pytest.raises(CheckFailed, match="shape"):
        checks.close([1.0], [1.0, 2.0], "x")
    with pytest.raises(CheckFailed, match="is not the share"):
        checks.close(0.4, 0.5, "x", what="the share")


def test_is_permutation_and_is_shuffled():
    values = np.arange(10.0)
    shuffled = values[::-1]
    np.testing.assert_array_equal(checks.is_permutation(shuffled, values, "x"), shuffled)
    checks.is_shuffled(shuffled, values, "x")
    with pytest.raises(CheckFailed, match="same values"):
        checks.is_permutation(shuffled + 1, values, "x")
    with pytest.raises(CheckFailed, match="has 9 values"):
        checks.is_permutation(values[:9], values, "x")
    with pytest.raises(CheckFailed, match="original order"):
        checks.is_shuffled(values, values, "x")


def test_autocorrelation_against_statsmodels():
    from statsmodels.tsa.stattools import acf

    x = np.random.default_rng(0).normal(size=300).cumsum()
    checks.autocorrelation(acf(x, nlags=3)[1:], x, [1, 2, 3], "x")
    checks.autocorrelation(acf(np.abs(x), nlags=2)[1:], x, [1, 2], "x", absolute=True)
    with pytest.raises(CheckFailed, match="autocorrelations at lags"):
        checks.autocorrelation(acf(np.abs(x), nlags=2)[1:], x, [1, 2], "x")


def test_within_noise():
    checks.within_noise([0.05, -0.1], 400, "x")  # band 4 / 20 = 0.2
    with pytest.raises(CheckFailed, match="beyond the band"):
        checks.within_noise([0.05, 0.3], 400, "x")


def test_is_dataset_training_rows_and_same_test_rows(ds, leaky):
    assert checks.is_dataset(ds, "ds") is ds
    with pytest.raises(CheckFailed, match="made by prep.make_dataset"):
        checks.is_dataset(ds.frame, "ds")
    checks.training_rows(ds, "ds", rows=170, start="2015-01-01")  # 200 less 30 validation
    with pytest.raises(CheckFailed, match="the exercise asks for 100"):
        checks.training_rows(ds, "ds", rows=100)
    with pytest.raises(CheckFailed, match="before 2016-01-01"):
        checks.training_rows(ds, "ds", start="2016-01-01")
    checks.same_test_rows(ds, leaky, ("ds", "leaky"))
    shorter = prep.make_dataset(ds.frame, splits.chronological_split(ds.frame, 210, val=30),
                                window=5, features=("close", "volume"))
    with pytest.raises(CheckFailed, match="same test rows"):
        checks.same_test_rows(ds, shorter, ("ds", "shorter"))


def test_fitted_on_training_rows(ds, leaky):
    checks.fitted_on_training_rows(ds, "ds")
    checks.fitted_on_training_rows(leaky, "leaky", leak=True)
    with pytest.raises(CheckFailed, match="every row, test rows included"):
        checks.fitted_on_training_rows(leaky, "leaky")
    with pytest.raises(CheckFailed, match="does not see every row"):
        checks.fitted_on_training_rows(ds, "ds", leak=True)


def test_shares_by_hand(ds):
    up = ds.actual("test") > ds.previous("test")
    assert checks.share_of_up_days(ds) == pytest.approx(up.mean())
    same = ds.actual("test") == ds.previous("test")
    assert checks.share_of_unchanged_days(ds) == pytest.approx(same.mean())
    last_close = ds.test.X[:, -1, 0]
    assert checks.share_of_scaled_inputs(ds, above=0.5) == pytest.approx(
        np.mean(last_close > 0.5))


def test_score_table(ds):
    model = ds.previous("test") * 1.001
    table = evaluation.score_dataset(ds, {"model": model}, "test")
    assert checks.score_table(table, ds, "t") is table
    with pytest.raises(CheckFailed, match="no persistence row"):
        checks.score_table(table.drop(index="persistence"), ds, "t")
    with pytest.raises(CheckFailed, match="compares 2"):
        checks.score_table(table, ds, "t", models=2)
    with pytest.raises(CheckFailed, match="fewer than 3 seeds"):
        checks.score_table(table, ds, "t", min_seeds=3)
    other = table.copy()
    other.loc["persistence", "RMSE"] *= 2
    with pytest.raises(CheckFailed, match="not the one on the test rows"):
        checks.score_table(other, ds, "t")


def test_weights_moved():
    table = pd.DataFrame({"change": [0.1, 0.2, 0.0]},
                         index=["kernel", "bias", "recurrent_kernel"])
    checks.weights_moved(table, "change", "t", frozen="recurrent")
    with pytest.raises(CheckFailed, match="did not change: .*recurrent_kernel"):
        checks.weights_moved(table, "change", "t")
    table.loc["recurrent_kernel", "change"] = 0.3
    with pytest.raises(CheckFailed, match="should not"):
        checks.weights_moved(table, "change", "t", frozen="recurrent")


def test_claim_backs_a_sentence_with_the_numbers():
    checks.claim(np.float64(1.0) < 2.0, "one is less than two")
    with pytest.raises(checks.ClaimFailed, match="no network beats persistence"):
        checks.claim(False, "no network beats persistence")
    with pytest.raises(TypeError, match="reduce"):
        checks.claim(np.array([True, False]), "both")
