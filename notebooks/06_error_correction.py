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
# # Correcting a network with its own errors
#
# A forecaster that is wrong in the same direction several days running
# leaves a trail: its errors are not pure noise, and yesterday's error says
# something about today's. {cite}`bao2021` turn that into a method. A first
# network (NN1) forecasts the next day's high; a second network (NN2)
# forecasts NN1's next error from its recent errors; the final forecast is
# the sum. The paper reports that the second stage lowers the error of
# every first network it tried, on the Shanghai Composite and the Shenzhen
# Component indices.
#
# This chapter rebuilds the method, runs the paper's full grid (three first
# networks times four second stages, over many seeds) on the paper's data
# and split, and asks the questions the paper leaves open: which errors
# should NN2 learn from, does the correction beat the naive forecast
# "tomorrow's high = today's high", and is it more than the spread between
# seeds? The grid runs through the package's experiment runner, which can
# fan it out over processes or a cluster.
#
# **Learning goals.** After this chapter you can
#
# * explain when a model's residuals can be forecast (they are
#   autocorrelated) and test for it (Ljung-Box);
# * build a two-stage forecaster in which the second stage reads only
#   errors of days that are already over, and prove that with a test;
# * tell in-sample errors from out-of-sample errors, and say why a second
#   stage must learn from the second kind;
# * run a configurations-by-seeds grid that resumes after an interruption
#   and runs unchanged on several processes or a Dask cluster;
# * judge a published improvement against persistence, a linear model and
#   the spread across seeds, with Diebold-Mariano tests.

# %%
import inspect
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Code, display

from stocklearn import (
    baselines,
    data,
    error_correction,
    features,
    grid,
    metrics,
    papers,
    plots,
    prep,
    results,
    settings,
    splits,
    tables,
)
from stocklearn.backend import keras  # Keras, with TensorFlow kept quiet

# %% tags=["parameters"]
# "fast" or "full"; None: env STOCKLEARN_PROFILE, else "fast"
PROFILE = None
# the paper's series to run, by symbol; None: both ("000001.SH", "399001.SZ")
DATASETS = None
# None: the profile's choice; a number caps every training of the chapter
EPOCHS = None
SEEDS = None  # None: the profile's seeds (2 in fast, 10 in full)
# networks of either stage; None: the paper's three
KINDS = None
# where the grid runs: None: this process; "loky": local processes;
# "dask": the current dask.distributed Client (e.g. a LocalCluster)
GRID_EXECUTOR = None
GRID_JOBS = None  # parallel runs with "loky"; None: one per CPU core
# folder of finished grid runs (read back, not redone); None: no folder
GRID_STORE = None
WINDOW = 5  # days NN1 reads: ASSUMPTION
ERROR_WINDOW = 5  # past errors NN2 reads: ASSUMPTION
HOLDOUT = 0.2  # share of the training period held out for NN2: ASSUMPTION
UNITS = 30  # units of every network (the paper's)
BATCH_SIZE = 32  # ASSUMPTION

# %%
profile = settings.get_profile(PROFILE)
seeds = (tuple(SEEDS) if SEEDS is not None
         else profile.pick(fast=profile.seeds, full=tuple(range(10))))
kinds = ((KINDS,) if isinstance(KINDS, str)
         else tuple(KINDS or error_correction.KINDS))
nn1_epochs = EPOCHS or profile.pick(fast=6, full=30)  # ASSUMPTION
nn2_epochs = EPOCHS or profile.pick(fast=6, full=20)  # ASSUMPTION
best_epochs = EPOCHS or profile.pick(fast=6, full=30)
chapter_start = time.perf_counter()
print(f"profile {profile.name}, Keras backend {keras.backend.backend()}: "
      f"{len(seeds)} seeds, networks {kinds}; NN1 {nn1_epochs} epochs, "
      f"NN2 {nn2_epochs} epochs, batch {BATCH_SIZE}, {UNITS} units; "
      f"grid executor {GRID_EXECUTOR or 'in-process'}")

# %% [markdown]
# ## The idea
#
# Write $y_t$ for the high of day $t$ and $\hat y_t$ for NN1's forecast of
# it, made on the evening of day $t-1$ from the last few days' prices. Its
# error is
#
# $$
# e_t = y_t - \hat y_t ,
# $$
#
# known on the evening of day $t$. NN2 forecasts the next error from the
# last $k$ errors, and the two forecasts are added:
#
# $$
# \hat e_{t+1} = g(e_{t-k+1}, \dots, e_t), \qquad
# \tilde y_{t+1} = \hat y_{t+1} + \hat e_{t+1} .
# $$
#
# On the evening of day $t$ every input is known: NN1 reads days up to $t$,
# and NN2 reads errors up to $e_t$, which needs only $y_t$. Reading $e_{t+1}$
# would mean reading tomorrow's high.
#
# **When can that help?** Only when the errors carry something the first
# model missed. If NN1's errors are independent from day to day, the best
# forecast of tomorrow's error is their average (near zero), and NN2 can
# only add noise. If they are *autocorrelated*, for example because NN1 is
# biased for weeks at a time or lags behind a trend, yesterday's error
# predicts today's and NN2 can remove part of it. The autocorrelation at
# lag $j$ is the correlation of $e_t$ with $e_{t-j}$; the Ljung-Box test
# asks whether the first $m$ of them are all zero, from the statistic
# $Q = n(n+2)\sum_{j=1}^{m} \hat\rho_j^2 / (n-j)$, which is close to a
# $\chi^2_m$ variable when they are.
#
# A small simulation shows both cases. The same random-walk "high" is
# forecast twice: once with independent errors, once with errors that
# follow an AR(1) process with coefficient 0.8 (a forecaster that stays
# wrong in the same direction). On the first half we fit the simplest
# second stage, a least-squares regression of each error on the five
# before it; on the second half we correct and compare.

# %%
def fit_ar(errors, k=ERROR_WINDOW):
    """Least-squares weights of e[t] on e[t-k..t-1] and a constant."""
    X = np.column_stack([errors[j:len(errors) - k + j] for j in range(k)])
    X = np.column_stack([X, np.ones(len(X))])
    return np.linalg.lstsq(X, errors[k:], rcond=None)[0]


def apply_ar(weights, errors, k=ERROR_WINDOW):
    """Forecast e[t] for t = k..n-1 from the k errors before each."""
    X = np.column_stack([errors[j:len(errors) - k + j] for j in range(k)])
    return np.column_stack([X, np.ones(len(X))]) @ weights


