# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["remove-cell"]
# Colab only: install the course package (Binder and local runs have it).
import subprocess
import sys

if "google.colab" in sys.modules:
    repo = "git+https://github.com/stocklearn/stocklearn"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    f"stocklearn @ {repo}"], check=True)

# %% [markdown]
# # Where forecasting works: volatility
#
# Seven chapters forecast tomorrow's price, and persistence, "tomorrow
# equals today", was hard to beat every time. That is what an efficient
# market predicts for the *direction* of the next move. It predicts
# nothing of the kind for its *size*. Chapter 1 showed that large moves
# come in clusters: a calm day tends to follow a calm day and a wild day a
# wild day. The variance of returns is persistent, and a persistent
# quantity can be forecast. This chapter forecasts it, with the methods
# the field relies on (RiskMetrics' moving average, GARCH, Corsi's HAR)
# and with the networks of the course, under the same rules as before:
# walk-forward refits, the same rows for every forecaster, tests with a
# long-run variance and an adjustment for many tests, and a champion
# chosen before the test rows are read.
#
# **Learning goals.** After this chapter you can
#
# * measure a day's variance from its open, high, low and close (squared
#   return, Parkinson's range, Garman and Klass) and say why a range is a
#   better measure than a squared return;
# * forecast next-day and next-week variance with persistence, a rolling
#   mean, EWMA, GARCH and GJR-GARCH (the `arch` package), HAR, an LSTM and
#   a small attention network, each refit walk-forward;
# * judge variance forecasts with a loss that suits a noisy target (QLIKE,
#   and the squared error), Diebold-Mariano tests against persistence and
#   against HAR, and the model confidence set;
# * turn variance forecasts into a decision, a position scaled to a target
#   volatility, and measure what each forecast does to risk and turnover.

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from arch.bootstrap import MCS
from IPython.display import Code, Markdown, display
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf

from stocklearn import (
    backtest,
    checks,
    data,
    metrics,
    models,
    plots,
    prose,
    results,
    settings,
    splits,
    tables,
    volatility,
    walk_forward,
)
from stocklearn.backend import keras  # Keras, with TensorFlow kept quiet

plots.set_style()  # the course's figure style, also for the one-off figures

# %% tags=["parameters"]
# "fast" or "full"; None: env STOCKLEARN_PROFILE, else "fast"
PROFILE = None
# indices forecast: data.list_datasets(); one US and one Chinese index
DATASETS = ["sp500", "csi300"]
PROXY = "garman_klass"  # the day's variance: a key of volatility.PROXIES
VAL_START = "2014-01-01"  # first forecast day of the validation period
TEST_START = "2016-01-01"  # first forecast day of the test period
TEST_END = "2025-12-31"  # last forecast day
STEP = 504  # refit every STEP trading days (about two years)
TRAIN_ROWS = 1260  # sliding training window: about five years
WINDOW = 22  # the networks' look-back in days: about a month
HORIZONS = [1, 5]  # forecast the mean variance of the next 1 and 5 days
# None: the profile's choice; a number caps every training of the chapter
EPOCHS = None
SEEDS = None  # None: the profile's first seeds (1 fast, 3 full)
TARGET_VOL = 0.10  # the managed position's target annual volatility
COST_BP = 5  # trading cost per unit of position changed, basis points
MCS_SIZE = 0.10  # the model confidence set's level
MCS_REPS = None  # bootstrap draws of the model confidence set
EXECUTOR = None  # None: folds in this process; "loky": local processes

# %%
profile = settings.get_profile(PROFILE)
seeds = (tuple(SEEDS) if SEEDS is not None
         else profile.seeds[:profile.pick(fast=1, full=3)])
epochs = EPOCHS or profile.pick(fast=10, full=30)
patience = profile.pick(fast=3, full=5)
units = profile.pick(fast=16, full=32)
mcs_reps = MCS_REPS or profile.pick(fast=500, full=2000)
BATCH = 64
chapter_start = time.perf_counter()
run = (f"seeds {seeds}, at most {epochs} epochs (patience {patience}), "
       f"network width {units}, window {WINDOW}, refit every {STEP} days "
       f"on the last {TRAIN_ROWS}; model confidence set with {mcs_reps} "
       f"bootstrap draws")
display(Markdown(settings.run_note(
    profile, "notebooks/08_volatility",
    backend=keras.backend.backend(), details=run)))

# %% [markdown]
# ## Volatility clusters
#
# Chapter 1 measured the autocorrelation of daily returns: close to zero
# at every lag. The same measurement on the *size* of the returns tells
# another story. Below, the autocorrelation of the daily log return
# and of the log of the day's variance (measured from its bar, as the next
# section explains) for the lags of a quarter, on both indices from 2005:

# %%
label = data.short_name  # "S&P 500" for "sp500"


DATA_START = "2005-01-01"  # CSI 300 starts here
bars = {name: data.load(name, start=DATA_START) for name in DATASETS}
frames = {name: volatility.variance_frame(b, proxy=PROXY,
                                          horizons=tuple(HORIZONS))
          for name, b in bars.items()}
LAGS = 66  # a quarter of trading days
fig, axes = plt.subplots(1, len(DATASETS), figsize=(9, 3), sharey=True,
                         squeeze=False)
clustering = {}
for ax, name in zip(axes[0], DATASETS, strict=True):
    f = frames[name]
    ac_r = acf(f["log_return"], nlags=LAGS)[1:]
    ac_v = acf(f["log_proxy"], nlags=LAGS)[1:]
    clustering[name] = (ac_r, ac_v)
    lags = np.arange(1, LAGS + 1)
    ax.bar(lags, ac_r, color="0.6", label="log return")
    ax.plot(lags, ac_v, color="C3", label="log variance")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set(title=label(name), xlabel="lag (days)")
axes[0, 0].set(ylabel="autocorrelation")
axes[0, 0].legend()
fig.tight_layout()
plt.show()
for name, (ac_r, ac_v) in clustering.items():
    print(f"{label(name)}: lag-1 autocorrelation of returns {ac_r[0]:+.3f},"
          f" of the log variance {ac_v[0]:.3f} (still {ac_v[-1]:.3f} at "
          f"lag {LAGS})")
prose.glue("lags", LAGS)

# %%
checks.claim(all(abs(r[0]) < 0.15 and v[0] > 0.5 and v[-1] > 0.2
                 for r, v in clustering.values()),
             "returns barely autocorrelated; log variance strongly, for "
             "months")

# %% [markdown]
# Returns are barely correlated with their own past; the log variance
# is strongly correlated with its own, and the correlation fades slowly,
# over months. That slow decay is what every method below exploits.

# %% [markdown]
# ## A day's variance, measured from its bar
#
# The variance of a day's return is never observed: a day happens once.
# What we observe is a *proxy*, a number computed from the day's bar whose
# average equals (or is proportional to) the variance. With the log
# return $r_t = \ln(C_t / C_{t-1})$ and the day's open $O_t$, high $H_t$,
# low $L_t$ and close $C_t$:
#
# * the **squared return** $r_t^2$: unbiased when the mean return is
#   negligible, but a single draw. For a normal return its standard
#   deviation is $\sqrt 2$ times its mean: a proxy as noisy as the
#   quantity it measures;
# * **Parkinson's range** {cite}`parkinson1980`,
#   $\ln(H_t / L_t)^2 / (4 \ln 2)$: the high and the low summarise every
#   trade of the day, not two closing prices, so the range moves much less
#   by chance. For a price that moves like a Brownian motion the expected
#   squared log range is $4 \ln 2$ times the variance;
# * **Garman and Klass** {cite}`garman1980`,
#   $\tfrac12 \ln(H_t / L_t)^2 - (2 \ln 2 - 1) \ln(C_t / O_t)^2$: the range
#   corrected with the day's body, still less noisy for a Brownian motion.
#
# The two range proxies measure the day from its open to its close; the
# move overnight, from yesterday's close to today's open, is missing, so
# they are smaller on average than a squared close-to-close return. Each
# is a function of the package that refuses bad bars (a missing column, a
# high below the low, a price of zero) with a message naming the dates:

# %%
display(Code(inspect.getsource(volatility.garman_klass),
             language="python"))

# %% [markdown]
# How noisy is each proxy? Divide each day's value by the proxy's own
# level around that day (its mean over the ten trading days before and
# the ten after, the day itself left out) and take the standard
# deviation of that ratio: 0 for a proxy that never moves by chance. The
# square of the ratio of two noise levels says how many days of the
# noisier proxy are worth one day of the other. `level` is each proxy's
# mean relative to the squared return's:

# %%
NEIGHBOURS = 10  # days on each side of the local level


def relative_noise(proxy):
    """Standard deviation of proxy / its mean over the neighbouring days
    (the day itself excluded)."""
    window = 2 * NEIGHBOURS + 1
    total = proxy.rolling(window, center=True).sum()
    local = (total - proxy) / (window - 1)
    return float((proxy / local).dropna().std())


noise_rows = {}
for name, b in bars.items():
    proxies = {"squared return": volatility.squared_returns(b),
               "Parkinson": volatility.parkinson(b),
               "Garman-Klass": volatility.garman_klass(b)}
    sq = proxies["squared return"]
    for what, p in proxies.items():
        noise_rows[(label(name), what)] = {
            "level": p.mean() / sq.mean(), "noise": relative_noise(p)}
noise = pd.DataFrame(noise_rows).T
noise["days of squared returns"] = (
    noise.xs("squared return", level=1)["noise"].reindex(
        noise.index, level=0) / noise["noise"]) ** 2
tables.format_table(noise)

# %%
for index, rows in noise.groupby(level=0):
    rows = rows.droplevel(0)
    print(f"{index}: noise of the squared return "
          f"{rows.loc['squared return', 'noise']:.2f}, of Parkinson's "
          f"range {rows.loc['Parkinson', 'noise']:.2f}, of Garman-Klass "
          f"{rows.loc['Garman-Klass', 'noise']:.2f}: one day of "
          f"Garman-Klass is worth "
          f"{rows.loc['Garman-Klass', 'days of squared returns']:.1f} "
          f"days of squared returns. The range proxies average "
          f"{rows.loc['Parkinson', 'level']:.0%} and "
          f"{rows.loc['Garman-Klass', 'level']:.0%} of the squared return")
checks.claim(
    all(rows.loc[(i, "squared return"), "noise"]
        > 1.5 * max(rows.loc[(i, "Parkinson"), "noise"],
                    rows.loc[(i, "Garman-Klass"), "noise"])
        for rows in [noise] for i in noise.index.get_level_values(0)),
    "the squared return is far noisier than both range proxies")
checks.claim(bool((noise.xs("Garman-Klass", level=1)[
    "days of squared returns"] > 2).all()),
             "one day of a range is worth several days of squared returns")
checks.claim((noise.xs("Garman-Klass", level=1)["level"] < 1).all(),
             "the range proxies are smaller on average (no overnight move)")

# %% [markdown]
# The squared return is by far the noisiest proxy: the ranges' noise is
# less than two thirds of its noise, so one day of a range is worth
# several days of squared returns (the lines above give the factors). We
# forecast the proxy named by `PROXY` (Garman-Klass unless you change it),
# a measure of the trading day's variance, and judge every forecast
# against it. A forecast of a noisy proxy can never
# look precise, but, as the section on losses shows, the right loss still
# ranks forecasts correctly; a less noisy proxy makes the ranking sharper.
# The networks and HAR see the log of the proxy; the daily variance of
# the last year, as an annualised volatility $\sqrt{252\,v}$:

# %%
fig, ax = plt.subplots(figsize=(9, 3))
first = DATASETS[0]
last_year = bars[first].iloc[-252:]
for what, p in (("squared return", volatility.squared_returns(last_year)),
                ("Garman-Klass", volatility.garman_klass(last_year))):
    ax.plot(p.index, np.sqrt(252 * p), lw=1, label=what,
            alpha=0.6 if what == "squared return" else 1.0)
ax.set(yscale="log", ylabel="annualised volatility",
       title=f"{label(first)}: the day's volatility, two proxies")
ax.legend()
plt.show()

# %% [markdown]
# ## The forecasters
#
# Each forecaster, at the close of day $t$, forecasts the mean variance
# $\bar v_{t,h} = \frac1h \sum_{j=1}^{h} v_{t+j}$ of the next $h$ days
# ($h$ = 1, tomorrow, and $h$ = 5, the next week; `HORIZONS`), with $v$
# the proxy:
#
# * **persistence**: the mean proxy of the last $h$ days (for $h = 1$,
#   today's value);
# * **rolling mean**: the mean proxy of the last month,
#   {glue:text}`har_month` days;
# * **EWMA** (RiskMetrics {cite}`riskmetrics1996`): an exponentially
#   weighted mean, $\hat v_{t+1} = \lambda \hat v_t + (1-\lambda) v_t$ with
#   $\lambda$ = {glue:text}`riskmetrics`;
# * **GARCH(1,1)** {cite}`bollerslev1986`, fitted by maximum likelihood on
#   the returns: $\sigma^2_{t+1} = \omega + \alpha r_t^2 + \beta
#   \sigma^2_t$; and **GJR-GARCH** {cite}`glosten1993`, which adds
#   $\gamma r_t^2 \mathbb 1[r_t < 0]$: bad news raises the variance more
#   than good news. The `arch` package fits both. They model the
#   close-to-close return, so their forecasts are scaled by the training
#   rows' ratio of the proxy to the squared return;
# * **HAR** {cite}`corsi2009`: a linear regression of the log proxy on its
#   own averages over the last day, week and month,
#   $\ln \bar v_{t,h} = c + b_d \ln v_t + b_w \overline{\ln v}_{t-4:t}
#   + b_m \overline{\ln v}_{t-21:t} + \varepsilon$, fitted by least
#   squares: three numbers that mimic the slow decay of the
#   autocorrelation above;
# * an **LSTM** (chapter 3) and a small **attention network** over the
#   last `WINDOW` days of the log proxy and the log return.
#
# The HAR and the networks forecast a *log*. The exponential of a forecast
# of the log is a forecast of the median, too low for the mean, and
# squared-error and QLIKE losses punish that. Duan's smearing factor
# {cite}`duan1983`, the mean of $e^{\text{residual}}$ over the training
# rows, puts the mean back without assuming a distribution; every log
# forecaster of the chapter uses it. The networks get it from
# `volatility.LogVarianceNetwork`:

# %%
prose.glue("har_month", volatility.HAR_LAGS["monthly"])
prose.glue("riskmetrics", volatility.RISKMETRICS_LAMBDA)
display(Code(inspect.getsource(volatility.LogVarianceNetwork.__call__),
             language="python"))

