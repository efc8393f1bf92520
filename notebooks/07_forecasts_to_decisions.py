# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
# Colab only: install the course package (Binder and local runs have it).
import subprocess
import sys

if "google.colab" in sys.modules:
    repo = "git+https://github.com/stocklearn/stocklearn"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    f"stocklearn @ {repo}"], check=True)

# %% [markdown]
# # From forecasts to decisions
#
# The earlier chapters judged every network on one test period, cut once
# from the end of a series. One period is one sample: a network can look
# good or bad on it by luck, and a test period of a few months says little
# about the next few years. And a forecast is only worth something if it
# leads to a better decision than doing nothing clever. This chapter puts
# the stacked LSTM of chapter 3 through the two checks that practical guides
# {cite}`guide` recommend at the end of the pipeline:
#
# * **walk-forward evaluation**: refit the network every few hundred days on
#   the most recent years and forecast the next block, over ten years of two
#   indices, and test the difference from persistence year by year;
# * **a backtest**: turn the forecasts into positions, charge trading costs,
#   and compare the result with buying and holding the index, with a
#   classic moving-average rule, and with a forecast that is pure noise.
#
# Then we measure four common mistakes that make backtests look better
# than they are, and answer the question learners ask most: how do I
# forecast tomorrow from the latest data, and how sure can I be?
#
# **Learning goals.** After this chapter you can
#
# * run a walk-forward (rolling-origin) evaluation with a scaler refit
#   inside every fold, and read its errors over time and its
#   Diebold-Mariano tests per year;
# * state exactly when a backtest's position is decided, what it earns and
#   what a trade costs, and compute equity, drawdown and the Sharpe ratio;
# * tell skill from luck by comparing a strategy with the same strategy
#   driven by noise;
# * measure how much leaked scalers, shuffled windows, early stopping on
#   the test set and same-day positions inflate a result;
# * forecast the next trading day with an interval, and several days ahead
#   by the recursive and the direct method.

# %%
import inspect
import time
import warnings

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from IPython.display import Code, display

from stocklearn import (
    backtest,
    baselines,
    data,
    features,
    fetch,
    metrics,
    models,
    prep,
    results,
    settings,
    splits,
    tables,
    training,
    walk_forward,
)
from stocklearn.backend import keras  # Keras, with TensorFlow kept quiet

# %% tags=["parameters"]
# "fast" or "full"; None: env STOCKLEARN_PROFILE, else "fast"
PROFILE = None
# series evaluated walk-forward: data.list_datasets(); the first one is
# also used for the pitfalls and the multi-day forecasts
DATASETS = ["sp500", "csi300"]
TEST_START = "2016-01-01"  # first day forecast walk-forward
TEST_END = "2025-12-31"  # last day forecast walk-forward
# refit every STEP trading days; None: the profile's choice
STEP = None
TRAIN_ROWS = 1260  # sliding training window: about five years
WINDOW = 20  # look-back in days
# None: the profile's choice; a number caps every training of the chapter
EPOCHS = None
SEEDS = None  # None: the profile's first seeds (1 fast, 3 full)
COSTS_BP = [0, 5, 20]  # trading costs in basis points
# noise strategies drawn; None: the profile's choice
NOISE_DRAWS = None
# horizons of the multi-day forecasts in days; None: the profile's choice
HORIZONS = None
ONLINE = False  # True: fetch the latest prices from Yahoo Finance
EXECUTOR = None  # None: folds in this process; "loky": local processes

# %%
profile = settings.get_profile(PROFILE)
seeds = (tuple(SEEDS) if SEEDS is not None
         else profile.seeds[:profile.pick(fast=1, full=3)])
epochs = EPOCHS or profile.pick(fast=10, full=30)
patience = profile.pick(fast=3, full=5)
step = STEP or profile.pick(fast=504, full=252)
units = profile.pick(fast=(32, 16), full=(50, 50))
noise_draws = NOISE_DRAWS or profile.pick(fast=100, full=500)
horizons = tuple(sorted(HORIZONS or profile.pick(
    fast=(1, 5, 20), full=(1, 2, 5, 10, 20))))
BATCH = 128
chapter_start = time.perf_counter()
print(f"profile {profile.name}, Keras backend {keras.backend.backend()}: "
      f"seeds {seeds}, at most {epochs} epochs (patience {patience}), "
      f"LSTM units {units}, window {WINDOW}, refit every {step} days on "
      f"the last {TRAIN_ROWS}; {noise_draws} noise draws; horizons "
      f"{horizons}")

# %% [markdown]
# ## Walk-forward evaluation
#
# A single chronological split answers "how good was the model on *this*
# period?". Walk-forward evaluation {cite}`tashman2000` asks it many times.
# Starting at a first test day, the model is fit on the rows before it,
# forecasts the next block of `step` days, and is then refit with the
# origin moved forward by `step` days; the forecasts of all blocks are
# stitched into one long out-of-sample series. Every forecast uses only
# data from before its own block, exactly as in real use, where a model is
# retrained from time to time. The training period either grows
# (**expanding** window) or keeps a fixed length and slides along
# (**sliding** window). A sliding window forgets old market regimes; an
# expanding one has more data. We use a sliding window of `TRAIN_ROWS`
# days, the last fifth of it as the validation slice for early stopping.
#
# `splits.walk_forward_folds` cuts the folds; here is the layout for
# the first series:

# %%
def label(name):
    """The short name of a bundled series, e.g. 'S&P 500'."""
    text = data.list_datasets().loc[name, "description"]
    return text.split(" (")[0].removesuffix(" Index")


def relative_features(raw):
    """Inputs that do not trend: price-like columns relative to the close.

    Chapter 3's features (OHLCV and indicators), each price-like column as
    its ratio to the same day's close minus 1, MACD over the close, RSI over
    100, volume over its 20-day mean, and the daily log return.
    """
    ind = features.add_indicators(raw)
    close = ind["close"]
    out = pd.DataFrame({"close": close,
                        "log_return": prep.log_returns(close)})
    for col in ind.columns:
        if col != "close" and features.is_price_like(col):
            out[f"rel_{col}"] = ind[col] / close - 1
        elif col.startswith("macd"):
            out[f"rel_{col}"] = ind[col] / close
        elif col.startswith("rsi"):
            out[col] = ind[col] / 100
    out["rel_volume"] = ind["volume"] / ind["volume"].rolling(20).mean()
    out = out.dropna()  # the indicators' warm-up rows
    assert np.isfinite(out.to_numpy()).all()
    return out


DATA_START = "2005-01-01"  # CSI 300 starts here; enough years before 2016
frames = {name: relative_features(data.load(name, start=DATA_START))
          for name in DATASETS}
FEATURES = [c for c in frames[DATASETS[0]].columns if c != "close"]
print(f"{len(FEATURES)} input features: {', '.join(FEATURES)}")
for name, frame in frames.items():
    print(f"{label(name)}: standard deviation of the daily log return "
          f"{frame['log_return'].std():.4f}")
first = DATASETS[0]
folds = splits.walk_forward_folds(
    frames[first], first_test=TEST_START, end=TEST_END, step=step,
    scheme="sliding", train_rows=TRAIN_ROWS, val=0.2)