sim_rng = np.random.default_rng(0)
sim_n = 1000
sim_high = 3000 + np.cumsum(sim_rng.normal(0, 20, sim_n))
sim_noise = sim_rng.normal(0, 20, sim_n)
sim_ar = np.zeros(sim_n)
for t in range(1, sim_n):
    sim_ar[t] = 0.8 * sim_ar[t - 1] + 0.6 * sim_noise[t]
sim_rows = {}
for name, sim_e in (("independent errors", sim_noise),
                    ("AR(1) errors", sim_ar)):
    sim_forecast = sim_high - sim_e
    half = sim_n // 2
    sim_w = fit_ar(sim_e[:half])
    sim_fix = apply_ar(sim_w, sim_e[half - ERROR_WINDOW:])
    sim_after = sim_high[half:] - (sim_forecast[half:] + sim_fix)
    box = error_correction.autocorrelation(sim_e[:half], lags=10)
    sim_rows[name] = {
        "lag-1 acf": box.loc[1, "acf"],
        "Ljung-Box p (10 lags)": box.loc[10, "Ljung-Box p"],
        "RMSE first stage": metrics.rmse(sim_high[half:],
                                         sim_forecast[half:]),
        "RMSE corrected": np.sqrt(np.mean(sim_after ** 2)),
    }
pd.DataFrame(sim_rows).T.round(3)

# %% [markdown]
# With independent errors the test finds nothing (a large p-value) and the
# correction changes the error by a hair, up or down. With AR(1) errors the
# test rejects at any level and the correction removes a large part of the
# error: the standard deviation of an AR(1) process with coefficient 0.8
# is $1/\sqrt{1 - 0.8^2} \approx 1.67$ times that of its innovations, and
# knowing the past errors leaves only the innovation. Whether NN1's errors
# on real indices look more like the first row or the second is an
# empirical question; we run the same test on them below.

# %% [markdown]
# ## The data, checked against the paper
#
# The paper uses daily bars of the Shanghai Composite (000001.SH) and the
# Shenzhen Component (399001.SZ), with its own training and test months.
# Its inputs are the open, high, low and close, the day's change of the
# close, and the volume; the target is the next day's high. We load the
# bundled series (chapter 1 documents their sources) over the same months
# and compare the standard deviation of the high with the paper's Table 4,
# the only statistic the paper gives about its data.

# %%
bao = papers.SETTINGS["bao2021"]
INPUTS = list(bao["inputs"])  # open, high, low, close, change, volume
catalog = data.list_datasets()
bundled = dict(zip(catalog["symbol"], catalog.index, strict=True))
symbols = ([DATASETS] if isinstance(DATASETS, str)
           else list(DATASETS or bao["periods"]))


def month_start(month):
    return pd.Period(month, "M").start_time


def month_end(month):
    return pd.Period(month, "M").end_time.normalize()


frames, training_ends = {}, {}
for symbol in symbols:
    period = bao["periods"][symbol]
    whole = features.add_changes(data.load(bundled[symbol]))
    frames[symbol] = whole.loc[month_start(period["train"][0]):
                               month_end(period["test"][1])]
    training_ends[symbol] = month_end(period["train"][1])

paper_std = papers.bao2021_data_std()
std_rows = {}
for symbol, frame in frames.items():
    cut = frame.index <= training_ends[symbol]
    for part, rows in (("train", frame[cut]), ("test", frame[~cut])):
        std_rows[symbol, part] = {
            "rows": len(rows), "first": rows.index[0].date(),
            "last": rows.index[-1].date(),
            "paper": paper_std.loc[symbol, part],
            "ours": rows["high"].std(ddof=1),
            "ours (ddof 0)": rows["high"].std(ddof=0)}
std_table = pd.DataFrame(std_rows).T
std_table["ours - paper"] = std_table["ours (ddof 0)"] - std_table["paper"]
std_table.round(2)

# %% [markdown]
# With the population formula (`ddof 0`) three of the four standard
# deviations match the paper's to the printed decimal, so the paper
# probably used it. The fourth, the Shenzhen test period, is off by a
# fraction of a percent (last column): a day more or less at an end of the
# period, or a small vendor difference. The data are the paper's to the
# precision it reports.
#
# ### Split, scaling and windows
#
# The paper fits NN1 on the whole training period. We cut that period in
# two: NN1 is fit on its first part and forecasts the last part (the
# *tail*, a share `HOLDOUT` of the period, 20 % by default) without having
# seen it; NN2 learns from those errors (the next section explains why).
# In the package's words the tail is the data set's validation slice. The
# inputs and the target are min-max scaled with the training rows' range,
# and each window holds `WINDOW` days. Every model of the chapter, the
# baselines included, is fit on the same training rows.

# %%
sets = {}
for symbol, frame in frames.items():
    split = splits.chronological_split(frame, training_ends[symbol],
                                       val=HOLDOUT)
    sets[symbol] = prep.make_dataset(frame, split, features=INPUTS,
                                     targets="high", window=WINDOW)
pd.concat({symbol: ds.split.describe()[["rows", "first", "last"]]
           for symbol, ds in sets.items()})

# %% [markdown]
# Chapter 3 showed what happens to a network whose test inputs leave the
# range of its training inputs. Here is the share of test windows in which
# each scaled input leaves $[0, 1]$:

# %%
outside = {symbol: pd.Series(((ds.test.X < 0) | (ds.test.X > 1))
                             .any(axis=1).mean(axis=0), index=INPUTS)
           for symbol, ds in sets.items()}
pd.DataFrame(outside).T.round(3)

# %%
fig, axes = plt.subplots(1, len(sets), figsize=(12, 3.2), squeeze=False)
for ax, (symbol, ds) in zip(axes[0], sets.items(), strict=True):
    high = ds.frame["high"]
    for part, color in (("train", "C0"), ("val", "C1"), ("test", "C3")):
        rows = ds.split.take(high, part)
        label = {"val": "tail (NN2 learns here)"}.get(part, part)
        ax.plot(rows.index, rows, color=color, linewidth=1, label=label)
    ax.set(title=f"{symbol}: daily high", ylabel="index points")
    ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Reproducing the paper