# %% [markdown]
# "What about Transformers?" The attention network is one Transformer
# encoder block {cite}`vaswani2017`, the building block of today's large
# models, at the scale of this problem: each day of the window becomes a
# vector, a learned position vector says which day it is, every day
# attends to every other (Keras' `MultiHeadAttention`), and the last day's
# vector gives the forecast:

# %%
display(Code(inspect.getsource(models.attention).split('"""')[-1],
             language="python"))

# %% [markdown]
# ## Judging forecasts of a noisy target
#
# The proxy $v_t$ is the true variance $\sigma^2_t$ times noise. A loss
# that compares forecasts $f_t$ with $v_t$ must rank two forecasts as it
# would rank them against the unobserved $\sigma^2_t$. Patton
# {cite}`patton2011` showed which losses do: the squared error
# $(v_t - f_t)^2$ and **QLIKE**,
#
# $$
# \text{QLIKE}(v_t, f_t) = \frac{v_t}{f_t} - \ln\frac{v_t}{f_t} - 1 ,
# $$
#
# both minimised in expectation at $f_t = \sigma^2_t$ whatever the
# proxy's noise. Absolute errors, or errors of the volatility
# $\sqrt{v_t}$, are not: they reward a forecast that is biased low.
# QLIKE is 0 for a perfect forecast, depends only on the ratio
# $v_t / f_t$ (so a quiet year and a wild year count alike, while the
# squared error is dominated by the few wildest days), and punishes
# forecasting too little more than forecasting too much, the costly
# mistake in risk management. QLIKE is the chapter's main loss
# (`metrics.qlike`); the squared error is reported beside it.
#
# Comparisons use the Diebold-Mariano test of the course on the per-day
# loss differences (`metrics.diebold_mariano_losses`, the long-run
# variance of chapter 2), against persistence and against HAR, with
# Holm's adjustment over every test in the table. HAR's regression
# contains persistence (its daily coefficient 1, the others 0), and the
# networks see what persistence sees: these comparisons are nested, for
# which the DM test is conservative. A rejection is strong evidence; a
# non-rejection is weaker evidence of equal accuracy than usual.
#
# Finally, the **model confidence set** {cite}`hansen2011` asks the
# question a practitioner asks: which models cannot be told apart from
# the best? Starting from all models, it tests "all remaining models are
# equally accurate" and, while that is rejected, removes the worst,
# with a block bootstrap for the dependence of daily losses. The models
# that survive form a set that contains the best model with probability
# {glue:text}`mcs_level:.0%` (`arch.bootstrap.MCS`).

# %%
prose.glue("mcs_level", 1 - MCS_SIZE)

# %% [markdown]
# ## Walk-forward evaluation
#
# The machinery of chapter 7: the forecast days from `VAL_START` to
# `TEST_END` are cut into blocks of `STEP` days; before each block every
# forecaster is refit on the last `TRAIN_ROWS` days (the networks with
# their last fifth as the validation slice for early stopping; HAR, GARCH
# and the smearing factors on the training rows), then forecasts every
# day of the block from the data up to the day before. A week-ahead
# target averages five days, so $h - 1$ days are left out between the
# rows a forecaster is fitted (or early-stopped) on and each test block:
# otherwise the first forecasts of a block would be made before the last
# day the forecaster was fitted on. The forecasts
# before `TEST_START` form the **validation period**, where the chapter
# picks its champion; the forecasts from `TEST_START` on are the **test
# period**, read once.

# %%
def lstm_build(ds):
    """An LSTM of the chapter's width on the window of log inputs."""
    return models.lstm(ds.input_shape, units=units)


def attention_build(ds):
    """One Transformer encoder block of the chapter's width."""
    return models.attention(ds.input_shape, width=units)


FEATURES = ["log_proxy", "log_return"]
NETWORKS = ["LSTM", "attention"]
forecasters = {
    "rolling mean": volatility.forecaster(
        "rolling_mean", window=volatility.HAR_LAGS["monthly"]),
    "EWMA": volatility.forecaster("ewma"),
    "GARCH": volatility.forecaster("garch"),
    "GJR": volatility.forecaster("gjr"),
    "HAR": volatility.forecaster("har"),
    "LSTM": volatility.LogVarianceNetwork(
        lstm_build, epochs=epochs, batch_size=BATCH, patience=patience),
    "attention": volatility.LogVarianceNetwork(
        attention_build, epochs=epochs, batch_size=BATCH,
        patience=patience),
}
MODELS = ["persistence", *forecasters]
walks = {}
for name in DATASETS:
    for h in HORIZONS:
        started = time.perf_counter()
        walks[name, h] = walk_forward.walk_forward(
            frames[name], forecasters, first_test=VAL_START, end=TEST_END,
            step=STEP, scheme="sliding", train_rows=TRAIN_ROWS, val=0.2,
            gap=h - 1, features=FEATURES,
            targets=volatility.target_column(h), window=WINDOW, horizon=h,
            scale="standard", seeds=seeds, executor=EXECUTOR)
        wf = walks[name, h]
        print(f"{label(name)}, h = {h}: {len(wf.folds)} folds, "
              f"{len(wf.rows)} days forecast from {wf.dates[0]:%Y-%m-%d} "
              f"to {wf.dates[-1]:%Y-%m-%d} in "
              f"{time.perf_counter() - started:.0f} s")
walks[first, HORIZONS[0]].folds

# %%
origins_after_fit = []
for (name, h), wf in walks.items():
    folds = splits.walk_forward_folds(
        frames[name], first_test=VAL_START, end=TEST_END, step=STEP,
        scheme="sliding", train_rows=TRAIN_ROWS, val=0.2, gap=h - 1)
    for f in folds:
        first_origin = wf.rows[wf.fold == f.number].min() - h
        origins_after_fit.append(first_origin >= f.val[1] - 1)
checks.claim(all(origins_after_fit),
             "every forecast is made at or after the last day its "
             "forecaster was fitted or stopped on")

# %% [markdown]
# Every forecaster's output is the log of its variance forecast; the
# ensemble of the networks' seeds averages the variances. One table per
# index and horizon holds, for every day, the proxy and each forecast in
# squared percent (the variance of a return in percent; a daily variance
# of 1 is an annual volatility of {glue:text}`vol_of_one:.1f` %):

# %%
PERCENT2 = 1e4  # variance of a return in percent
prose.glue("vol_of_one", np.sqrt(backtest.DAYS_PER_YEAR))


def forecast_table(wf):
    """The proxy and every forecast of a walk-forward run, per day, in
    squared percent, with the period each day belongs to."""
    out = pd.DataFrame({"actual": np.exp(wf.actual) * PERCENT2},
                       index=wf.dates)
    for model, f in wf.forecasts.items():
        out[model] = np.exp(f).mean(axis=0) * PERCENT2
    out["period"] = np.where(out.index < pd.Timestamp(TEST_START),
                             "validation", "test")
    return out[["period", "actual", *MODELS]]


fc = {key: forecast_table(wf) for key, wf in walks.items()}
for (name, h), t in fc.items():
    n = t["period"].value_counts()
    print(f"{label(name)}, h = {h}: {n.get('validation', 0)} validation "
          f"days, {n.get('test', 0)} test days")