days = mdates.date2num(frames[first].index)  # dates as numbers for bars
fig, ax = plt.subplots(figsize=(9, 0.35 * len(folds) + 1.2))
for f in folds:
    for part, color in ((f.train, "C0"), (f.val, "C1"), (f.test, "C2")):
        start, end = days[part[0]], days[part[1] - 1]
        ax.barh(f.number, end - start, left=start, color=color, height=0.6)
ax.xaxis_date()
ax.set(yticks=[f.number for f in folds], ylabel="fold",
       title=f"{label(first)}: training (blue), validation (orange) and "
       "test (green) rows of each fold")
ax.invert_yaxis()
plt.show()

# %% [markdown]
# ### The network and the baselines
#
# The network is the stacked LSTM of chapter 3 with its log-return target,
# with two changes that chapter 3 motivated. Its inputs are chapter 3's
# features made scale-free (above): price-level inputs leave the range
# their scaler was fit on as soon as the market trends, which chapter 3
# showed breaks a network. And its last layer multiplies the output by
# 0.01, so the network's own numbers are in percent. Daily log returns are
# small (their standard deviation is printed above), far smaller than the
# numbers a freshly initialised network puts out; with a few epochs per
# fold, the network would otherwise spend its training shrinking a large,
# random bias.
#
# `walk_forward.Network` pairs the builder with its training settings.
# `walk_forward.walk_forward` then makes every fold's data set from the rows
# the fold may see (so the scaler is refit on each fold's training rows),
# trains the network once per seed, runs the baselines, and stitches the
# blocks. Each (fold, forecaster, seed) is one run of `grid.sweep` (chapter
# 6), so the folds can be sent to other processes or a cluster with the
# `EXECUTOR` parameter. The baselines are persistence, the linear
# regression on the network's own windows (chapter 2), and the drift
# forecast (persistence plus the average daily change of the training
# period).

# %%
def wf_build(ds):
    """Chapter 3's stacked LSTM, with its output in percent."""
    net = models.stacked_lstm(ds.input_shape, units=units, dropout=0.2,
                              dense=16)
    out = keras.layers.Rescaling(0.01, name="percent")(net.outputs[0])
    return models.compile_adam(keras.Model(net.inputs, out))


display(Code(inspect.getsource(models.stacked_lstm), language="python"))
lstm = walk_forward.Network(wf_build, epochs=epochs, batch_size=BATCH,
                            patience=patience)
forecasters = {"LSTM": lstm, "linear": baselines.linear_on_window,
               "drift": baselines.drift}
walks = {}
for name in DATASETS:
    started = time.perf_counter()
    walks[name] = walk_forward.walk_forward(
        frames[name], forecasters, first_test=TEST_START, end=TEST_END,
        step=step, scheme="sliding", train_rows=TRAIN_ROWS, val=0.2,
        features=FEATURES, window=WINDOW, target_kind="log_return",
        seeds=seeds, executor=EXECUTOR)
    wf = walks[name]
    years = (wf.dates[-1] - wf.dates[0]).days / 365.25
    print(f"{label(name)}: {len(wf.folds)} folds, {len(wf.rows)} days "
          f"forecast from {wf.dates[0]:%Y-%m-%d} to {wf.dates[-1]:%Y-%m-%d}"
          f" ({years:.1f} years) in {time.perf_counter() - started:.0f} s")
walks[first].folds

# %% [markdown]
# ### Errors over the whole period
#
# All stitched forecasts in prices, scored together. `DM p` is the
# Diebold-Mariano p-value against persistence (with the seeds' mean
# forecast, as in every chapter):

# %%
wf_scores = pd.concat({label(n): wf.scores() for n, wf in walks.items()})
tables.format_table(
    wf_scores[["RMSE", "RMSE std", "MAE", "MAE std", "DA", "seeds",
               "DM p"]], decimals={"DA": 3})

# %% [markdown]
# The RMSE is in index points, so compare rows within one index only. Over
# ten years, is the network more accurate than "tomorrow = today"? Read the
# LSTM row against the persistence row and the p-value.
#
# ### Error over time
#
# One number for ten years hides a lot. The next plot shows the RMSE of
# the last 250 days relative to persistence's on the same days, for the
# network and the linear baseline. Below 1 the forecast was more accurate
# than persistence over that year; the dotted lines mark the refits.

# %%
fig, axes = plt.subplots(len(walks), 1, figsize=(9, 3 * len(walks)),
                         sharex=True, squeeze=False)
for ax, (name, wf) in zip(axes[:, 0], walks.items(), strict=True):
    sq = wf.errors() ** 2
    rolling = sq.rolling(250, min_periods=120).mean()
    for model in ("LSTM", "linear"):
        ratio = np.sqrt(rolling[model] / rolling["persistence"])
        ax.plot(ratio.index, ratio, label=model)
    ax.axhline(1.0, color="0.3", lw=1)
    for k in wf.folds.index[1:]:
        ax.axvline(wf.dates[np.argmax(wf.fold == k)], color="0.7",
                   ls=":", lw=1)
    ax.set(ylabel="RMSE / persistence", title=f"{label(name)}: 250-day "
           "RMSE relative to persistence")
    ax.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Significance year by year
#
# A Diebold-Mariano test per calendar year asks whether, in that year, the
# network's squared errors were on average different from persistence's.
# `ratio` is the network's RMSE over persistence's, `better` the share of
# days on which the network's error was the smaller of the two:

# %%
def year_table(wf):
    """Ratio, share of better days and DM p of the network, per year."""
    table = wf.by_period("LSTM")[["ratio", "days better", "DM p"]]
    table.index = table.index.astype(str)
    return tables.format_table(table.rename(
        columns={"days better": "better"}), decimals={"ratio": 3})


pd.concat({label(n): year_table(wf) for n, wf in walks.items()}, axis=1)

# %%
for name, wf in walks.items():
    years = wf.by_period("LSTM")
    lower = int((years["ratio"] < 1).sum())
    better = int(((years["ratio"] < 1) & (years["DM p"] < 0.05)).sum())
    worse = int(((years["ratio"] > 1) & (years["DM p"] < 0.05)).sum())
    days = np.mean(np.abs(wf.errors()["LSTM"])
                   < np.abs(wf.errors()["persistence"]))
    print(f"{label(name)}: the network's RMSE is below persistence's in "
          f"{lower} of {len(years)} years; significantly better (p < 0.05)"
          f" in {better}, significantly worse in {worse}; its error is the"
          f" smaller one on {days:.1%} of the days")