#
# :::{admonition} What the paper states, and what we assume
# :class: note
# Stated: the two series and their months, the six inputs, the next-day
# high as target, NN1 and NN2 each an LSTM, a GRU or an MLP of 30 units
# with a linear output, ten runs per configuration, and the metrics RMSE,
# MAPE, MASE, Dstat and time. Not stated, so assumed and exposed as
# parameters: a window of `WINDOW` days for NN1 and `ERROR_WINDOW` errors
# for NN2, min-max scaling fit on the training rows, Adam with Keras'
# default step size, batches of `BATCH_SIZE`, the number of epochs (printed
# at the top), a ReLU hidden layer in the MLP, and standardised errors as
# NN2's inputs and target. We fit NN1 on the training period without its
# tail (the paper: all of it), for the reason given below.
#
# Two metrics need a word. The paper's **MASE** divides the MAE by a
# naive forecast's MAE, but on which rows? Its own numbers tell (the cell
# below): the MAE its MAPE implies, divided by its MASE, matches the
# average day-to-day change of the high *over the test period*, not over
# the training period. We scale the same way, so persistence scores
# exactly 1 and below 1 beats it (the `scale_series` of `metrics.mase`).
# The paper's **Dstat** is what the rest of the book calls direction
# accuracy, **DA**: the share of days on which the forecast and the high
# move the same way from today's high. The
# paper's **time** is the mean time to forecast the test rows; ours is
# the time to *train* the configuration (NN1, plus NN2 for two stages),
# which says more about cost here. NN2 takes the same number of training
# steps whichever errors it learns from (see stage two).
# :::

# %%
paper = papers.bao2021_results()
scale_rows = {}
for series, ds in sets.items():
    if series not in paper.index.get_level_values(0):
        continue
    reported = paper.loc[series].dropna(subset=["MAPE", "MASE"])
    implied_mae = reported["MAPE"] / 100 * ds.actual("test").mean()
    train_high = ds.frame["high"].iloc[: ds.split.training_end]
    scale_rows[series] = {
        "paper's MAE / MASE": (implied_mae / reported["MASE"]).mean(),
        "naive MAE, test period": metrics.mae(ds.actual("test"),
                                              ds.previous("test")),
        "naive MAE, training period": train_high.diff().abs().mean()}
pd.DataFrame(scale_rows).T.round(2)

# %% [markdown]
# ### Stage one: NN1
#
# The grid runner `grid.sweep` calls a task once per configuration and seed
# and returns one tidy table. The task here fits NN1 (the package's
# `error_correction.first_stage`) and scores its test forecasts. Each NN1
# fit is shared by all second stages of the same seed, so the grid runs in
# two stages as the method does. `GRID_EXECUTOR` chooses where the runs go;
# every run is seeded from its own seed, so the rows are the same wherever
# they run (the package's tests check that on a Dask cluster and on local
# processes).

# %%
display(Code(inspect.getsource(error_correction.first_stage),
             language="python"))

# %%
def grid_store(stage):
    """A folder per stage and setting, so that stale runs are never read."""
    if GRID_STORE is None:
        return None
    key = (f"{stage}-{profile.name}-{keras.backend.backend()}-w{WINDOW}"
           f"-k{ERROR_WINDOW}-h{HOLDOUT}-u{UNITS}-b{BATCH_SIZE}"
           f"-e{nn1_epochs}-{nn2_epochs}")
    return Path(GRID_STORE) / key


def run_grid(task, configs, stage):
    return grid.sweep(task, configs, seeds=seeds, store=grid_store(stage),
                      executor=GRID_EXECUTOR, n_jobs=GRID_JOBS)


def stage1(*, series, nn1, seed):
    """Fit NN1 on one series with one seed; score its test forecasts."""
    ds = sets[series]
    out = error_correction.first_stage(
        nn1, ds, epochs=nn1_epochs, batch_size=BATCH_SIZE, seed=seed,
        units=UNITS)
    forecast = out["nn1 forecast"][ds.test.target_pos]
    scores = error_correction.score(ds.actual("test"), forecast,
                                    ds.previous("test"))
    return {**scores, "forecast": forecast, **out}


grid_start = time.perf_counter()
first_runs = run_grid(
    stage1, grid.configurations(series=list(sets), nn1=list(kinds)),
    "nn1")
grid_seconds = {"NN1": time.perf_counter() - grid_start}
first_runs[["series", "nn1", "seed", "RMSE", "MAPE", "nn1 fit s"]].head()

# %% [markdown]
# ### The errors NN2 learns from
#
# NN1 has now forecast every row: the rows it was fit on (in-sample), the
# tail and the test rows (both out of sample). The paper trains NN2 on
# NN1's in-sample errors. Those come from rows whose answers NN1 was fitted
# to, so they behave differently from the errors NN1 makes on new rows,
# which are the ones NN2 has to correct on the test days. The tail's
# errors are out of sample like the test's. Raw sizes mislead here: the
# in-sample rows include the 2015 bubble, when every forecast erred by
# more. So besides the mean and standard deviation of each set of errors
# we give its RMSE relative to persistence's on the same rows (below 1:
# NN1 beats "tomorrow's high = today's high" there), the lag-1
# autocorrelation and the Ljung-Box p-value at 10 lags, averaged over
# seeds.

# %%
def error_profile(errors, actual, previous):
    box = error_correction.autocorrelation(errors, lags=10)
    return {"mean": np.mean(errors), "std": np.std(errors, ddof=1),
            "RMSE / persistence": (np.sqrt(np.mean(errors ** 2))
                                   / metrics.rmse(actual, previous)),
            "lag-1 acf": box.loc[1, "acf"],
            "Ljung-Box p": box.loc[10, "Ljung-Box p"]}


PARTS = {"train": "in-sample", "val": "tail", "test": "test"}
profiles = []
for row, forecast in zip(first_runs.itertuples(index=False),
                         first_runs["nn1 forecast"], strict=True):
    ds = sets[row.series]
    errors = ds.frame["high"].to_numpy() - forecast
    for part, label in PARTS.items():
        rows = ds.part(part).target_pos
        profiles.append({"series": row.series, "NN1": row.nn1,
                         "errors": label, "seed": row.seed,
                         **error_profile(errors[rows], ds.actual(part),
                                         ds.previous(part))})
profiles = pd.DataFrame(profiles)
error_table = profiles.groupby(["series", "NN1", "errors"], sort=False)[
    ["mean", "std", "RMSE / persistence", "lag-1 acf",
     "Ljung-Box p"]].mean()
error_table.round(3)

# %%
first_symbol, first_kind = symbols[0], kinds[0]
first_row = first_runs[(first_runs["series"] == first_symbol)
                       & (first_runs["nn1"] == first_kind)].iloc[0]