checks.claim(all((t["period"] == "test").sum() > 2 * len(HORIZONS)
                 and (t["period"] == "validation").any()
                 for t in fc.values()),
             "every run has validation and test days")

# %% [markdown]
# ## Results on the test period
#
# For each index and horizon: each forecaster's QLIKE and squared error
# (`MSE`, in squared percent squared) on the test days, its QLIKE relative
# to persistence's, the DM p-values (QLIKE losses) against persistence
# and against HAR, raw and adjusted by Holm over all the tests of the
# table, and the networks' spread over seeds. `detectable` is the power
# of the test against persistence: the smallest reduction of persistence's
# QLIKE that it would detect with 80 % probability at the 5 % level
# before the adjustment (`metrics.detectable_reduction`):

# %%
ALPHA = 0.05
HORIZON_WORDS = {1: "next day", 5: "next week"}


def horizon_words(h):
    """'next day', 'next week' or 'next h days'."""
    return HORIZON_WORDS.get(h, f"next {h} days")


def score_table(t, h, wf):
    """QLIKE, MSE and DM tests of every forecaster on the test days."""
    test = t[t["period"] == "test"]
    a = test["actual"].to_numpy()
    losses = {m: metrics.qlike_losses(a, test[m].to_numpy()) for m in MODELS}
    mask = (t["period"] == "test").to_numpy()
    rows = {}
    for m in MODELS:
        per_seed = [metrics.qlike(a, np.exp(f[mask]) * PERCENT2)
                    for f in wf.forecasts[m]]
        rows[m] = {
            "QLIKE": losses[m].mean(),
            "QLIKE per seed std": (np.std(per_seed, ddof=1)
                                   if len(per_seed) > 1 else np.nan),
            "MSE": np.mean((a - test[m].to_numpy()) ** 2),
            "vs persistence": losses[m].mean()
            / losses["persistence"].mean(),
            "DM p": (metrics.diebold_mariano_losses(
                losses[m], losses["persistence"], h=h)[1]
                if m != "persistence" else np.nan),
            "DM p HAR": (metrics.diebold_mariano_losses(
                losses[m], losses["HAR"], h=h)[1]
                if m not in ("HAR", "persistence") else np.nan),
            "detectable": (metrics.detectable_reduction(
                losses["persistence"], losses[m], h=h)
                if m != "persistence" else np.nan),
            "detectable HAR": (metrics.detectable_reduction(
                losses["HAR"], losses[m], h=h)
                if m not in ("HAR", "persistence") else np.nan),
            "seeds": len(per_seed)}
    return pd.DataFrame(rows).T, pd.DataFrame(losses, index=test.index)


scores, losses = {}, {}
for (name, h), t in fc.items():
    key = (label(name), horizon_words(h))
    scores[key], losses[key] = score_table(t, h, walks[name, h])
score = pd.concat(scores, names=["index", "horizon", "model"])
family = metrics.holm(np.concatenate([score["DM p"], score["DM p HAR"]]))
score["DM p adj"] = family[:len(score)]
score["DM p HAR adj"] = family[len(score):]
n_tests = int(np.isfinite(np.concatenate(
    [score["DM p"], score["DM p HAR"]])).sum())
print(f"{n_tests} tests in the table, adjusted together")
tables.format_table(
    score[["QLIKE", "QLIKE per seed std", "vs persistence", "MSE", "DM p",
           "DM p adj", "detectable", "DM p HAR", "DM p HAR adj"]],
    decimals={"QLIKE": 3, "vs persistence": 3, "MSE": 3})

# %% [markdown]
# The verdicts, from the adjusted p-values:

# %%
def words(row, ref, p):
    """'beats', 'is worse than' or 'is not distinguishable from' a
    reference, from the adjusted p-value."""
    if not p < ALPHA:
        return "is not distinguishable from"
    return "beats" if row["QLIKE"] < ref else "is worse than"


def power(row, p, detectable):
    """The test's power, after a verdict of 'not distinguishable'."""
    return ("" if p < ALPHA else
            f"; a {detectable:.0%} lower QLIKE would have been detected")


verdicts = []
for (index, horizon), sc in score.groupby(level=[0, 1]):
    sc = sc.droplevel([0, 1])
    pers, har = sc.loc["persistence", "QLIKE"], sc.loc["HAR", "QLIKE"]
    beat_p = [m for m in sc.index if m != "persistence"
              and words(sc.loc[m], pers, sc.loc[m, "DM p adj"]) == "beats"]
    best = sc["QLIKE"].idxmin()
    print(f"{index}, {horizon}: {len(beat_p)} of {len(sc) - 1} "
          f"forecasters beat persistence (QLIKE {pers:.3f}); the lowest "
          f"QLIKE is {best}'s, {sc.loc[best, 'QLIKE']:.3f}.")
    for m in NETWORKS:
        row = sc.loc[m]
        p, p_har = row["DM p adj"], row["DM p HAR adj"]
        print(f"    {m} (QLIKE {row['QLIKE']:.3f}) {words(row, pers, p)} "
              f"persistence{power(row, p, row['detectable'])}; it "
              f"{words(row, har, p_har)} HAR ({har:.3f})"
              f"{power(row, p_har, row['detectable HAR'])}.")
        verdicts.append({"index": index, "horizon": horizon, "model": m,
                         "vs persistence": words(row, pers,
                                                 row["DM p adj"]),
                         "vs HAR": words(row, har, row["DM p HAR adj"])})
verdicts = pd.DataFrame(verdicts)
beats_persistence = score.query("model != 'persistence'")
n_beat = int(((beats_persistence["DM p adj"] < ALPHA)
              & (beats_persistence["vs persistence"] < 1)).sum())
prose.glue("n_beat", n_beat)
prose.glue("n_compared", len(beats_persistence))

# %%
har_rows = score.xs("HAR", level="model")
checks.claim(bool(((har_rows["DM p adj"] < ALPHA)
                   & (har_rows["vs persistence"] < 1)).all()),
             "HAR beats persistence on every index and horizon")
ratios = score["vs persistence"].groupby(
    level=["index", "horizon"]).median()
checks.claim(all(ratios[i, horizon_words(max(HORIZONS))]
                 > ratios[i, horizon_words(min(HORIZONS))]
                 for i in ratios.index.get_level_values(0).unique()),
             "persistence is a harder baseline at the week horizon")

# %% [markdown]
# Here forecasting works: {glue:text}`n_beat` of the
# {glue:text}`n_compared` forecasts in the table beat persistence after
# Holm's adjustment, HAR among them on every index and horizon. The lines
# above say how the two networks fare against persistence and against
# HAR, the strong simple baseline of this field.
# At the week horizon persistence is itself the mean of five days, a much
# harder baseline than a single day's proxy. The squared error tells a
# noisier story than QLIKE: a few turbulent days dominate it (compare the
# `MSE` column).

# %% [markdown]
# ### The champion, chosen on the validation period
#
# Which forecaster would we have offered before reading the test period?
# For each index and horizon the one with the lowest QLIKE on the
# validation days, and then its test result, once:

# %%
champions = {}
for (name, h), t in fc.items():
    val = t[t["period"] == "validation"]
    val_qlike = pd.Series({m: metrics.qlike(val["actual"], val[m])
                           for m in MODELS})
    key = (label(name), horizon_words(h))
    champions[key] = val_qlike.idxmin()
    row = score.loc[key + (champions[key],)]
    pers = score.loc[key + ("persistence",), "QLIKE"]
    har = score.loc[key + ("HAR",), "QLIKE"]
    best = scores[key]["QLIKE"].idxmin()
    print(f"{key[0]}, {key[1]}: champion {champions[key]} (validation "
          f"QLIKE {val_qlike.min():.3f}); on the test days {row['QLIKE']:.3f}"
          f", {words(row, pers, row['DM p adj'])} persistence "
          f"({pers:.3f}), "
          + ("is HAR" if champions[key] == "HAR" else
             f"{words(row, har, row['DM p HAR adj'])} HAR ({har:.3f})")
          + (f"; the best on the test days was {best}"
             if best != champions[key] else "; also the best on the test "
             "days"))

# %% [markdown]
# The champion is the honest headline: a choice made before the test rows
# were read, tested once. The best model *on the test days* is not: it
# was picked with the test rows, and among several similar forecasters
# the one that happens to be best on one period is often not the one that
# will be best on the next.
#
# ### The set of best models
#
# The model confidence set on the test days' QLIKE losses, per index and
# horizon, with a block bootstrap of `BLOCK` days (a month, longer than
# the dependence of the week-ahead losses). The `MCS p` of a model is the
# smallest level at which it would be removed: the set at level
# {glue:text}`mcs_size:.0%` holds the models with `MCS p` at least that:

# %%
BLOCK = 22  # days per bootstrap block
prose.glue("mcs_size", MCS_SIZE)
settings.set_seed(seeds[0])
mcs_rows = {}
for key, loss in losses.items():
    mcs = MCS(loss, size=MCS_SIZE, reps=mcs_reps, block_size=BLOCK,
              method="R", seed=seeds[0])
    mcs.compute()
    p = mcs.pvalues["Pvalue"]
    for m in MODELS:
        mcs_rows[key + (m,)] = {"MCS p": p[m], "in set": p[m] >= MCS_SIZE}
mcs_table = pd.DataFrame(mcs_rows).T
mcs_table.index.names = ["index", "horizon", "model"]
in_set = mcs_table["in set"].astype(bool).unstack("model")[MODELS]
print("In the model confidence set (x):")
in_set.map(lambda x: "x" if x else "")

# %%
for key, row in in_set.iterrows():
    members = [m for m in MODELS if row[m]]
    print(f"{key[0]}, {key[1]}: {', '.join(members)}")
checks.claim(not in_set["persistence"].any(),
             "persistence is never in the model confidence set")

# %% [markdown]
# The set is a statement about this test period and this proxy: where
# several forecasters cannot be told apart, it keeps them all instead of
# crowning one. Persistence is never among them.

# %% [markdown]
# ### Forecasts and errors over time
#
# The next-day forecasts of HAR, GJR-GARCH and the LSTM for the last
# year of the test period of the first index, against the proxy (as
# annualised volatility):

# %%
t = fc[first, HORIZONS[0]]
recent = t[t["period"] == "test"].iloc[-252:]
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.plot(recent.index, np.sqrt(252 * recent["actual"]), color="0.7", lw=1,
        label="proxy")
for m in ("HAR", "GJR", "LSTM"):
    ax.plot(recent.index, np.sqrt(252 * recent[m]), lw=1.2, label=m)
ax.set(yscale="log", ylabel="annualised volatility (%)",
       title=f"{label(first)}: next-day forecasts, last year of the test")
ax.legend(ncols=4)
plt.show()

# %% [markdown]
# And the QLIKE of the last {glue:text}`rolling_days` days relative to
# persistence's, for HAR and the two networks (below 1: better than
# persistence):

# %%
ROLLING = 250  # days: about a year
prose.glue("rolling_days", ROLLING)
fig, axes = plt.subplots(len(DATASETS), 1, figsize=(9, 2.8 * len(DATASETS)),
                         sharex=True, squeeze=False)
