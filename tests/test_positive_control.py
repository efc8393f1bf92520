"""The positive control: simulated AR(1) prices, and the power of the Diebold-Mariano test."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.arima.model import ARIMA

from stocklearn import evaluation, metrics, prep, splits
from stocklearn import positive_control as pc


def test_simulated_prices_are_labelled_shaped_like_the_data_and_reproducible():
    frame = pc.simulate_prices(300, phi=0.2, seed=3)
    assert list(frame.columns) == ["close"]
    assert frame.index.name == "date" and isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.is_monotonic_increasing and len(frame) == 300
    assert frame.attrs["simulated"] is True and pc.SIMULATED in frame.attrs["name"]
    assert frame.attrs["phi"] == 0.2 and frame.attrs["seed"] == 3
    assert frame["close"].iloc[0] == 1000.0 and (frame["close"] > 0).all()
    pd.testing.assert_frame_equal(frame, pc.simulate_prices(300, phi=0.2, seed=3))
    assert not frame.equals(pc.simulate_prices(300, phi=0.2, seed=4))


def test_simulated_returns_have_the_stated_ar1_coefficient_volatility_and_drift():
    frame = pc.simulate_prices(40_000, phi=0.3, volatility=0.02, drift=0.001, seed=1)
    r = np.diff(np.log(frame["close"].to_numpy()))
    assert r.std() == pytest.approx(0.02, rel=0.03)
    assert r.mean() == pytest.approx(0.001, abs=3 * 0.02 / np.sqrt(len(r)) / 0.7)
    # an independent estimate: statsmodels' AR(1) fit by maximum likelihood
    fit = ARIMA(r, order=(1, 0, 0)).fit()
    assert fit.params[1] == pytest.approx(0.3, abs=0.02)
    walk = np.diff(np.log(pc.simulate_prices(40_000, seed=2)["close"].to_numpy()))
    assert abs(np.corrcoef(walk[1:], walk[:-1])[0, 1]) < 0.02


def test_the_simulated_series_runs_through_the_chapters_pipeline():
    frame = pc.simulate_prices(2000, phi=0.35, seed=0)
    ds = prep.make_dataset(frame, splits.chronological_split(frame, 0.8, val=0.1),
                           window=20)
    table = evaluation.score_dataset(ds, {})
    assert {"persistence", "linear"} <= set(table.index)
    assert table.loc["linear", "RMSE"] < table.loc["persistence", "RMSE"]
    assert table.loc["linear", "CW p"] < 0.01


def test_rmse_gain_and_phi_are_inverse():
    assert pc.rmse_gain(0.0) == 0.0
    assert pc.rmse_gain(0.3) == pytest.approx(1 - np.sqrt(0.91))
    for gain in (0.0, 0.01, 0.05, 0.2):
        assert pc.rmse_gain(pc.phi_for_gain(gain)) == pytest.approx(gain)


def test_signal_to_noise_matches_a_long_simulation():
    """The closed form of mean / long-run sd of r^2 - e^2, against Newey-West on 400k days."""
    rng = np.random.default_rng(0)
    for phi in (0.1, 0.3, 0.6):
        n = 400_000
        e = np.sqrt(1 - phi**2) * rng.standard_normal(n)
        r = pc._ar1(e, phi, rng.standard_normal())
        d = r**2 - e**2
        lrv = metrics.long_run_variance(d, 60)
        assert d.mean() / np.sqrt(lrv) == pytest.approx(pc._signal_to_noise(phi), rel=0.05)


def test_analytic_power_agrees_with_simulated_dm_tests():
    gains, days = [0.01, 0.03, 0.08], [100, 400, 1500]
    analytic = pc.dm_power(gains, days)
    simulated = pc.dm_power(gains, days, method="simulate", n_sims=600, seed=1)
    assert analytic.shape == simulated.shape == (3, 3)
    assert list(analytic.index) == gains and list(analytic.columns) == days
    # three binomial standard errors of 600 draws at most ~0.06, plus the approximation
    assert np.abs(analytic - simulated).to_numpy().max() < 0.08
    # power grows with the gain and with the days
    assert (np.diff(analytic.to_numpy(), axis=0) > 0).all()
    assert (np.diff(analytic.to_numpy(), axis=1) > 0).all()


def test_at_no_gain_the_forecast_is_persistence_and_never_detected():
    assert pc.dm_power(0.0, 500).iloc[0, 0] == 0.0
    assert pc.dm_power(0.0, 500, method="simulate", n_sims=50).iloc[0, 0] == 0.0


def test_days_needed_and_smallest_gain_invert_the_power():
    need = pc.days_needed([0.02, 0.05], power=0.8)
    for gain, n in need.items():
        assert pc.dm_power(gain, n).iloc[0, 0] == pytest.approx(0.8, abs=0.01)
    gain = pc.smallest_gain(1000, power=0.5)
    assert pc.dm_power(gain, 1000).iloc[0, 0] == pytest.approx(0.5, abs=1e-6)
    assert pc.smallest_gain(4000) < gain < pc.smallest_gain(250)
    assert np.isnan(pc.smallest_gain(3))


@pytest.mark.parametrize("call", [
    lambda: pc.simulate_prices(2),
    lambda: pc.simulate_prices(100, phi=1.0),
    lambda: pc.simulate_prices(100, phi=float("nan")),
    lambda: pc.simulate_prices(100, volatility=0),
    lambda: pc.simulate_prices(100, start_price=-1),
    lambda: pc.simulate_prices(100, seed=-1),
    lambda: pc.simulate_prices(100, start="not a date"),
    lambda: pc.phi_for_gain(1.0),
    lambda: pc.dm_power(1.2, 100),
    lambda: pc.dm_power(0.1, 2),
    lambda: pc.dm_power(0.1, 100, alpha=0),
    lambda: pc.dm_power(0.1, 100, method="exact"),
    lambda: pc.dm_power(0.1, 100, method="simulate", n_sims=0),
    lambda: pc.days_needed(0.0),
    lambda: pc.days_needed(0.1, power=1),
    lambda: pc.smallest_gain(100, power=0),
])
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()