ds = sets[first_symbol]
first_errors = ds.frame["high"].to_numpy() - first_row["nn1 forecast"]
plots.error_histograms(
    {label: first_errors[ds.part(part).target_pos]
     for part, label in PARTS.items()},
    title=f"{first_symbol}: errors of NN1 = {first_kind}, seed "
          f"{first_row['seed']}")
plt.show()

# %%
relative = error_table["RMSE / persistence"].unstack("errors")
worse = (relative["test"] / relative["in-sample"]).rename(
    "test / in-sample")
box_p = error_table["Ljung-Box p"].unstack("errors")
print(f"relative to persistence, NN1's test errors are {worse.min():.2f} "
      f"to {worse.max():.2f} times its in-sample errors; larger in "
      f"{(worse > 1).sum()} of {len(worse)} (series, NN1) pairs")
print(f"Ljung-Box p < 0.05 on the test errors in "
      f"{(box_p['test'] < 0.05).sum()} of {len(box_p)} pairs, on the tail "
      f"errors in {(box_p['tail'] < 0.05).sum()}")
relative.assign(**{worse.name: worse}).round(2)

# %% [markdown]
# Read the table before the results. A mean far from zero on the tail or
# the test rows is a *bias* that persists, which NN2 can learn to remove
# if the tail shows the same bias as the test period. A large lag-1
# autocorrelation with a small Ljung-Box p-value means the errors have
# structure beyond the mean. And the in-sample errors differ from both: a
# different mean and, measured against persistence, a different size (the
# printed lines). An NN2 trained on them learns the dynamics of errors it
# will not meet. That is why our NN2 learns from the tail
# (`errors="held-out"`); the paper's way (`errors="in-sample"`) runs
# beside it. Both correct the very same NN1, so any difference between
# them comes from what NN2 learned from.
#
# ### Stage two: NN2
#
# NN2 reads the last `ERROR_WINDOW` errors. The package cuts its input
# windows in one function, which refuses a window that would read the
# error of the target day or a missing one; a test of the package moves
# the actual high of one test day and checks that no forecast of that day
# or before it changes.

# %%
display(Code(inspect.getsource(error_correction.error_windows),
             language="python"))

# %% [markdown]
# NN2 learns from the tail's errors or from the in-sample errors, which
# are about four times as many. So that the two differ only in *what* NN2
# learns from, it takes the same number of training steps either way:
# `nn2_epochs` passes over the tail, or correspondingly fewer over the
# in-sample errors:

# %%
def passes(series, errors):
    """NN2's passes: the same number of steps whichever errors it reads."""
    ds = sets[series]
    if errors == "held-out":
        return nn2_epochs
    return max(1, round(nn2_epochs * len(ds.val) / len(ds.train)))


for series in sets:
    print(f"{series}: NN2 passes over the tail "
          f"{passes(series, 'held-out')}, over the in-sample errors "
          f"{passes(series, 'in-sample')}")

# %%
first_forecasts = {
    (row.series, row.nn1, row.seed): {"nn1 forecast": forecast}
    for row, forecast in zip(first_runs.itertuples(index=False),
                             first_runs["nn1 forecast"], strict=True)}


def stage2(*, series, nn1, nn2, errors, seed):
    """Fit NN2 on one NN1's errors; score the corrected test forecasts."""
    ds = sets[series]
    out = error_correction.second_stage(
        nn2, ds, first_forecasts[series, nn1, seed], errors=errors,
        window=ERROR_WINDOW, epochs=passes(series, errors),
        batch_size=BATCH_SIZE, seed=seed, units=UNITS)
    scores = error_correction.score(ds.actual("test"), out["forecast"],
                                    ds.previous("test"))
    return {**scores, **out}


grid_start = time.perf_counter()
second_runs = run_grid(
    stage2, grid.configurations(
        series=list(sets), nn1=list(kinds), nn2=list(kinds),
        errors=list(error_correction.ERRORS)), "nn2")
grid_seconds["NN2"] = time.perf_counter() - grid_start
print(f"{len(first_runs)} NN1 runs in {grid_seconds['NN1']:.0f} s and "
      f"{len(second_runs)} NN2 runs in {grid_seconds['NN2']:.0f} s "
      f"({GRID_EXECUTOR or 'in-process'})")

# %% [markdown]
# :::{admonition} Running the grid elsewhere
# :class: tip
# Nothing above depends on where the runs happen. With
# `GRID_EXECUTOR = "loky"` the runs go to local worker processes (one per
# core unless `GRID_JOBS` says otherwise); with `GRID_EXECUTOR = "dask"`
# they go to the Dask cluster of the last `distributed.Client` made in the
# kernel, for example `Client(LocalCluster(n_workers=8))` on a large
# machine or `Client("tcp://scheduler:8786")` on a university cluster.
# With `GRID_STORE` set to a folder, every finished run is written there
# and read back when the notebook runs again, so an interrupted grid
# resumes where it stopped.
# :::
#
# ### One tidy table
#
# Both stages end up in one table: a row per run, with the series, the two
# networks, where NN2's errors came from, the seed, the four metrics and
# the training seconds (NN1's, plus NN2's for two-stage runs). The label
# follows the paper: "GRU" is NN1 alone, "GRU,LSTM" is NN1 = GRU corrected
# by NN2 = LSTM.

# %%
METRICS = ["RMSE", "MAPE", "MASE", "DA"]
alone = first_runs.assign(nn2="none", errors="none",
                          **{"fit s": first_runs["nn1 fit s"]})
nn1_seconds = first_runs.set_index(["series", "nn1", "seed"])["nn1 fit s"]
two = second_runs.assign(**{"fit s": second_runs["nn2 fit s"].to_numpy()
                            + nn1_seconds.loc[list(zip(
                                second_runs["series"], second_runs["nn1"],
                                second_runs["seed"], strict=True))]
                            .to_numpy()})
runs = pd.concat([alone, two], ignore_index=True)
runs["model"] = np.where(runs["nn2"] == "none", runs["nn1"],
                         runs["nn1"] + "," + runs["nn2"])
runs = runs[["series", "model", "nn1", "nn2", "errors", "seed", *METRICS,
             "fit s", "forecast"]]
print(f"{len(runs)} runs: {runs['series'].nunique()} series x "
      f"{runs['model'].nunique()} models, {len(seeds)} seeds")
runs.drop(columns="forecast").head(8).round(3)