# %% [markdown]
# A test at the 5 % level run on ten years finds a "significant" year
# about once in twenty by chance alone, in either direction, so a single
# good year is no evidence of skill. What would be evidence is a ratio
# below 1 year after year. Read the lines above with that in mind.
#
# ## The backtest
#
# A forecast of tomorrow's return becomes a decision through a **position**:
# 1 is long (own the index), 0 is flat (hold cash), -1 is short. The
# package's backtest fixes the timing once and for all:
#
# * `position[t]` in $[-1, 1]$ is decided with data up to the close of day
#   $t$ and held until the close of day $t+1$, so it earns
#   $\text{position}_t \cdot (p_{t+1} / p_t - 1)$;
# * each change of position costs
#   $\frac{\text{cost}_{bp}}{10\,000}\,|\text{position}_t -
#   \text{position}_{t-1}|$, taken from that same day-$(t+1)$ return; the
#   position before the first day is 0, so the first entry pays;
# * the equity curve starts at 1 on the first date and multiplies by
#   $1 + \text{net return}$ every day.
#
# The summary has the total and the annual return (252 trading days a
# year), the annual volatility, the **Sharpe ratio** (mean over standard
# deviation of the daily net returns times $\sqrt{252}$, with no risk-free
# rate), the **maximum drawdown** (the largest fall from a previous high, as
# a positive fraction), the **turnover** (units of position traded) and the
# **hit rate** (share of invested days with a positive return). A hand
# check on four days, long, long, flat, flat, with 10 bp costs:

# %%
hand = backtest.simulate([100.0, 110.0, 99.0, 99.0], [1, 1, 0, 0],
                         cost_bps=10)
# by hand: +10 % less 0.1 % (entry), -10 %, 0 % less 0.1 % (exit)
by_hand = np.cumprod([1.0, 1 + 0.10 - 0.001, 1 - 0.10, 1 - 0.001])
assert np.allclose(hand.equity.to_numpy(), by_hand)
print("equity:", np.round(hand.equity.to_numpy(), 6))
hand.summary.round(4)

# %% [markdown]
# Buy-and-hold is `position = 1` every day. The moving-average crossover
# is long while the 50-day average of the close is above the 200-day one.
# From the walk-forward forecasts we take the forecast return, forecast
# over last close minus 1, and go long when it is positive (**long/flat**)
# or long when positive and short when negative (**long/short**); a
# threshold on the forecast return would trade less (exercise
# {ref}`ch07-ex2`). Every strategy is run over the walk-forward test period
# at each cost in `COSTS_BP`:

# %%
def expected_return(name, model="LSTM"):
    """Forecast returns of the walk-forward days, dated by the day the
    forecast is made (the day before the day forecast)."""
    wf = walks[name]
    forecast = wf.forecasts[model].mean(axis=0)  # the seeds' mean
    return pd.Series(backtest.forecast_return(forecast, wf.previous),
                     index=frames[name].index[wf.rows - 1])


def walk_close(name):
    """The closes from the day before the first forecast to the last day."""
    rows = walks[name].rows
    return frames[name]["close"].iloc[rows[0] - 1:rows[-1] + 1]


def strategies(name):
    """Positions of every strategy on the walk-forward days of ``name``."""
    close = walk_close(name)
    signal = expected_return(name).reindex(close.index, fill_value=0.0)
    crossover = backtest.ma_crossover(frames[name]["close"], 50, 200)
    return close, {
        "LSTM long/flat": backtest.long_flat(signal),
        "LSTM long/short": backtest.long_short(signal),
        "buy and hold": backtest.buy_and_hold(close),
        "MA 50/200": crossover.reindex(close.index),
    }


runs = {}
for name in walks:
    close, positions = strategies(name)
    for cost in COSTS_BP:
        for strategy, position in positions.items():
            runs[name, cost, strategy] = backtest.simulate(close, position,
                                                           cost_bps=cost)
STRATEGIES = list(positions)
fig, axes = plt.subplots(len(walks), len(COSTS_BP), sharex=True,
                         sharey="row", squeeze=False,
                         figsize=(10, 3.2 * len(walks)))
for i, name in enumerate(walks):
    for j, cost in enumerate(COSTS_BP):
        ax = axes[i, j]
        for strategy in STRATEGIES:
            eq = runs[name, cost, strategy].equity
            ax.plot(eq.index, eq, lw=1, label=strategy)
        ax.set(title=f"{label(name)}, {cost} bp")
        ax.tick_params(axis="x", labelrotation=45)
    axes[i, 0].set_ylabel("equity")