for ax, name in zip(axes[:, 0], DATASETS, strict=True):
    loss = losses[label(name), horizon_words(HORIZONS[0])]
    rolling = loss.rolling(ROLLING, min_periods=ROLLING // 2).mean()
    for m in ("HAR", *NETWORKS):
        ax.plot(rolling.index, rolling[m] / rolling["persistence"], label=m)
    ax.axhline(1.0, color="0.3", lw=1)
    ax.set(ylabel="QLIKE / persistence",
           title=f"{label(name)}: next day, {ROLLING}-day QLIKE relative "
           "to persistence")
    ax.legend(loc="upper left", ncols=3)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Residual check
#
# As after every fit in *Forecasting: Principles and Practice*
# {cite}`hyndman2021`: what a good forecaster leaves over should look like
# noise. The Ljung-Box test of the next-day log errors
# $\ln v_t - \ln f_t$ up to lag {glue:text}`lb_lags` (a small p-value:
# the errors are still autocorrelated, something predictable was left):

# %%
LB_LAGS = 10
prose.glue("lb_lags", LB_LAGS)
lb_rows = {}
for name in DATASETS:
    t = fc[name, HORIZONS[0]]
    test = t[t["period"] == "test"]
    for m in ("persistence", "EWMA", "GJR", "HAR", *NETWORKS):
        e = np.log(test["actual"] / test[m])
        lb = acorr_ljungbox(e, lags=[LB_LAGS])
        lb_rows[(label(name), m)] = {
            "mean log error": e.mean(),
            "autocorrelation lag 1": e.autocorr(1),
            "Ljung-Box p": float(lb["lb_pvalue"].iloc[0])}
lb_table = pd.DataFrame(lb_rows).T
tables.format_table(lb_table, decimals=3)

# %%
ac1 = lb_table["autocorrelation lag 1"]
worst = ac1.abs().idxmax()
har_ac1 = ac1.xs("HAR", level=1)
print(f"The largest lag-1 autocorrelation of the log errors: {worst[1]} "
      f"on {worst[0]}, {ac1[worst]:+.3f}; HAR's: "
      + ", ".join(f"{i} {v:+.3f}" for i, v in har_ac1.items()))
for index, a in ac1.groupby(level=0):
    a = a.droplevel(0).drop("persistence")
    print(f"{index}: the errors closest to noise at lag 1 are "
          f"{a.abs().idxmin()}'s ({a[a.abs().idxmin()]:+.3f}), the "
          f"furthest {a.abs().idxmax()}'s ({a[a.abs().idxmax()]:+.3f})")

# %% [markdown]
# Persistence's errors are strongly negatively autocorrelated: a spike
# today is forecast for tomorrow and missed twice. The other forecasters'
# errors are positively autocorrelated where they react too slowly to a
# change of regime; the lines above say whose errors come closest to
# noise, and with thousands of days the Ljung-Box test finds whatever
# remains. The mean log error is negative for every forecaster of the
# mean: a forecast of the mean variance lies above the median day's
# proxy, which is what the smearing factor does on purpose (persistence
# forecasts one day's proxy by another, so its log errors average zero).

# %%
checks.claim(bool((lb_table.drop("persistence", level=1)[
    "mean log error"] < 0).all()),
             "the mean log error is negative for every forecaster of the "
             "mean")
checks.claim(all(lb_table.loc[(label(n), "persistence"),
                              "autocorrelation lag 1"] < -0.2
                 for n in DATASETS),
             "persistence's log errors are strongly negatively "
             "autocorrelated")

# %% [markdown]
# ## From forecast to decision: a volatility-managed position
#
# What is a better variance forecast worth? A simple use
# {cite}`moreira2017`: hold the index with a weight chosen each evening
# so that the position's expected volatility is `TARGET_VOL` a year,
#
# $$
# w_t = \min\Bigl(1,\ \frac{\sigma^*}{\sqrt{252\, k\, \hat v_{t+1}}}\Bigr),
# $$
#
# where $\hat v_{t+1}$ is tomorrow's forecast, $\sigma^*$ the target
# and $k$ the ratio of the squared close-to-close return to the proxy
# over the days before the validation period (the overnight move the
# proxy misses). No leverage: the weight is at most 1, cash otherwise.
# The position is decided at the close of day $t$ and earns the return to
# day $t+1$ (chapter 7's `backtest.simulate`), with `COST_BP` basis points
# per unit of position changed. Buy-and-hold is the benchmark:

# %%
def managed_position(forecast, k):
    """The weight held from each close: tomorrow's forecast (squared
    percent) scaled to the target volatility, capped at 1."""
    tomorrow = forecast.shift(-1) / PERCENT2 * k
    weight = TARGET_VOL / np.sqrt(backtest.DAYS_PER_YEAR * tomorrow)
    return weight.clip(upper=1.0).fillna(0.0)


STRATEGIES = ["persistence", "EWMA", "GJR", "HAR", *NETWORKS]
managed = {}
for name in DATASETS:
    b, t = bars[name], fc[name, HORIZONS[0]]
    before = b.index < pd.Timestamp(VAL_START)
    k = float((volatility.squared_returns(b)[before].mean())
              / volatility.garman_klass(b)[before].mean())
    test = t[t["period"] == "test"]
    close = b["close"].reindex(test.index)
    runs = {"buy and hold": backtest.simulate(
        close, backtest.buy_and_hold(close), cost_bps=COST_BP)}
    for m in STRATEGIES:
        runs[m] = backtest.simulate(close, managed_position(test[m], k),
                                    cost_bps=COST_BP)
    summary = backtest.summaries(runs)
    summary["mean weight"] = [r.position.mean() for r in runs.values()]
    managed[label(name)] = summary
managed = pd.concat(managed, names=["index", "strategy"])
tables.format_table(
    managed[["annual return", "annual volatility", "Sharpe",
             "max drawdown", "turnover", "mean weight"]],
    decimals={"Sharpe": 2, "turnover": 1, "mean weight": 2})

# %%
for index, m in managed.groupby(level=0):
    m = m.droplevel(0)
    vol = m["annual volatility"]
    gap = (vol[STRATEGIES] - TARGET_VOL).abs()
    near, far = gap.idxmin(), gap.idxmax()
    sharpe = m["Sharpe"]
    n = len(losses[index, horizon_words(HORIZONS[0])])
    se = backtest.sharpe_ratio_se(sharpe["buy and hold"], n)
    trades = m.loc["persistence", "turnover"] / m.loc["HAR", "turnover"]
    print(f"{index}: realised volatility closest to the target "
          f"{TARGET_VOL:.0%} with {near} ({vol[near]:.1%}), furthest "
          f"with {far} ({vol[far]:.1%}); persistence trades "
          f"{trades:.1f} times as much as HAR. Sharpe ratios: buy and "
          f"hold {sharpe['buy and hold']:.2f}, the managed positions "
          f"from {sharpe[STRATEGIES].min():.2f} to "
          f"{sharpe[STRATEGIES].max():.2f} "
          f"({sharpe[STRATEGIES].idxmax()}); one Sharpe ratio's standard "
          f"error over these days is about {se:.2f}.")
    smaller = m.loc[STRATEGIES, "max drawdown"] < m.loc["buy and hold",
                                                         "max drawdown"]
    print(f"    {int(smaller.sum())} of {len(STRATEGIES)} managed positions "
          f"have a smaller worst drawdown than buy-and-hold "
          f"({m.loc['buy and hold', 'max drawdown']:.1%})"
          + ("" if smaller.all() else ": not "
             + ", ".join(smaller.index[~smaller])))

# %%
sharpe_gaps = []
for index, m in managed.groupby(level=0):
    m = m.droplevel(0)
    turnover = m.loc[STRATEGIES, "turnover"]
    checks.claim(turnover.idxmax() == "persistence"
                 and turnover.idxmin() == "EWMA",
                 f"{index}: persistence trades most, EWMA least")
    n = len(losses[index, horizon_words(HORIZONS[0])])
    se = backtest.sharpe_ratio_se(m.loc["buy and hold", "Sharpe"], n)
    sharpe_gaps.append(float((m.loc[STRATEGIES, "Sharpe"]
                              - m.loc["buy and hold", "Sharpe"]).abs().max()
                             / se))
checks.claim(max(sharpe_gaps) < 2,
             "the Sharpe ratios differ by less than two standard errors")

# %% [markdown]
# A forecast that jumps with every day's proxy (persistence) moves the
# position every day and pays for it; EWMA, the smoothest forecast,
# trades least, and the others lie between (the `turnover` column).
# Managing volatility aims at smaller drawdowns; the lines above say
# which managed positions had a smaller worst drawdown than buy-and-hold
# in this run. Whether managing volatility also earns a better
# Sharpe ratio is a different question: the differences between the
# Sharpe ratios are smaller than two standard errors of one Sharpe ratio
# over these days, too small to tell apart.

# %% [markdown]
# ## For the verdict page
#
# The rows this chapter adds to the course's verdict: for each index and
# horizon, the two networks and the champion chosen on the validation
# period (the chapter's own finding), each with QLIKE against persistence
# and, in the `linear` column, HAR:

# %%
rows = []
for (index, horizon), sc in score.groupby(level=[0, 1]):
    sc = sc.droplevel([0, 1])
    champ = champions[index, horizon]
    for m in dict.fromkeys([*NETWORKS, champ]):
        row = sc.loc[m]
        finding = m == champ
        rows.append({
            "experiment": f"{index} {horizon} variance {m}"
            + (" (champion)" if finding else ""),
            "metric": "QLIKE", "ours": row["QLIKE"],
            "forecast": ("chosen on validation" if finding
                         else None),
            "per seed std": row["QLIKE per seed std"],
            "seeds": row["seeds"], "persistence": sc.loc["persistence",
                                                         "QLIKE"],
            "linear": sc.loc["HAR", "QLIKE"], "DM p": row["DM p"],
            "DM p linear": row["DM p HAR"],
            "detectable": row["detectable"], "finding": finding, "cut": "",
            "note": f"{PROXY} proxy, walk-forward {TEST_START[:4]}-"
                    f"{TEST_END[:4]}, linear = HAR"})
chapter_rows = pd.DataFrame(rows)
results.save("08_volatility", chapter_rows, profile=profile.name)
tables.format_table(
    chapter_rows.set_index("experiment")[
        ["ours", "persistence", "linear", "DM p", "DM p linear",
         "detectable"]], decimals=3)

# %%
beside = results.beside_recorded("08_volatility",
                                 profile.name).droplevel("metric")
print(f"QLIKE of this run and of the {beside.attrs['note']}:")
print(results.beside_summary(beside))
tables.format_table(beside, decimals=3)

# %%
print(f"chapter executed in {time.perf_counter() - chapter_start:.0f} s "
      f"(profile {profile.name})")

# %% [markdown]
# ## Summary
#
# * Returns are barely autocorrelated, but their variance is strongly
#   autocorrelated for months: the size of tomorrow's move can be
#   forecast where its direction cannot.
# * A day's variance is measured, never observed. The squared return is a
#   proxy as noisy as the variance itself; one day's range (Parkinson,
#   Garman-Klass) is worth several days of squared returns, but misses
#   the overnight move.
# * Variance forecasts are judged with a loss that ranks them correctly
#   against a noisy proxy: QLIKE (or the squared error), never the
#   absolute error of the volatility. Logs need Duan's smearing to
#   forecast the mean.
# * On two indices, next day and next week, HAR beats persistence every
#   time after Holm's adjustment; the lines under the results table say
#   how the LSTM and the attention network compare with persistence and
#   with HAR in this run. The model confidence set keeps the models that
#   cannot be told apart from the best, never persistence.
# * The champion is chosen on a validation period and tested once; the
#   best model on the test period is a hindsight choice.
# * A volatility-managed position turns a forecast into a decision: a
#   smoother forecast trades less. It aims at smaller drawdowns; the
#   Sharpe ratios were too close to tell apart.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch08-ex1
# Compute Parkinson's variance of every day of `DATASETS[0]` yourself,
# from the columns `high` and `low` of `bars[DATASETS[0]]`, as a Series
# on its dates: `ex1_parkinson`. Then measure the noise of it and of the
# squared close-to-close log return with the chapter's `relative_noise`,
# keep both in `ex1_noise` (a dict with keys `"squared return"` and
# `"Parkinson"`), and decide which of the two you would forecast and
# judge forecasts against: `ex1_choice`, one of those two keys.
# :::
#
# ```{solution-start} ch08-ex1
# :class: dropdown
# ```
# The expected squared log range of a Brownian motion over a day is
# $4 \ln 2$ times its variance, so the squared log range is divided by
# it:

# %%
ex1_bars = bars[DATASETS[0]]
ex1_parkinson = (np.log(ex1_bars["high"] / ex1_bars["low"]) ** 2
                 / (4 * np.log(2)))
ex1_squared = np.log(ex1_bars["close"]).diff() ** 2
ex1_noise = {"squared return": relative_noise(ex1_squared),
             "Parkinson": relative_noise(ex1_parkinson)}
ex1_choice = min(ex1_noise, key=ex1_noise.get)
print(f"noise: {ex1_noise}; forecast the {ex1_choice} proxy")

# %% [markdown]
# The less noisy proxy ranks forecasts with less luck, so fewer days are
# needed to tell two forecasters apart. Its level is lower, because the
# range misses the overnight move; for a decision in close-to-close terms
# (the managed position), scale it by the ratio measured on past days, as
# the chapter does.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch08-ex1"):
    checks.is_set(ex1_parkinson, "ex1_parkinson")
    _b = bars[DATASETS[0]]
    checks.close(np.asarray(ex1_parkinson, dtype=float),
                 volatility.parkinson(_b).to_numpy(), "ex1_parkinson",
                 what="Parkinson's variance of each day, ln(H/L)^2 / "
                 "(4 ln 2)")
    checks.is_set(ex1_noise, "ex1_noise")
    if not isinstance(ex1_noise, dict) or set(ex1_noise) != {
            "squared return", "Parkinson"}:
        raise checks.CheckFailed(
            '`ex1_noise` should be a dict with the keys "squared return" '
            'and "Parkinson"')
    _want = {"squared return": relative_noise(
        volatility.squared_returns(_b).dropna()),
        "Parkinson": relative_noise(volatility.parkinson(_b))}
    for _k, _v in _want.items():
        checks.close(ex1_noise[_k], _v, f'ex1_noise["{_k}"]', rtol=1e-3,
                     what=f"the relative noise of the {_k} proxy")
    if ex1_choice != min(_want, key=_want.get):
        raise checks.CheckFailed(
            "`ex1_choice`: pick the proxy whose noise is the smaller")

# %% [markdown]
# :::{exercise}
# :label: ch08-ex2
# Test HAR against EWMA by hand. On the test days of the next-day run of
# `DATASETS[0]` (`fc[DATASETS[0], 1]`, the rows whose `period` is
# `"test"`), compute each day's QLIKE loss of the two forecasts,
# `ex2_har` and `ex2_ewma` (arrays), their difference
# `ex2_d = ex2_har - ex2_ewma`, its Newey-West long-run variance
# `ex2_lrv` with `metrics.newey_west_lags(len(ex2_d))` lags (the formula
# of chapter 2; `metrics.long_run_variance` may check you), the
# Diebold-Mariano statistic with the Harvey-Leybourne-Newbold correction
# for one step, `ex2_stat`, and its two-sided p-value from Student's t
# with $n - 1$ degrees of freedom, `ex2_p`. Decide at 5 % (one test, no
# adjustment): `ex2_verdict` is `"HAR"`, `"EWMA"` (the more accurate one)
# or `"no evidence"`.
# :::
#
# ```{solution-start} ch08-ex2
# :class: dropdown
# ```

# %%
from scipy import stats

ex2_t = fc[DATASETS[0], 1]
ex2_t = ex2_t[ex2_t["period"] == "test"]
ex2_a = ex2_t["actual"].to_numpy()


def ex2_qlike(a, f):
    """Each day's QLIKE loss."""
    return a / f - np.log(a / f) - 1


ex2_har = ex2_qlike(ex2_a, ex2_t["HAR"].to_numpy())
ex2_ewma = ex2_qlike(ex2_a, ex2_t["EWMA"].to_numpy())
ex2_d = ex2_har - ex2_ewma
ex2_n = len(ex2_d)
ex2_lags = metrics.newey_west_lags(ex2_n)
ex2_c = ex2_d - ex2_d.mean()
ex2_lrv = ex2_c @ ex2_c / ex2_n + 2 * sum(
    (1 - k / (ex2_lags + 1)) * (ex2_c[k:] @ ex2_c[:-k]) / ex2_n
    for k in range(1, ex2_lags + 1))
ex2_stat = (ex2_d.mean() / np.sqrt(ex2_lrv / ex2_n)
            * np.sqrt((ex2_n + 1 - 2) / ex2_n))
ex2_p = 2 * stats.t.sf(abs(ex2_stat), df=ex2_n - 1)
if ex2_p >= 0.05:
    ex2_verdict = "no evidence"
else:
    ex2_verdict = "HAR" if ex2_d.mean() < 0 else "EWMA"
print(f"mean QLIKE: HAR {ex2_har.mean():.3f}, EWMA {ex2_ewma.mean():.3f};"
      f" DM {ex2_stat:.2f}, p {ex2_p:.4f}: {ex2_verdict}")

# %% [markdown]
# A negative statistic means the first forecast (HAR) has the smaller
# loss. The p-value of this single comparison is not adjusted; in the
# chapter's table the same test is one of many and gets Holm's
# adjustment.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch08-ex2"):
    _t = fc[DATASETS[0], 1]
    _t = _t[_t["period"] == "test"]
    _h = metrics.qlike_losses(_t["actual"], _t["HAR"])
    _e = metrics.qlike_losses(_t["actual"], _t["EWMA"])
    checks.close(ex2_har, _h, "ex2_har", what="HAR's QLIKE loss per day")
    checks.close(ex2_ewma, _e, "ex2_ewma", what="EWMA's QLIKE loss per day")
    checks.close(ex2_d, _h - _e, "ex2_d", what="HAR's loss minus EWMA's")
    _lags = metrics.newey_west_lags(len(_h))
    checks.close(ex2_lrv, metrics.long_run_variance(_h - _e, _lags),
                 "ex2_lrv", what="the Newey-West long-run variance")
    _stat, _p = metrics.diebold_mariano_losses(_h, _e)
    checks.close(ex2_stat, _stat, "ex2_stat",
                 what="the DM statistic with the HLN correction")
    checks.close(ex2_p, _p, "ex2_p", what="its two-sided p-value")
    _want = ("no evidence" if _p >= 0.05
             else "HAR" if _stat < 0 else "EWMA")
    if ex2_verdict != _want:
        raise checks.CheckFailed(
            "`ex2_verdict` does not follow from the test: below 5 % the "
            "forecast with the smaller mean loss wins, otherwise "
            '"no evidence"')

# %% [markdown]
# :::{exercise}
# :label: ch08-ex3
# Fit the week-ahead HAR by least squares yourself, on the training rows
# of the first fold of `walks[DATASETS[0], 5]`: its frame is
# `frames[DATASETS[0]]` and its training rows are the first
# `walks[DATASETS[0], 5].folds.loc[0, "train rows"]` rows of the fold, from
# the date in its column `train first`. Regress $\ln \bar v_{t,5}$, the
# log of the mean proxy of the five days after $t$, on a constant and the
# daily, weekly and monthly averages of $\ln v$ up to $t$, using only the
# origins $t$ whose five target days lie within the training rows. Keep
# the four coefficients in `ex3_coef`, a Series with the index
# `["const", "daily", "weekly", "monthly"]`. Then decide: at the week
# horizon, does the monthly average carry more weight than the daily
# value (`ex3_monthly_heavier`, True or False)?
# :::
#
# ```{solution-start} ch08-ex3
# :class: dropdown
# ```

# %%
ex3_fold = walks[DATASETS[0], 5].folds.loc[0]
ex3_frame = frames[DATASETS[0]]
ex3_start = ex3_frame.index.get_loc(pd.Timestamp(ex3_fold["train first"]))
ex3_rows = ex3_frame.iloc[ex3_start:ex3_start + ex3_fold["train rows"]]
ex3_log = ex3_rows["log_proxy"]
ex3_x = pd.DataFrame({"const": 1.0, "daily": ex3_log,
                      "weekly": ex3_log.rolling(5).mean(),
                      "monthly": ex3_log.rolling(22).mean()})
ex3_y = np.log(ex3_rows["proxy"].rolling(5).mean().shift(-5))
ex3_ok = ex3_x.notna().all(axis=1) & ex3_y.notna()
ex3_coef = pd.Series(np.linalg.lstsq(ex3_x[ex3_ok], ex3_y[ex3_ok],
                                     rcond=None)[0], index=ex3_x.columns)
ex3_monthly_heavier = bool(ex3_coef["monthly"] > ex3_coef["daily"])
print(ex3_coef.round(3).to_dict(), "monthly heavier:", ex3_monthly_heavier)

# %% [markdown]
# `shift(-5)` puts on row $t$ the mean of rows $t+1$ to $t+5$; its last
# five rows are NaN because their targets lie after the training rows,
# so they drop out. The package's `volatility.har_fit(proxy, train_end,
# horizon=5)`, given the proxy from the fold's first row and
# `train_end` the number of training rows, fits the same regression.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch08-ex3"):
    _fold = walks[DATASETS[0], 5].folds.loc[0]
    _f = frames[DATASETS[0]]
    _s = _f.index.get_loc(pd.Timestamp(_fold["train first"]))
    _rows = _f.iloc[_s:_s + _fold["train rows"]]
    _want = volatility.har_fit(  # the training rows and the rest
        _f["proxy"].iloc[_s:], len(_rows), horizon=5)
    checks.is_set(ex3_coef, "ex3_coef")
    if list(pd.Series(ex3_coef).index) != list(_want.index):
        raise checks.CheckFailed(
            '`ex3_coef` should be a Series with the index ["const", '
            '"daily", "weekly", "monthly"]')
    checks.close(pd.Series(ex3_coef).to_numpy(), _want.to_numpy(),
                 "ex3_coef", rtol=1e-6, atol=1e-8,
                 what="the least-squares HAR coefficients for the mean "
                 "of the next five days, on the fold's training rows")
    if ex3_monthly_heavier != bool(_want["monthly"] > _want["daily"]):
        raise checks.CheckFailed(
            "`ex3_monthly_heavier` does not follow from the coefficients")

# %% [markdown]
# :::{exercise}
# :label: ch08-ex4
# Judge the next-day forecasts of `DATASETS[0]` with a loss that does not
# suit a noisy target: the mean absolute error of the volatility,
# $|\sqrt{v_t} - \sqrt{f_t}|$, and rank the forecasters by it and by
# QLIKE. Then scale HAR's forecast down by a constant factor (try
# {glue:text}`ex4_shrink`) and score it again with both losses. Which
# loss rewards the biased forecast, and why?
# :::
#
# ```{solution-start} ch08-ex4
# :class: dropdown
# ```

# %%
EX4_SHRINK = 0.6
prose.glue("ex4_shrink", EX4_SHRINK)
ex4_t = fc[DATASETS[0], 1]
ex4_t = ex4_t[ex4_t["period"] == "test"].copy()
ex4_t["HAR shrunk"] = EX4_SHRINK * ex4_t["HAR"]
ex4 = pd.DataFrame({
    "QLIKE": {m: metrics.qlike(ex4_t["actual"], ex4_t[m])
              for m in [*MODELS, "HAR shrunk"]},
    "MAE of volatility": {
        m: metrics.mae(np.sqrt(ex4_t["actual"]), np.sqrt(ex4_t[m]))
        for m in [*MODELS, "HAR shrunk"]}})
ex4["QLIKE rank"] = ex4["QLIKE"].rank().astype(int)
ex4["MAE rank"] = ex4["MAE of volatility"].rank().astype(int)
print(f"HAR shrunk by {EX4_SHRINK}: QLIKE rank "
      f"{ex4.loc['HAR shrunk', 'QLIKE rank']}, MAE rank "
      f"{ex4.loc['HAR shrunk', 'MAE rank']} (HAR itself "
      f"{ex4.loc['HAR', 'QLIKE rank']} and {ex4.loc['HAR', 'MAE rank']})")
tables.format_table(ex4, decimals=3)

# %%
checks.claim(ex4.loc["HAR shrunk", "MAE of volatility"]
             < ex4.loc["HAR", "MAE of volatility"]
             and ex4.loc["HAR shrunk", "QLIKE"] > ex4.loc["HAR", "QLIKE"],
             "the absolute error rewards the shrunk forecast; QLIKE "
             "does not")

# %% [markdown]
# The proxy is skewed: most days are calmer than the mean day and a few
# are wild. The absolute error is smallest at the *median* of the proxy
# given the forecaster's information, which lies below the mean, so a
# forecast scaled down looks better by it (as here), although it
# underestimates the variance on average, the costly mistake in risk
# management. QLIKE
# (and the squared error) are smallest at the mean whatever the noise
# {cite}`patton2011`, so they keep the honest forecast ahead. The line
# above shows where each loss ranks the shrunk forecast in this run.
#
# ```{solution-end}
# ```