# %% [markdown]
# ### Our numbers beside the paper's
#
# For each series, the table below gives the mean ± standard deviation over
# seeds of each metric for the paper's twelve configurations (NN2 learning
# from the tail), the paper's number beside each (a dash where the source
# lost it or where the paper did not run the configuration), and the two
# baselines on the same test rows: persistence (tomorrow's high = today's
# high) and the linear baseline (a linear regression on the same inputs,
# relative to the last close, chapter 2). The two p-values are
# Diebold-Mariano tests of equal squared error for the seed-averaged
# forecast, against NN1 alone and against persistence. Averaging the
# seeds' forecasts cancels part of their individual biases, so that
# forecast can be more accurate than the typical seed: a small p-value
# against persistence beside a mean RMSE near persistence's is no
# contradiction.

# %%
paper = papers.bao2021_results()
ORDER = [m for k in kinds for m in [k] + [f"{k},{n}" for n in kinds]]
held = runs[runs["errors"].isin(["none", "held-out"])]
summaries = {}
seed_mean = {}  # (series, model, errors) -> seed-averaged test forecast
for (series, model, source), group in runs.groupby(
        ["series", "model", "errors"], sort=False):
    seed_mean[series, model, source] = np.mean(np.stack(group["forecast"]),
                                               axis=0)
for series in sets:
    ds = sets[series]
    actual, previous = ds.actual("test"), ds.previous("test")
    table = grid.summary(held[held["series"] == series], "model",
                         [*METRICS, "fit s"]).reindex(ORDER)
    for base, forecast in (("persistence", previous),
                           ("linear", baselines.linear_on_window(ds))):
        table.loc[base, METRICS] = pd.Series(
            error_correction.score(actual, forecast, previous))
        seed_mean[series, base, "none"] = forecast
    for model in table.index:
        source = "held-out" if "," in model else "none"
        error = actual - seed_mean[series, model, source]
        nn1 = model.split(",")[0]
        if "," in model:
            table.loc[model, "DM NN1 p"] = metrics.diebold_mariano(
                error, actual - seed_mean[series, nn1, "none"])[1]
        if model != "persistence":
            table.loc[model, "DM pers p"] = metrics.diebold_mariano(
                error, actual - previous)[1]
    theirs = (paper.loc[series] if series in paper.index.get_level_values(0)
              else pd.DataFrame(columns=paper.columns))
    for col in [*METRICS, "time"]:
        table[f"{col} paper"] = theirs[col].reindex(table.index)
    summaries[series] = table
P_NAMES = {"DM NN1 p": "p vs NN1", "DM pers p": "p vs pers."}


def show_errors(series):
    cols = ["RMSE paper", "RMSE", "RMSE std", "MAPE paper", "MAPE",
            "MAPE std", "MASE paper", "MASE", "MASE std", "DM NN1 p",
            "DM pers p"]
    shown = tables.format_table(summaries[series][cols],
                                decimals={"MAPE": 3, "MASE": 3})
    return shown.rename(columns=P_NAMES).rename_axis(series)


show_errors(symbols[0])

# %%
show_errors(symbols[-1])

# %% [markdown]
# Direction and time, with the paper's numbers beside ours (remember that
# the paper's time is forecasting time and ours training time):

# %%
def show_direction(series):
    cols = ["DA paper", "DA", "DA std", "time paper", "fit s",
            "fit s std", "seeds"]
    shown = tables.format_table(summaries[series][cols],
                                decimals={"DA": 3})
    return shown.rename_axis(series)


pd.concat({series: show_direction(series) for series in sets}, axis=1)

# %% [markdown]
# How close are we? For every cell where the paper gives an RMSE, ours
# minus the paper's, and whether the paper's number lies within two
# standard deviations of our seeds' mean:

# %%
closeness = []
for series, table in summaries.items():
    cells = table.loc[ORDER].dropna(subset=["RMSE paper"])
    for model, row in cells.iterrows():
        closeness.append({
            "series": series, "model": model,
            "stage": "two-stage" if "," in model else "NN1 alone",
            "ours - paper": row["RMSE"] - row["RMSE paper"],
            "within 2 std": abs(row["RMSE"] - row["RMSE paper"])
            <= 2 * row["RMSE std"]})
closeness = pd.DataFrame(closeness)
for (series, stage), group in closeness.groupby(["series", "stage"]):
    print(f"{series}, {stage}: ours - paper from "
          f"{group['ours - paper'].min():+.2f} to "
          f"{group['ours - paper'].max():+.2f}; paper within two seed "
          f"standard deviations in {group['within 2 std'].sum()} of "
          f"{len(group)} cells")

# %% [markdown]
# With the `full` profile, the recurrent two-stage cells on Shanghai land
# close to the paper's numbers, while our first networks alone are worse than
# the paper's and vary a lot from seed to seed (the paper gives no spread);
# the MLP is worse in both stages. On Shenzhen, where the paper ran only the
# GRU, our numbers are lower than the paper's. The tables also show what the
# paper does not: every first network alone is, on average over seeds, worse
# than persistence or barely better, and the linear baseline on the same
# inputs is about as good as the best two-stage networks on Shanghai (no
# significant difference) and better than all of them on Shenzhen.
#
# ### NN2 from the tail, or from in-sample errors?
#
# The same twelve cells with NN2 trained the paper's way, beside ours: mean
# RMSE over seeds, its standard deviation, and a Diebold-Mariano p-value
# between the two seed-averaged forecasts.

# %%
source_rows = []
for series in sets:
    actual = sets[series].actual("test")
    for model in ORDER:
        if "," not in model:
            continue
        row = {"series": series, "model": model}
        for source in error_correction.ERRORS:
            cell = runs[(runs["series"] == series) & (runs["model"] == model)
                        & (runs["errors"] == source)]["RMSE"]
            row[f"RMSE {source}"] = cell.mean()
            row[f"RMSE {source} std"] = cell.std(ddof=1)
        row["DM p"] = metrics.diebold_mariano(
            actual - seed_mean[series, model, "held-out"],
            actual - seed_mean[series, model, "in-sample"])[1]
        source_rows.append(row)
source_table = pd.DataFrame(source_rows).set_index(["series", "model"])
source_gap = (source_table["RMSE in-sample"]
              - source_table["RMSE held-out"])
print(f"in-sample minus held-out RMSE: mean {source_gap.mean():+.2f}, "
      f"from {source_gap.min():+.2f} to {source_gap.max():+.2f}; held-out "
      f"lower in {(source_gap > 0).sum()} of {len(source_gap)} cells, "
      f"DM p < 0.05 in {(source_table['DM p'] < 0.05).sum()}")