axes[0, 0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# The summary of every strategy at the middle cost, and the Sharpe ratio
# at every cost (returns, volatility, drawdown and hit rate in percent):

# %%
def summary_table(cost):
    """The backtest summaries at ``cost`` bp, in percent where it helps."""
    rows = {(label(n), s): runs[n, cost, s].summary
            for n in walks for s in STRATEGIES}
    table = pd.DataFrame(rows).T
    pct = ["total return", "annual return", "annual volatility",
           "max drawdown", "hit rate"]
    table[pct] *= 100
    return table.rename(columns={
        "total return": "total %", "annual return": "annual %",
        "annual volatility": "vol %", "max drawdown": "max DD %",
        "hit rate": "hit %"})


mid_cost = COSTS_BP[len(COSTS_BP) // 2]
print(f"costs {mid_cost} bp:")
tables.format_table(summary_table(mid_cost),
                    decimals={"total %": 0, "turnover": 0})

# %%
sharpe = pd.DataFrame({
    f"{cost} bp": {(label(n), s): runs[n, cost, s].summary["Sharpe"]
                   for n in walks for s in STRATEGIES}
    for cost in COSTS_BP})
tables.format_table(sharpe)

# %% [markdown]
# Costs hit strategies in proportion to their turnover: buy-and-hold pays
# once, the crossover each time the two averages cross, and a forecast
# whose sign flips often pays on many days (the turnover column). Whether
# the network's strategies earn more than buy-and-hold, and at which cost
# that ends, is in the tables. Note that a long/flat strategy is out of the
# market part of the time, so its volatility (and often its drawdown) is
# lower even when its signal is worthless.
#
# ### Drawdowns
#
# The drawdown is what an investor lives through: how far below its
# previous high the equity is on each day. At the middle cost:

# %%
fig, axes = plt.subplots(len(walks), 1, figsize=(9, 2.8 * len(walks)),
                         sharex=True, squeeze=False)
for ax, name in zip(axes[:, 0], walks, strict=True):
    for strategy in ("LSTM long/flat", "buy and hold", "MA 50/200"):
        dd = runs[name, mid_cost, strategy].drawdown
        ax.plot(dd.index, -100 * dd, lw=1, label=strategy)
    ax.set(ylabel="drawdown %", title=f"{label(name)}, {mid_cost} bp")
    ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### What luck looks like
#
# Is the network's strategy better than a coin? We replace its forecast
# returns by **pure noise** with the same mean and standard deviation, and
# run the same long/flat rule `noise_draws` times. The noise strategies
# are long on about as many days as the network's, so they differ from it
# only in *which* days. The spread of their Sharpe ratios is what luck
# alone produces over these ten years; the share of noise strategies with a
# higher Sharpe ratio than the network's is an empirical p-value.

# %%
rng = np.random.default_rng(0)
luck = {}
fig, axes = plt.subplots(len(walks), 2, figsize=(10, 3.2 * len(walks)),
                         squeeze=False)
for i, name in enumerate(walks):
    close, positions = strategies(name)
    signal = expected_return(name)
    draws = rng.normal(signal.mean(), signal.std(),
                       size=(noise_draws, len(signal)))
    noise_runs = [
        backtest.simulate(close, backtest.long_flat(
            pd.Series(d, index=signal.index).reindex(close.index,
                                                     fill_value=0.0)),
            cost_bps=mid_cost)
        for d in draws]
    noise_sharpe = np.array([r.summary["Sharpe"] for r in noise_runs])
    model = runs[name, mid_cost, "LSTM long/flat"].summary["Sharpe"]
    hold = runs[name, mid_cost, "buy and hold"].summary["Sharpe"]
    luck[label(name)] = {
        "LSTM Sharpe": model, "noise 5 %": np.quantile(noise_sharpe, 0.05),
        "noise median": np.median(noise_sharpe),
        "noise 95 %": np.quantile(noise_sharpe, 0.95),
        "share above LSTM": np.mean(noise_sharpe >= model),
        "buy and hold": hold,
        "share above hold": np.mean(noise_sharpe >= hold)}
    ax = axes[i, 0]
    ax.hist(noise_sharpe, bins=30, color="0.7")
    ax.axvline(model, color="C0", lw=2, label="LSTM long/flat")
    ax.axvline(hold, color="C2", lw=2, ls="--", label="buy and hold")
    ax.set(xlabel="Sharpe ratio", title=f"{label(name)}: "
           f"{noise_draws} noise strategies")
    ax.legend(fontsize=8)
    ax = axes[i, 1]
    for r in noise_runs[:20]:
        ax.plot(r.equity.index, r.equity, color="0.6", lw=0.6)
    eq = runs[name, mid_cost, "LSTM long/flat"].equity
    ax.plot(eq.index, eq, color="C0", lw=1.5, label="LSTM long/flat")
    ax.set(title="20 noise strategies (grey)", ylabel="equity")
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
tables.format_table(pd.DataFrame(luck).T)

# %% [markdown]
# Look at the width of the grey histogram: over ten years, strategies
# with *no* information at all end with Sharpe ratios that differ by a
# wide margin (the 5 % and 95 % columns), and the last column says how
# many of them did at least as well as buy-and-hold. A backtest has to
# beat the bulk of this distribution before it says anything about skill
# (`share above LSTM` small), and it has to be the *only* strategy tried:
# trying many and keeping the best is the same as drawing many noise
# strategies and keeping the luckiest {cite}`bailey2014`.
#
# ## Pitfalls, measured
#
# Many published results are inflated by mistakes in the evaluation rather
# than by a good model. Four common ones, each measured here on
# `DATASETS[0]` with and without the mistake. The first three concern a
# network that forecasts the next close *price* from the last `WINDOW`
# closes, as many papers do: a single-layer LSTM (chapter 3), trained with
# batches of 32 for `price_epochs` epochs. The split is chronological over
# the walk-forward period: the first 60 % for training (its last fifth for
# validation), the rest for testing. Every run records the validation loss
# and the test forecasts after each epoch, so that we can also see what
# choosing the epoch on the test set would do.

# %%
price_epochs = EPOCHS or profile.pick(fast=15, full=30)
pit_seeds = seeds[:2]  # every run trains for all epochs: two seeds at most
pit_raw = data.load(first).loc[TEST_START:TEST_END]
pit_split = splits.chronological_split(pit_raw, 0.6, val=0.2)
pit = {fit: prep.make_dataset(pit_raw, pit_split, features=["close"],
                              targets="close", window=WINDOW,
                              fit_scaler_on=fit)
       for fit in ("train", "all")}
print(f"seeds {pit_seeds}, {price_epochs} epochs")
print(pit_split.describe())
price_net = walk_forward.Network(
    lambda ds: models.lstm(ds.input_shape, units=32),
    epochs=price_epochs, batch_size=32)


class TestForecasts(keras.callbacks.Callback):
    """Keep the test forecasts (prices) after every epoch."""

    def __init__(self, ds):
        super().__init__()
        self.ds, self.forecasts = ds, []

    def on_epoch_end(self, epoch, logs=None):
        out = training.predict(self.model, self.ds.test.X)
        self.forecasts.append(self.ds.to_price(out, "test"))


def ratio_to_persistence(actual, forecast, previous):
    """RMSE of a forecast over the RMSE of persistence, same rows."""
    return metrics.rmse(actual, forecast) / metrics.rmse(actual, previous)


def every_epoch(ds, seed):
    """Train for every epoch; the test forecasts after each, and the
    epoch with the lowest validation loss (what early stopping keeps)."""
    net = price_net.model(ds, seed)  # freshly initialised
    log = TestForecasts(ds)
    history = net.fit(ds.train.X, ds.train.y, epochs=price_epochs,
                      validation_data=(ds.val.X, ds.val.y),
                      batch_size=32, verbose=0, callbacks=[log])
    return log.forecasts, int(np.argmin(history.history["val_loss"]))


runs_by_fit = {fit: [every_epoch(ds, s) for s in pit_seeds]
               for fit, ds in pit.items()}


def pick(fit, choose):
    """Test RMSE / persistence of the epoch ``choose(forecasts, best)``
    picks, averaged over ``pit_seeds``."""
    ds = pit[fit]
    return np.mean([
        ratio_to_persistence(ds.actual("test"),
                             forecasts[choose(forecasts, best)],
                             ds.previous("test"))
        for forecasts, best in runs_by_fit[fit]])


def by_validation(forecasts, best):
    return best


honest_ratio = pick("train", by_validation)

# %% [markdown]
# **1. A scaler fit on all the data.** Chapter 2 showed the leak: min-max
# scaling with the minimum and maximum of the whole series tells the
# network where the test prices will lie. The same network and split, the
# scaler fit on the training rows or on all rows (early stopping on the
# validation slice in both):

# %%
pitfalls = {"scaler fit on all rows": {
    "measure": "RMSE / persistence", "honest": honest_ratio,
    "with the mistake": pick("all", by_validation)}}
print("test RMSE over persistence's: scaler fit on the training rows "
      f"{honest_ratio:.2f}, on all rows {pick('all', by_validation):.2f}")

# %% [markdown]
# **2. Windows shuffled across the split.** A common shortcut is to cut
# all windows first and then split them at random
# (`train_test_split(shuffle=True)`). Then almost every test day has its
# neighbours in the training set: the window ending the day before and
# the one ending the day after, whose targets bracket the test target. The
# package's `training.fit` refuses such a data set (a training target
# inside the test period), so we call Keras directly. Same numbers of
# training, validation and test windows as the honest split; the scaler
# can only be fit on all rows, since the training windows now span the
# whole period:

# %%
leak = pit["all"]
every = {key: np.concatenate([getattr(leak.part(p), key)
                              for p in ("train", "val", "test")])
         for key in ("X", "y", "actual", "previous")}
order = np.random.default_rng(0).permutation(len(every["y"]))
n_test, n_val = len(leak.test), len(leak.val)
test_idx, val_idx = order[:n_test], order[n_test:n_test + n_val]
train_idx = order[n_test + n_val:]
shuffled = []
for s in pit_seeds:
    net = price_net.model(leak, s)  # the same network, freshly initialised
    net.fit(every["X"][train_idx], every["y"][train_idx],
            validation_data=(every["X"][val_idx], every["y"][val_idx]),
            epochs=price_epochs, batch_size=32, verbose=0,
            callbacks=[keras.callbacks.EarlyStopping(
                patience=price_epochs, restore_best_weights=True)])
    out = training.predict(net, every["X"][test_idx])
    shuffled.append(leak.target_scaler.inverse(out, 0))
shuffled_ratio = ratio_to_persistence(
    every["actual"][test_idx], np.mean(shuffled, axis=0),
    every["previous"][test_idx])
pitfalls["windows shuffled across the split"] = {
    "measure": "RMSE / persistence", "honest": honest_ratio,
    "with the mistake": shuffled_ratio}
print(f"test RMSE over persistence's: chronological split "
      f"{honest_ratio:.2f}, shuffled windows {shuffled_ratio:.2f}")

# %% [markdown]
# **3. Early stopping on the test set.** Early stopping picks the epoch
# whose weights are kept. If it watches the test set, or if one simply
# keeps the epoch that looked best on the test set, the test result is
# chosen after seeing it. From the same honest runs as in pitfall 1, the
# epoch the validation slice picks against the epoch the test set picks,
# by error and by the Sharpe ratio of a long/flat strategy on the
# forecast at the middle cost:

# %%
pit_close = pit_raw["close"].iloc[pit["train"].test.target_pos[0] - 1:]


def test_sharpe(forecast):
    """Sharpe ratio of long/flat on the test rows at the middle cost."""
    ds = pit["train"]
    signal = pd.Series(forecast / ds.previous("test") - 1,
                       index=pit_close.index[:-1])
    position = backtest.long_flat(signal.reindex(pit_close.index,
                                                 fill_value=0.0))
    sharpe = backtest.simulate(pit_close, position,
                               cost_bps=mid_cost).summary["Sharpe"]
    return 0.0 if np.isnan(sharpe) else sharpe  # NaN: never invested


def by_test_error(forecasts, best):
    ds = pit["train"]
    return int(np.argmin([metrics.rmse(ds.actual("test"), f)
                          for f in forecasts]))


def by_test_sharpe(forecasts, best):
    return int(np.argmax([test_sharpe(f) for f in forecasts]))


def sharpe_of(choose):
    return np.mean([test_sharpe(forecasts[choose(forecasts, best)])
                    for forecasts, best in runs_by_fit["train"]])


pitfalls["early stopping on the test set"] = {
    "measure": "RMSE / persistence", "honest": honest_ratio,
    "with the mistake": pick("train", by_test_error)}
pitfalls["epoch chosen by test Sharpe"] = {
    "measure": "Sharpe", "honest": sharpe_of(by_validation),
    "with the mistake": sharpe_of(by_test_sharpe)}
for name, choose in (("validation", by_validation),
                     ("test error", by_test_error),
                     ("test Sharpe", by_test_sharpe)):
    print(f"epoch chosen by {name:11s}: test RMSE / persistence "
          f"{pick('train', choose):.2f}, Sharpe {sharpe_of(choose):.2f}")

# %% [markdown]
# **4. The position applied on the day of the signal.** A signal computed
# from day $t$'s close can only be traded from that close on. Applying it
# to day $t$'s own return (the move from $t-1$ to $t$, which the signal
# has already seen) is a look-ahead. In code it is one misplaced shift:
# `position.shift(-1)`. We measure it on the walk-forward period for the
# crossover, the network's long/flat rule, and a one-day momentum rule
# (long after an up day):

# %%
close, positions = strategies(first)
positions = {
    "MA 50/200": positions["MA 50/200"],
    "LSTM long/flat": positions["LSTM long/flat"],
    "momentum": (close.pct_change() > 0).astype(float),
}
for strategy, position in positions.items():
    honest = backtest.simulate(close, position, cost_bps=mid_cost).summary
    same_day = backtest.simulate(close, position.shift(-1).fillna(0.0),
                                 cost_bps=mid_cost).summary
    pitfalls[f"same-day position, {strategy}"] = {
        "measure": "Sharpe", "honest": honest["Sharpe"],
        "with the mistake": same_day["Sharpe"]}
    print(f"{strategy:15s}: Sharpe {honest['Sharpe']:.2f} honest, "
          f"{same_day['Sharpe']:.2f} on the same day; hit rate "
          f"{honest['hit rate']:.1%} and {same_day['hit rate']:.1%}")

# %%
pitfall_table = pd.DataFrame(pitfalls).T
pitfall_table["inflation"] = np.where(
    pitfall_table["measure"] == "Sharpe",
    pitfall_table["with the mistake"] - pitfall_table["honest"],
    pitfall_table["honest"] - pitfall_table["with the mistake"])
pitfall_table[["honest", "with the mistake", "inflation"]] = \
    pitfall_table[["honest", "with the mistake", "inflation"]].astype(float)
tables.format_table(pitfall_table, decimals=3)

# %% [markdown]
# The last column is how much each mistake improves the result: a lower
# error ratio, or a higher Sharpe ratio. Read it row by row:
#
# * the leaked scaler and the shuffled windows both hide the extrapolation
#   failure of chapter 3 (with a shuffled split the training windows cover
#   the whole price range), and the shuffled split also puts the days
#   around every test day into the training set;
# * picking the epoch on the test set can only help (the honest epoch is
#   one of the candidates), and picking it by the backtest helps the
#   backtest; every further choice made that way (architecture, window,
#   threshold) adds to it;
# * the same-day position changes little for rules that seldom change
#   their position, and everything for a rule that reacts to the day's
#   move: applied on the same day, the momentum rule is long exactly on
#   the days that went up (see its hit rate above).
#
# Two more biases cannot be measured with our data, only avoided.
# **Survivorship**: a study of today's index members, or of a stock chosen
# because it is famous today, looks only at the firms that survived and
# grew; the failures are missing from the data {cite}`brown1992`. Indices
# themselves replace their losers, which is one reason we work with index
# levels, and why a single-stock result should be read with care.
# **Regime change**: markets change their behaviour, through crises,
# rule changes (price limits, trading hours, the opening of a market to
# foreign investors) and new participants. A model fit on one regime is
# tested on another; the walk-forward table per year shows how much the
# error moves from one year to the next, and no split can promise that
# the next year will look like any of the past ones.
#
# ## Forecasting the real future
#
# The walk-forward runs were experiments on the past. To forecast the
# next trading day for real, train the same network on the most recent
# `TRAIN_ROWS` days, feed it the window that ends with the latest close,
# and turn its forecast return into a price. With `ONLINE = True` the
# latest prices come from Yahoo Finance (`stocklearn.fetch`, falling back
# to the bundled series when offline); by default the bundled series is
# used, so "the future" is the day after its last row.
#
# We hold out the last known day as a one-row test, so that the package's
# usual data set can be built, and forecast the day after it from the
# window ending on it.

# %%
YAHOO = {"sp500": "^GSPC", "csi300": "000300.SS", "nasdaq100": "^NDX",
         "aapl": "AAPL"}


def latest_prices(name):
    """The newest daily bars of ``name``: from Yahoo when ONLINE."""
    if ONLINE and name in YAHOO:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", fetch.FallbackWarning)
                return fetch.yahoo(YAHOO[name])
        except data.DataError as err:
            print(f"{name}: {err}; using the bundled series")
    return data.load(name)


def next_day(name):
    """Forecast the close after the last row, from every seed's network."""
    recent = relative_features(latest_prices(name))
    recent = recent.iloc[-(TRAIN_ROWS + WINDOW + 1):]
    split = splits.chronological_split(recent, len(recent) - 1, val=0.2)
    ds = prep.make_dataset(recent, split, features=FEATURES, window=WINDOW,
                           target_kind="log_return")
    x = ds.scaler.transform(recent[FEATURES].iloc[-WINDOW:])
    x = x.to_numpy(dtype="float32")[None]  # one window: (1, WINDOW, f)
    returns = []
    for s in seeds:
        net, _ = lstm.fit(ds, s)
        returns.append(float(training.predict(net, x)[0]))
    return recent["close"].iloc[-1], recent.index[-1], np.mean(returns)


def interval(log_errors, centre, level=0.9):
    """An interval for a price from past log errors log(actual/forecast)."""
    q = np.quantile(log_errors, [(1 - level) / 2, (1 + level) / 2])
    return centre * np.exp(q)


tomorrow = {}
for name, wf in walks.items():
    last_close, last_day, r = next_day(name)
    forecast = last_close * np.exp(r)
    lstm_err = np.log(wf.actual / wf.forecasts["LSTM"].mean(axis=0))
    pers_err = np.log(wf.actual / wf.previous)
    for who, centre, err in (("LSTM", forecast, lstm_err),
                             ("persistence", last_close, pers_err)):
        low, high = interval(err, centre)
        tomorrow[label(name), f"{last_day:%Y-%m-%d}", who] = {
            "last close": last_close, "forecast": centre, "90 % low": low,
            "90 % high": high}
tomorrow = pd.DataFrame(tomorrow).T.rename_axis(["index", "last day", ""])
tables.format_table(tomorrow)

# %% [markdown]
# The interval comes from the network's walk-forward errors: 90 % of the
# past out-of-sample log errors lay between the two quantiles used, so if
# the future behaves like those ten years, tomorrow's close falls inside
# about nine times out of ten. Persistence's interval is centred on the
# last close; compare the two widths, and the distance between the
# network's point forecast and the last close with the width of either
# interval: that is how much the network's opinion matters.
#
# Does such an interval keep its promise? For each year of the
# walk-forward period, an interval built from the errors of the *earlier*
# years only, and the share of that year's closes that fell inside it:

# %%
coverage = {}
for name, wf in walks.items():
    err = pd.Series(np.log(wf.actual / wf.forecasts["LSTM"].mean(axis=0)),
                    index=wf.dates)
    for year in sorted(set(err.index.year))[1:]:
        past, now = err[err.index.year < year], err[err.index.year == year]
        low, high = np.quantile(past, [0.05, 0.95])
        inside = ((now >= low) & (now <= high)).mean()
        coverage.setdefault(label(name), {})[str(year)] = inside
coverage = pd.DataFrame(coverage)
for name, column in coverage.items():
    print(f"{name}: lowest coverage {column.min():.0%} in "
          f"{column.idxmin()}, highest {column.max():.0%} in "
          f"{column.idxmax()}")
print("share of each year's closes inside the 90 % interval from the "
      "years before:")
coverage.T.map(lambda v: f"{v:.0%}")

# %% [markdown]
# Where the coverage falls well below 90 %, the market had become more
# volatile than in the years the interval was built from (compare the
# lowest years printed above with the error plot at the top of the
# chapter); where it is near 100 %, calmer. The errors of the past are a
# guide to tomorrow's uncertainty only while the market stays as volatile
# as it was. A practical interval is therefore rebuilt often, or weighted
# towards the most recent errors.
#
# ### Several days ahead
#
# To forecast $h$ days ahead there are two ways {cite}`hyndman2021`:
#
# * **recursive**: a one-day model forecasts tomorrow's return, the
#   forecast is appended to the window as if it had been observed, and the
#   model is applied again, $h$ times; errors feed into later steps;
# * **direct**: one model per horizon, trained to forecast the $h$-day
#   log return $\log(p_{t+h} / p_t)$ directly (`make_dataset(...,
#   horizon=h)`).
#
# The recursive method needs a forecast of *every* input, so both use a
# network whose only input is the daily log return. We train on the
# `TRAIN_ROWS` days before `TEST_START` of `DATASETS[0]` (the last fifth
# for validation; at most two seeds) and forecast every day of the
# walk-forward period from every origin, for each horizon in `horizons`;
# persistence forecasts $p_{t+h} = p_t$:

# %%
uni = frames[first][["close", "log_return"]].loc[:TEST_END]
train_end = uni.index[uni.index < TEST_START][-1]
start = uni.index.get_loc(train_end) + 1 - TRAIN_ROWS - WINDOW
uni = uni.iloc[max(start, 0):]  # the same training length as the folds
uni_split = splits.chronological_split(uni, train_end, val=0.2)
uni_sets = {h: prep.make_dataset(uni, uni_split, features=["log_return"],
                                 window=WINDOW, horizon=h,
                                 target_kind="log_return")
            for h in horizons}
one = uni_sets[1] if 1 in uni_sets else prep.make_dataset(
    uni, uni_split, features=["log_return"], window=WINDOW,
    target_kind="log_return")
H = max(horizons)


def recursive(net, ds, steps):
    """Cumulative log-return forecasts 1..steps ahead of every test window."""
    X = ds.test.X.copy()
    total, out = np.zeros(len(X)), []
    for _ in range(steps):
        r = training.predict(net, X)
        total = total + r
        out.append(total.copy())
        scaled = ds.scaler.transform(r.reshape(-1, 1)).astype("float32")
        X = np.concatenate([X[:, 1:], scaled[:, None, :]], axis=1)
    return np.stack(out, axis=1)  # (m, steps)


ms_seeds = seeds[:2]  # one network per horizon and seed: two at most
rec, direct = [], {h: [] for h in horizons}
for s in ms_seeds:
    net, _ = lstm.fit(one, s)
    rec.append(recursive(net, one, H))
    for h in horizons:
        if h == 1:
            out = training.predict(net, one.test.X)
            direct[1].append(one.to_price(out, "test"))
        else:
            direct[h].append(lstm(uni_sets[h], s)["forecast"])
rec = np.mean(rec, axis=0)
price = uni["close"].to_numpy()
origins = one.test.last_input_pos  # the day each forecast is made
train_rows = slice(*uni_split.train)
mu = uni["log_return"].iloc[train_rows].mean()  # drift: mean daily move
by_h = {}
for h in horizons:
    keep = origins + h < one.split.test[1]  # the target is a test day
    t = origins[keep]
    actual, previous = price[t + h], price[t]
    rec_h = previous * np.exp(rec[keep, h - 1])
    ds_h = uni_sets[h] if h in uni_sets else one
    made = ds_h.test.last_input_pos
    dir_h = pd.Series(np.mean(direct[h], axis=0), index=made)[t].to_numpy()
    row = {"persistence": metrics.rmse(actual, previous),
           "drift": metrics.rmse(actual, previous * np.exp(h * mu)),
           "recursive": metrics.rmse(actual, rec_h),
           "direct": metrics.rmse(actual, dir_h)}
    for who, f in (("drift", previous * np.exp(h * mu)),
                   ("recursive", rec_h), ("direct", dir_h)):
        row[f"{who} p"] = metrics.diebold_mariano(
            actual - f, actual - previous, h=h)[1]
    by_h[h] = row
by_h = pd.DataFrame(by_h).T.rename_axis("h")
tables.format_table(by_h.rename(columns={
    "drift p": "drift DM p", "recursive p": "rec. DM p",
    "direct p": "dir. DM p"}))

# %%
fig, ax = plt.subplots(figsize=(7, 4))
for who in ("persistence", "drift", "recursive", "direct"):
    ax.plot(by_h.index, by_h[who], marker="o", label=who)
growth = np.sqrt(by_h.index / by_h.index[0])  # a random walk's sqrt(h)
ax.plot(by_h.index, by_h["persistence"].iloc[0] * growth, color="0.6",
        ls=":", label=r"growing like $\sqrt{h}$")
ax.set(xscale="log", yscale="log", xlabel="horizon h (days)",
       ylabel="RMSE (index points)",
       title=f"{label(first)}: error by horizon, "
       f"{TEST_START[:4]}-{TEST_END[:4]}")
ax.set_xticks(list(horizons), [str(h) for h in horizons])
ax.yaxis.set_major_formatter(mticker.ScalarFormatter())
ax.yaxis.set_minor_formatter(mticker.NullFormatter())
ax.legend()
plt.show()
print("RMSE over persistence's, by horizon:")
by_h[["drift", "recursive", "direct"]].div(by_h["persistence"],
                                           axis=0).round(3)

# %% [markdown]
# The error of every method grows with the horizon, roughly like
# $\sqrt{h}$ (the dotted line): for a random walk the variance of an
# $h$-day change is $h$ times that of a one-day change. At every horizon
# the networks stay close to persistence; the DM p-values say whether any
# difference is more than noise. Compare them with the **drift** column:
# persistence plus the training period's average daily move, times $h$.
# Over a long horizon a rising index makes "up by the usual amount" better
# than "no change", and a network that has learned little more than the
# average return gains exactly that; only where a network beats drift
# has it learned something beyond the trend. The two methods fail
# differently: the
# recursive one compounds its own small biases step after step, while the
# direct one has fewer training targets that overlap heavily (the $h$-day
# returns of neighbouring days share $h-1$ days) and so less information
# per sample than the count suggests. (The p-values account for the
# overlap of the errors of neighbouring forecasts, with $h-1$
# autocovariances.)
#
# ## The chapter's numbers for the verdict page
#
# The walk-forward errors of the network, and the longest horizon's
# direct forecast, go to the course's verdict page:

# %%
rows = []
for name, wf in walks.items():
    sc = wf.scores()
    rows.append({
        "experiment": f"{label(name)} walk-forward LSTM",
        "metric": "RMSE", "ours": sc.loc["LSTM", "RMSE"],
        "ours std": sc.loc["LSTM", "RMSE std"],
        "seeds": sc.loc["LSTM", "seeds"],
        "persistence": sc.loc["persistence", "RMSE"],
        "linear": sc.loc["linear", "RMSE"], "DM p": sc.loc["LSTM", "DM p"],
        "note": f"{wf.dates[0]:%Y}-{wf.dates[-1]:%Y}, refit every {step} "
                "days"})
rows.append({
    "experiment": f"{label(first)} {H}-day direct LSTM", "metric": "RMSE",
    "ours": by_h.loc[H, "direct"], "seeds": len(ms_seeds),
    "persistence": by_h.loc[H, "persistence"],
    "DM p": by_h.loc[H, "direct p"],
    "note": f"drift {by_h.loc[H, 'drift']:.2f}; split at {TEST_START[:4]}"})
chapter_rows = pd.DataFrame(rows)
results.save("07_forecasts_to_decisions", chapter_rows, profile=profile.name)
tables.format_table(chapter_rows.set_index("experiment"))

# %%
print(f"chapter executed in {time.perf_counter() - chapter_start:.0f} s "
      f"(profile {profile.name})")

# %% [markdown]
# ## Summary
#
# * Walk-forward evaluation refits a model every `step` days on the rows
#   before each block and stitches the blocks into one long out-of-sample
#   record. The scaler is refit inside every fold; `walk_forward.walk_forward`
#   does this for networks and baselines alike, fold by fold through the
#   experiment grid.
# * Over ten years of the S&P 500 and the CSI 300, the stacked LSTM of
#   chapter 3 (with scale-free inputs and a return target) stays close to
#   persistence. The tables above give the verdict of this run: the overall
#   Diebold-Mariano test, the years in which it was better or worse, and
#   the share of days with the smaller error.
# * A backtest is defined by its timing: a position decided at the close
#   of day $t$ earns the return to day $t+1$ and pays for every change of
#   position. Costs punish a signal that flips often.
# * Noise strategies with the same number of long days show how far luck
#   alone moves a ten-year Sharpe ratio; a strategy has to beat that
#   distribution, not just buy-and-hold.
# * A scaler fit on all rows, windows shuffled across the split, an epoch
#   picked on the test set and a position applied on the signal's own day
#   each make results look better than they are; we measured by how much.
#   Survivorship and regime change cannot be removed by a split.
# * A next-day forecast comes with an interval from the walk-forward
#   errors; its coverage holds only while volatility stays as it was.
#   Several days ahead, errors grow roughly like $\sqrt{h}$ for every
#   method, persistence included.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch07-ex1
# The chapter used a sliding training window. Run the walk-forward
# evaluation of the linear baseline with an **expanding** window instead
# (baselines need no training, so this is quick) on every series, and
# compare its RMSE with the sliding version's and with persistence. Does
# more history help the linear model?
# :::
#
# ```{solution-start} ch07-ex1
# :class: dropdown
# ```
# `walk_forward` takes the scheme as an argument; with only baselines as
# forecasters, no network is trained. The expanding window starts at the
# first row of the series, so its first fold already has many years:

# %%
ex1 = {}
for name in DATASETS:
    for scheme, rows_kw in (("sliding", {"train_rows": TRAIN_ROWS}),
                            ("expanding", {})):
        ex1_wf = walk_forward.walk_forward(
            frames[name], {"linear": baselines.linear_on_window},
            first_test=TEST_START, end=TEST_END, step=step, scheme=scheme,
            features=FEATURES, window=WINDOW, target_kind="log_return",
            **rows_kw)
        sc = ex1_wf.scores()
        ex1[label(name), scheme] = {
            "training rows (first fold)": ex1_wf.folds["train rows"].iloc[0],
            "linear RMSE": sc.loc["linear", "RMSE"],
            "persistence RMSE": sc.loc["persistence", "RMSE"],
            "DM p": sc.loc["linear", "DM p"]}
tables.format_table(pd.DataFrame(ex1).T)

# %% [markdown]
# The linear regression on a window of 20 days of all these features has
# hundreds of coefficients; with five years of data it fits noise, and
# with more history it has more rows per coefficient. Compare the two
# rows of each index: if the expanding version is closer to persistence,
# the extra history mostly helped the regression shrink towards "no
# change", not find a signal.
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch07-ex2
# Trade only when the network expects a move larger than a threshold:
# run the long/flat strategy with thresholds of 0, 0.01 %, 0.03 % and
# 0.1 % on the forecast return, at every cost in `COSTS_BP`, and report
# turnover and Sharpe ratio. What does the threshold buy?
# :::
#
# ```{solution-start} ch07-ex2
# :class: dropdown
# ```
# Only the positions change; the forecasts are the walk-forward ones:

# %%
ex2 = {}
for name in walks:
    close, _ = strategies(name)
    signal = expected_return(name).reindex(close.index, fill_value=0.0)
    for threshold in (0.0, 0.0001, 0.0003, 0.001):
        position = backtest.long_flat(signal, threshold)
        for cost in COSTS_BP:
            s = backtest.simulate(close, position, cost_bps=cost).summary
            ex2[label(name), f"{threshold:.2%}", cost] = {
                "long days": position.mean(), "turnover": s["turnover"],
                "Sharpe": s["Sharpe"]}
ex2 = pd.DataFrame(ex2).T.rename_axis(["index", "threshold", "bp"])
ex2_table = ex2[["long days", "turnover"]].groupby(
    level=["index", "threshold"], sort=False).first()
for cost in COSTS_BP:
    ex2_table[f"Sharpe {cost} bp"] = ex2["Sharpe"].xs(cost, level="bp")
tables.format_table(ex2_table, decimals={"turnover": 0})

# %% [markdown]
# A higher threshold trades less, so costs matter less. But the network's
# forecast returns are small, so a high enough threshold keeps the
# strategy flat almost all the time; the long days column shows where
# that happens. A threshold chosen by looking at this table would be
# another choice made on the test period (pitfall 3).
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch07-ex3
# The standard error of an annual Sharpe ratio estimated from $T$ years of
# roughly independent daily returns is about
# $\sqrt{(1 + \mathrm{SR}^2/2)/T}$ {cite}`lo2002`. Compute it for
# buy-and-hold on each index over the walk-forward period at the middle
# cost, and compare it with the difference between the network's
# long/flat strategy and buy-and-hold, and with the spread of the noise
# strategies.
# :::
#
# ```{solution-start} ch07-ex3
# :class: dropdown
# ```
# The number of years comes from the backtest's dates:

# %%
for name in walks:
    hold = runs[name, mid_cost, "buy and hold"]
    model = runs[name, mid_cost, "LSTM long/flat"]
    T = len(hold.returns) / backtest.DAYS_PER_YEAR
    sr = hold.summary["Sharpe"]
    se = np.sqrt((1 + sr ** 2 / 2) / T)
    gap = model.summary["Sharpe"] - sr
    noise = luck[label(name)]
    print(f"{label(name)}: buy-and-hold Sharpe {sr:.2f} over {T:.1f} "
          f"years, standard error {se:.2f}; LSTM long/flat minus "
          f"buy-and-hold {gap:+.2f}; noise strategies 5-95 %: "
          f"{noise['noise 5 %']:.2f} to {noise['noise 95 %']:.2f}")

# %% [markdown]
# With ten years of data a Sharpe ratio is uncertain by the standard error
# printed above; differences between strategies smaller than that are not
# distinguishable from luck, which is what the noise strategies showed
# without any formula. (The two strategies are correlated, so the standard
# error of their *difference* is smaller than this, but of the same
# order.)
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch07-ex4
# Forecast the close five trading days after the last row of
# `DATASETS[0]` with a **direct** model trained on the latest data, and
# give it a 90 % interval from the 5-day errors of the multi-day
# experiment.
# :::
#
# ```{solution-start} ch07-ex4
# :class: dropdown
# ```
# The same recipe as for the next day, with the univariate input and
# `horizon=5`; the interval uses the direct model's 5-day log errors on the
# walk-forward period (`uni_sets[5]` if 5 is among `horizons`, else a
# fresh data set):

# %%
ex4_h = 5
ex4_recent = relative_features(latest_prices(first))[["close",
                                                      "log_return"]]
ex4_recent = ex4_recent.iloc[-(TRAIN_ROWS + WINDOW + ex4_h):]
ex4_split = splits.chronological_split(ex4_recent, len(ex4_recent) - ex4_h,
                                       val=0.2)
ex4_ds = prep.make_dataset(ex4_recent, ex4_split, features=["log_return"],
                           window=WINDOW, horizon=ex4_h,
                           target_kind="log_return")
ex4_x = ex4_ds.scaler.transform(ex4_recent[["log_return"]].iloc[-WINDOW:])
ex4_x = ex4_x.to_numpy(dtype="float32")[None]
ex4_r = np.mean([training.predict(lstm.fit(ex4_ds, s)[0], ex4_x)[0]
                 for s in ms_seeds])
ex4_last = ex4_recent["close"].iloc[-1]
if ex4_h in uni_sets:
    ex4_past = uni_sets[ex4_h]
else:
    ex4_past = prep.make_dataset(uni, uni_split, features=["log_return"],
                                 window=WINDOW, horizon=ex4_h,
                                 target_kind="log_return")
ex4_f = (direct[ex4_h] if ex4_h in direct
         else [lstm(ex4_past, s)["forecast"] for s in ms_seeds])
ex4_err = np.log(ex4_past.actual("test") / np.mean(ex4_f, axis=0))
ex4_low, ex4_high = interval(ex4_err, ex4_last * np.exp(ex4_r))
print(f"{label(first)}: last close {ex4_last:.2f} on "
      f"{ex4_recent.index[-1]:%Y-%m-%d}; in {ex4_h} trading days "
      f"{ex4_last * np.exp(ex4_r):.2f}, 90 % interval {ex4_low:.2f} to "
      f"{ex4_high:.2f} ({ex4_high / ex4_low - 1:.1%} wide)")
ex4_one = tomorrow.xs("LSTM", level=2).loc[label(first)].iloc[0]
ex4_ratio = (np.log(ex4_high / ex4_low)
             / np.log(ex4_one["90 % high"] / ex4_one["90 % low"]))
print(f"width in log terms: {ex4_ratio:.2f} times the next day's "
      f"(sqrt({ex4_h}) = {np.sqrt(ex4_h):.2f})")

# %% [markdown]
# Compare the width with the next day's: for a random walk it would grow
# by $\sqrt{5}$ (printed beside it). Compare also the forecast with the
# last close, against the interval's width: over a week the index can
# move several percent either way, and the question is whether the
# network can say which.
#
# ```{solution-end}
# ```