tables.format_table(source_table)

# %% [markdown]
# The printed line sums it up. Learning from the tail is the sound choice
# on principle, because those are the errors NN2 will meet. In practice,
# with the `full` profile, it gives the better correction on Shanghai
# (significantly in several cells), while on Shenzhen the in-sample errors
# do a little better, mostly within the noise: neither source wins
# everywhere. The reason is in the verdict below: much of what NN2 learns
# is the recent *level* of NN1's errors, and the last five errors tell it
# that level at test time whichever errors it was trained on.
#
# The last `ERROR_WINDOW` days of the tail feed NN2 on the first test days,
# and from then on NN2 reads the test days' own errors as they become
# known. The forecasts of the paper's favourite kind of NN1 (GRU) against
# the actual high, over the last weeks of each test period:

# %%
for series, ds in sets.items():
    nn1 = "GRU" if "GRU" in kinds else kinds[0]
    table = summaries[series]
    best_nn2 = table.loc[[f"{nn1},{n}" for n in kinds], "RMSE"].idxmin()
    shown = {label: np.stack(runs[(runs["series"] == series)
                                  & (runs["model"] == label)
                                  & (runs["errors"] == source)]["forecast"])
             for label, source in ((nn1, "none"), (best_nn2, "held-out"))}
    plots.forecast_vs_actual(
        ds, shown, last_n=40,
        title=f"{series}: next-day high, NN1 alone and corrected "
              f"(seed mean, band: lowest to highest seed)")
    plt.show()

# %% [markdown]
# ### The result rows
#
# One row per series and configuration, with the paper's RMSE where it
# exists, for the course's verdict page.

# %%
result_rows = []
for series, table in summaries.items():
    for model in ORDER:
        result_rows.append({
            "experiment": f"{series} {model}", "metric": "RMSE",
            "paper": table.loc[model, "RMSE paper"],
            "ours": table.loc[model, "RMSE"],
            "ours std": table.loc[model, "RMSE std"],
            "seeds": table.loc[model, "seeds"],
            "persistence": table.loc["persistence", "RMSE"],
            "linear": table.loc["linear", "RMSE"],
            "DM p": table.loc[model, "DM pers p"],
            "note": "next-day high; NN2 on held-out errors"})
result_rows = pd.DataFrame(result_rows)
results.save("06_error_correction", result_rows, profile=profile.name)
tables.format_table(result_rows.set_index("experiment").drop(
    columns=["metric", "note"]))

# %% [markdown]
# ## Our best honest forecast of the next-day high
#
# The networks above read price *levels*, scaled with the training range.
# Everything chapter 3 taught suggests another way: describe each day
# relative to its close and forecast the change. Today's bar relative to
# its close (the open, high and low as log ratios to the close), the day's
# range (log of high over low) and the close's log return say how wide
# and in which direction the market moved; the target is the log change
# from today's high to tomorrow's. Three candidates see the same five-day
# windows of these inputs: the linear baseline, a GRU of 30 units (the
# target standardised, averaged over seeds), and the average of the two.
# All are fit on the training rows; the one with the lowest RMSE on the
# tail is chosen *before* looking at the test rows, and only then scored
# on them.

# %%
RELATIVE = ["open_rel", "high_rel", "low_rel", "return", "range"]


def relative_frame(frame):
    """Each day relative to its close, and the day's range (logs)."""
    close = frame["close"]
    return frame.assign(
        open_rel=np.log(frame["open"] / close),
        high_rel=np.log(frame["high"] / close),
        low_rel=np.log(frame["low"] / close),
        range=np.log(frame["high"] / frame["low"]),
        **{"return": np.log(close).diff()}).iloc[1:]


best_sets, best_forecasts, best_choice = {}, {}, {}
best_seeds = seeds[:5]
for series, ds in sets.items():
    frame = relative_frame(ds.frame)
    split = splits.chronological_split(frame, training_ends[series],
                                       val=HOLDOUT)
    rel = prep.make_dataset(frame, split, features=RELATIVE,
                            targets="high", window=WINDOW,
                            target_kind="log_return", scale="standard")
    assert np.array_equal(rel.test.dates, ds.test.dates)
    scale = rel.train.y.std()
    nets = [error_correction.fit_network(
        "GRU", rel.train.X, rel.train.y / scale, epochs=best_epochs,
        batch_size=BATCH_SIZE, seed=seed, units=UNITS)
        for seed in best_seeds]
    candidates = {}
    for part in ("val", "test"):
        net = np.mean([rel.to_price(error_correction.outputs(
            m, rel.part(part).X) * scale, part) for m in nets], axis=0)
        lin = baselines.linear_on_window(rel, part)
        candidates[part] = {"linear": lin, "GRU": net,
                            "average": (lin + net) / 2}
    val_rmse = {name: metrics.rmse(rel.actual("val"), f)
                for name, f in candidates["val"].items()}
    best_choice[series] = min(val_rmse, key=val_rmse.get)
    best_sets[series] = rel
    best_forecasts[series] = candidates["test"]
    print(f"{series}: tail RMSE " + ", ".join(
        f"{k} {v:.2f}" for k, v in val_rmse.items())
        + f" -> {best_choice[series]}")

# %%
BEST = "paper's best"
paper_best = {}
for series in sets:
    if series in paper.index.get_level_values(0):
        reported = paper.loc[series, "RMSE"].dropna()
        paper_best[series] = reported.idxmin()
best_rows = {}
for series, rel in best_sets.items():
    actual, previous = rel.actual("test"), rel.previous("test")
    ours = best_forecasts[series][best_choice[series]]
    row = {"model": best_choice[series],
           **error_correction.score(actual, ours, previous),
           "persistence RMSE": metrics.rmse(actual, previous),
           "p vs pers.": metrics.diebold_mariano(actual - ours,
                                                 actual - previous)[1]}
    cell = paper_best.get(series)
    if cell in ORDER:
        row[BEST] = cell
        row["its RMSE (paper)"] = paper.loc[(series, cell), "RMSE"]
        row["its RMSE (ours)"] = summaries[series].loc[cell, "RMSE"]
        row["p vs it"] = metrics.diebold_mariano(
            actual - ours, actual - seed_mean[series, cell, "held-out"])[1]
    best_rows[series] = row
best_table = pd.DataFrame(best_rows).T
best_table.round(3)

# %%
for series, row in best_table.iterrows():
    significant = row["p vs pers."] < 0.05
    verdict = ("beats persistence" if significant
               and row["RMSE"] < row["persistence RMSE"]
               else "not significantly better than persistence")
    line = (f"{series}: {row['model']} RMSE {row['RMSE']:.2f} vs "
            f"persistence {row['persistence RMSE']:.2f} "
            f"(DM p = {row['p vs pers.']:.3f}): {verdict}")
    if pd.notna(row.get("p vs it")):
        line += (f"; the paper's best cell {row[BEST]} reported "
                 f"{row['its RMSE (paper)']:.2f}, our runs of it "
                 f"{row['its RMSE (ours)']:.2f} (DM p = "
                 f"{row['p vs it']:.3f})")
    print(line)

# %% [markdown]
# The model chosen on the tail reads no price levels, so it has no offset
# to learn and no scaling trap to fall into; on both series it beats
# persistence clearly (the DM p-values above). Against the paper's best
# configuration there are two comparisons. Its *reported* RMSE is a
# number without forecasts, so all we can do is put ours beside it. Our
# ten-seed runs of the same configuration, on the same rows, can be
# tested: compare the two RMSEs and read the last p-value. A lower RMSE
# with a p-value above 0.05 means that over a test period this short the
# difference could be luck. With the `full` profile the answer is yes
# against persistence on both series; against the paper's best
# configuration as we ran it, our RMSE is lower but not significantly so;
# and it is also below the RMSE the paper reports for that configuration.
#
# ## Verdict: does the second stage help here?
#
# The question has three parts. Does NN2 lower NN1's error on the test
# rows, seed by seed? Is that more than the spread between seeds, and is
# it significant for the seed-averaged forecast? And does the corrected
# forecast beat the forecasts that need no network at all? For each first
# network we take its best second stage (NN2 learning from the tail) and
# compare, seed by seed, the RMSE of NN1 alone with the RMSE after
# correction: both use the same NN1, so the difference is NN2's doing.

# %%
verdict_rows = []
for series, table in summaries.items():
    ds = sets[series]
    actual = ds.actual("test")
    in_series = runs[(runs["series"] == series)
                     & runs["errors"].isin(["none", "held-out"])]
    per_seed = in_series.pivot_table(index="seed", columns="model",
                                     values="RMSE")
    for nn1 in kinds:
        cells = [f"{nn1},{n}" for n in kinds]
        best = table.loc[cells, "RMSE"].idxmin()
        gain = per_seed[nn1] - per_seed[best]  # > 0: NN2 helped
        two = seed_mean[series, best, "held-out"]
        verdict_rows.append({
            "series": series, "NN1": nn1, "best": best,
            "NN1 RMSE": table.loc[nn1, "RMSE"],
            "NN1 RMSE std": table.loc[nn1, "RMSE std"],
            "corrected": table.loc[best, "RMSE"],
            "corrected std": table.loc[best, "RMSE std"],
            "gain": gain.mean(), "gain std": gain.std(ddof=1),
            "seeds better": f"{(gain > 0).sum()} of {len(gain)}",
            "DM vs NN1 p": table.loc[best, "DM NN1 p"],
            "DM vs linear p": metrics.diebold_mariano(
                actual - two,
                actual - seed_mean[series, "linear", "none"])[1]})
verdict = pd.DataFrame(verdict_rows).set_index(["series", "NN1"])
for (series, nn1), row in verdict.iterrows():
    lin = summaries[series].loc["linear", "RMSE"]
    pers = summaries[series].loc["persistence", "RMSE"]
    print(f"{series}, {nn1} -> {row['best']}: RMSE "
          f"{row['NN1 RMSE']:.2f} -> {row['corrected']:.2f}, gain "
          f"{row['gain']:+.2f} ± {row['gain std']:.2f} over seeds, "
          f"better in {row['seeds better']} seeds (DM p "
          f"{row['DM vs NN1 p']:.3f}); persistence {pers:.2f}, linear "
          f"{lin:.2f} (DM p vs linear {row['DM vs linear p']:.3f})")
tables.format_table(verdict)

# %% [markdown]
# Put into words (the printed lines carry the numbers; with the `full`
# profile's ten seeds the pattern is as follows, the `fast` profile's two
# seeds and few epochs are only a preview):
#
# * **On the Shanghai data the second stage repairs the recurrent first
#   networks**, in almost every seed and far beyond the noise of the DM
#   test: their errors drop to the neighbourhood of the paper's two-stage
#   numbers. It also removes most of the spread between seeds: NN1's seeds
#   differ mainly in a bias, too high or too low for months, which shows
#   in the tail's errors and which NN2 subtracts (exercise
#   {ref}`ch06-ex2`: there a single number, the tail's average error, does
#   nearly all of the work).
# * **On the Shenzhen data the gains are smaller than the spread between
#   seeds**, and the seed-averaged forecasts of NN1 alone and corrected are
#   not significantly different. There the bias of the tail is not the
#   bias of the test period, and a constant correction helps little or
#   hurts.
# * **The corrected networks are no better than a linear model.** On
#   Shanghai the best two-stage forecasts are about as good as the linear
#   baseline on the same inputs (no significant difference); on Shenzhen
#   they are worse (last column). Both beat persistence; the paper's
#   first networks (MASE above 1 in its tables) did not, which is why its
#   second stage looked so useful. The MLP first network fails on
#   Shenzhen for a reason no second stage can fix: part of the test
#   period's volume lies above the training range (the data section),
#   and an unbounded ReLU network extrapolates it (the scaling trap of
#   chapter 3), while the gated cells saturate.
# * **Why it helps where it helps.** A network that forecasts the *level*
#   of the high from scaled levels has to learn the identity "tomorrow is
#   near today" through squashing units, and each seed ends with its own
#   offset. A second stage that learns from recent errors is a cheap way
#   to estimate and remove that offset. A first stage that forecasts
#   *changes* relative to the last close (the best honest forecast above)
#   has no such offset to remove, though its errors can still carry some
#   autocorrelation (exercise {ref}`ch06-ex3`).

# %%
print(f"chapter executed in {time.perf_counter() - chapter_start:.0f} s "
      f"({time.process_time():.0f} s of CPU in this kernel; profile "
      f"{profile.name})")

# %% [markdown]
# ## Summary
#
# * A second stage can forecast a first model's errors only if they are
#   autocorrelated; the Ljung-Box test checks that before any network is
#   trained. A persistent bias is the simplest such structure.
# * NN2 may read only errors of days whose actual value is known: the
#   package cuts its inputs in one place and a test moves a future actual
#   to prove nothing earlier changes.
# * In-sample errors are smaller and differently distributed than the
#   errors a model makes on new rows. A second stage should learn from
#   errors on rows the first stage never saw, here the tail of the
#   training period; the paper's in-sample way runs beside it.
# * The grid runner turns configurations x seeds into one tidy table,
#   resumes from a folder of finished runs, and fans out to processes or a
#   Dask cluster with the same rows.
# * On the paper's data the second stage mainly repairs first networks
#   that end training with a level bias (Shanghai); where the tail's
#   errors do not resemble the test period's (Shenzhen), its gains are
#   within the spread across seeds. The two-stage networks are not
#   significantly better than the linear baseline, and a model on inputs
#   relative to the last close, chosen on the tail, is at least as good as
#   any of them.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch06-ex1
# Replace NN2 by the least-squares regression of section 1 (`fit_ar`,
# `apply_ar`): fit it on each NN1's tail errors (every NN1 and seed of the
# grid), correct the test forecasts and compare the mean RMSE with the
# three network NN2. Does a network find more than a linear function of
# the last five errors?
# :::
#
# ```{solution-start} ch06-ex1
# :class: dropdown
# ```
# The tail's errors and the test's are consecutive rows, so the regression
# is fit on the tail and applied to the tail's last `ERROR_WINDOW` errors
# followed by the test errors:

# %%
ex1_rows = []
for (series, nn1, seed), first in first_forecasts.items():
    ds = sets[series]
    errors = ds.frame["high"].to_numpy() - first["nn1 forecast"]
    tail, test = ds.val.target_pos, ds.test.target_pos
    weights = fit_ar(errors[tail])
    fix = apply_ar(weights, errors[tail[-ERROR_WINDOW]:test[-1] + 1])
    ex1_rows.append({"series": series, "NN1": nn1, "seed": seed,
                     "linear NN2": metrics.rmse(
                         ds.actual("test"),
                         first["nn1 forecast"][test] + fix)})
ex1 = pd.DataFrame(ex1_rows).groupby(["series", "NN1"], sort=False)[
    "linear NN2"].mean().to_frame()
for series, table in summaries.items():
    for nn1 in kinds:
        for nn2 in kinds:
            ex1.loc[(series, nn1), f"NN2 = {nn2}"] = table.loc[
                f"{nn1},{nn2}", "RMSE"]
        ex1.loc[(series, nn1), "NN1 alone"] = table.loc[nn1, "RMSE"]
ex1.round(2)

# %% [markdown]
# Compare the first column with the three NN2 columns, row by row. The
# regression has six weights, the networks thousands; where their RMSEs
# are about equal, the networks have found nothing a linear function of
# the last five errors could not find.
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch06-ex2
# How much of NN2's work is a constant? Correct every NN1 (every seed) by
# the plain average of its tail errors, a single number, and compare the
# RMSE with NN1 alone and with the best NN2.
# :::
#
# ```{solution-start} ch06-ex2
# :class: dropdown
# ```
# The constant is the mean error on the tail, known before the test
# period starts:

# %%
ex2_rows = []
for (series, nn1, seed), first in first_forecasts.items():
    ds = sets[series]
    errors = ds.frame["high"].to_numpy() - first["nn1 forecast"]
    bias = errors[ds.val.target_pos].mean()
    forecast = first["nn1 forecast"][ds.test.target_pos] + bias
    ex2_rows.append({"series": series, "NN1": nn1, "seed": seed,
                     "tail bias": bias,
                     "bias-corrected": metrics.rmse(ds.actual("test"),
                                                    forecast)})
ex2 = pd.DataFrame(ex2_rows).groupby(["series", "NN1"], sort=False)[
    ["tail bias", "bias-corrected"]].mean()
for series, table in summaries.items():
    for nn1 in kinds:
        ex2.loc[(series, nn1), "NN1 alone"] = table.loc[nn1, "RMSE"]
        ex2.loc[(series, nn1), "best NN2"] = table.loc[
            [f"{nn1},{n}" for n in kinds], "RMSE"].min()
ex2.round(2)

# %% [markdown]
# Where the bias-corrected column is close to the best NN2, the second
# stage is mostly a bias correction: the first network was systematically
# too high or too low, in the tail and in the test period alike, and one
# number repairs most of it. Where the tail bias is small, neither the
# constant nor NN2 changes much.
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch06-ex3
# Use the linear baseline as the first stage. Its errors on the tail are
# out of sample (it is fit on the training rows only). Train an NN2 of
# each kind on them, over the exercise seeds, and correct the linear
# forecast of the test rows. Does a second stage help a first stage that
# is already good?
# :::
#
# ```{solution-start} ch06-ex3
# :class: dropdown
# ```
# `baselines.linear_on_window` forecasts the windows of each part; we put
# those forecasts into one array by row, as `first_stage` does for NN1,
# and hand it to `second_stage`:

# %%
ex3_seeds = seeds[:profile.pick(fast=1, full=3)]
ex3_rows = []
for series, ds in sets.items():
    linear = np.full(len(ds.frame), np.nan)
    for part in ("train", "val", "test"):
        linear[ds.part(part).target_pos] = baselines.linear_on_window(
            ds, part)
    actual, previous = ds.actual("test"), ds.previous("test")
    row = {"linear": metrics.rmse(actual, linear[ds.test.target_pos])}
    for nn2 in kinds:
        forecasts = [error_correction.second_stage(
            nn2, ds, {"nn1 forecast": linear}, window=ERROR_WINDOW,
            epochs=nn2_epochs, batch_size=BATCH_SIZE, seed=seed,
            units=UNITS)["forecast"] for seed in ex3_seeds]
        mean = np.mean(forecasts, axis=0)
        row[f"linear,{nn2}"] = metrics.rmse(actual, mean)
        row[f"linear,{nn2} p"] = metrics.diebold_mariano(
            actual - mean, actual - linear[ds.test.target_pos])[1]
    ex3_rows.append(pd.Series(row, name=series))
tables.format_table(pd.DataFrame(ex3_rows))

# %% [markdown]
# Compare each corrected RMSE with the first column and read its p-value
# (against the linear forecast alone). The linear model has no level
# offset to remove, yet on one of the two series its errors are
# autocorrelated enough that the correction still helps; on the other it
# makes the forecast worse. A second stage is no reliable improvement of a
# good first stage: whether the tail's errors say something about the
# test period's is a property of the period, and only data the model has
# not seen can tell.
#
# ```{solution-end}
# ```
