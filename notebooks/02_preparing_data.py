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
# # Preparing data
#
# A neural network does not see "a stock". It sees arrays of numbers: windows
# of past values and a target for each. How those arrays are cut from the
# price series decides whether the test score means anything. This chapter
# builds them step by step, and at each step measures what goes wrong when it
# is done carelessly. It ends with the yardstick every later model is held
# against: the forecast "tomorrow's price is today's price".
#
# **Learning goals.** After this chapter you can
#
# * explain why price levels are not stationary while returns nearly are, and
#   test it;
# * split a series in time order into training, validation and test parts,
#   and explain why random shuffling across time leaks the future;
# * fit a scaler on the training part only, and measure what happens when it
#   is not;
# * train a small network (loss, batches, Adam, epochs, a seed) with early
#   stopping on a validation slice, and read its learning curve;
# * cut a series into (window, target) pairs and check that no target is
#   among its inputs;
# * compute the naive baselines and the usual error measures (RMSE, MAE,
#   MAPE, MASE, direction accuracy, and the Diebold-Mariano test) on the same
#   test rows;
# * compare a published RNN/LSTM result with the persistence forecast, and
#   detect a model that has merely learned to repeat yesterday's price.

# %%
import inspect
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Code, Markdown, display
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.stattools import adfuller

from stocklearn import (
    backend,
    baselines,
    checks,
    data,
    evaluation,
    experiments,
    metrics,
    models,
    papers,
    plots,
    positive_control,
    prep,
    prose,
    settings,
    splits,
    tables,
    training,
)

plots.set_style()  # the course's figure style, also for the one-off figures

# %% tags=["parameters"]
PROFILE = None      # "fast" or "full"; None: $STOCKLEARN_PROFILE, else "fast"
DATASET = "csi300"  # data.list_datasets() name, or a CSV file's path
EPOCHS = None       # None: the profile's choice
SEEDS = None        # None: the profile's seeds

# %%
profile = settings.get_profile(PROFILE)
epochs = EPOCHS or profile.pick(fast=15, full=60)
seeds = list(SEEDS or profile.seeds)
df = data.load(DATASET)
meta = data.describe(DATASET)
display(Markdown(settings.run_note(
    profile, "notebooks/02_preparing_data", backend=backend.BACKEND,
    details=f"{epochs} epochs, seeds {seeds}")))
print(f"{meta.description}: {len(df)} rows, "
      f"{df.index[0]:%Y-%m-%d} to {df.index[-1]:%Y-%m-%d}")

# %% [markdown]
# ## Prices or returns?
#
# Most statistical and machine-learning methods assume that the data they
# learn from and the data they are applied to come from the same distribution.
# For a time series that means **stationarity**: mean, variance and
# correlations do not change over time. A price series is the textbook
# counter-example. A simple model of it is the random walk,
#
# $$
# p_t = p_{t-1} + \varepsilon_t \quad\Longrightarrow\quad
# p_t = p_0 + \sum_{s=1}^{t} \varepsilon_s, \qquad
# \operatorname{Var}(p_t) = t\,\sigma^2,
# $$
#
# whose spread grows without bound: the range of prices seen in training says
# nothing about the range in the test period. Its *changes* $\varepsilon_t$,
# on the other hand, have a constant distribution. The histograms below split
# the series of `DATASET` in two halves:

# %%
close = df["close"]
lr = prep.log_returns(close)
half = len(df) // 2
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
for part, label in [(slice(None, half), "first half"),
                    (slice(half, None), "second half")]:
    ax1.hist(close.iloc[part], bins=60, alpha=0.6, density=True, label=label)
    ax2.hist(lr.iloc[part].dropna(), bins=120, alpha=0.6, density=True,
             label=label)
ax1.set(title="Close", xlabel="price")
ax2.set(title="Daily log return", xlabel="log return", xlim=(-0.08, 0.08))
ax1.legend()
plt.tight_layout()
plt.show()
# where the halves sit: the price medians, the return means (in sds)
price_shift = abs(close.iloc[:half].median() - close.iloc[half:].median())
return_shift = abs(lr.iloc[:half].mean() - lr.iloc[half:].mean())
checks.claim(price_shift > 0.25 * close.std()
             and return_shift < 0.1 * lr.std(),
             "the price histograms of the two halves sit in different "
             "places; the return histograms are centred at the same place")

# %% [markdown]
# The price histograms of the two halves sit in different places: the level
# the series wandered to decides what "typical" means. The return histograms
# of the two halves are centred at the same place and differ mostly in width
# (the volatility clustering of chapter 1). The **augmented Dickey-Fuller
# (ADF) test** makes this formal. It fits
#
# $$
# \Delta y_t = \alpha + \beta\, y_{t-1}
#   + \sum_{i=1}^{k} \gamma_i\, \Delta y_{t-i} + u_t
# $$
#
# and tests the null hypothesis $\beta = 0$, a *unit root* (random-walk-like
# behaviour). The number of lagged differences $k$ (here at most 20) is chosen
# by the AIC. A small p-value rejects the unit root, i.e. is evidence for
# stationarity.

# %%
series = {"close": close, "log(close)": np.log(close),
          "log return": lr.dropna()}
# statsmodels >= 0.15 announces a new result type
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    adf = pd.DataFrame(
        {name: dict(zip(["ADF statistic", "p-value"],
                        adfuller(s, maxlag=20, autolag="AIC")[:2],
                        strict=True))
         for name, s in series.items()}).T
adf["unit root rejected at 5%"] = adf["p-value"] < 0.05
display(adf)
checks.claim(adf.loc["log return", "p-value"] < 1e-6,
             "for returns it rejects it overwhelmingly")

# %% [markdown]
# For most price series the test cannot reject a unit root (the last column
# gives the verdict for `DATASET`); for returns it rejects it overwhelmingly.
# A single test on a single window is weak evidence, though: a price that
# happened to drift back to where it started can pass as stationary (see the
# first exercise), while the argument above, that price ranges drift and
# return distributions do not, holds for every market. This is why many
# careful studies model returns. The paper reproduced in this chapter and the
# next, {cite}`lu2024`, predicts price levels directly; we follow it to
# reproduce its numbers, and this chapter shows the price that choice carries.

# %% [markdown]
# ## A chronological split
#
# A forecast is used on days that come *after* everything the model was fit
# on. The evaluation must copy that situation: train on the past, test on the
# future. With `splits.chronological_split` we cut the rows, in time order,
# into
#
# * a **training** part the model is fit on,
# * a **validation** slice taken from the end of the training period (to
#   choose epochs and settings, for example by early stopping), and
# * a **test** part that is used once, at the end, to report the result.
#
# `train` can be a number of rows, a fraction or a last date; `val` is a
# number of rows or a fraction of the training period.

# %%
split = splits.chronological_split(df, 0.8, val=0.1)
split.describe()

# %%
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.plot(close, lw=0.8, color="k")
for part, color in [("train", "C0"), ("val", "C1"), ("test", "C2")]:
    start, end = getattr(split, part)
    ax.axvspan(df.index[start], df.index[end - 1], color=color, alpha=0.2,
               label=part)
ax.set(title=f"{meta.description}: chronological split", ylabel="close")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ### Why shuffling across time leaks
#
# Many machine-learning tutorials start with
# `train_test_split(X, y, shuffle=True)`. On a time series this puts each test
# day between training days. Two things go wrong. First, the neighbours of a
# test day, including the *following* day, are in the training data, and
# prices on neighbouring days are nearly equal: a model can "forecast" a test
# day by interpolating between the days around it, which it could never do in
# real use. Second, with windows of past values as inputs, the price on a test
# day also appears as an *input* of the training windows that follow it.
#
# Let us measure both on `DATASET`, with a 20-day window and a random
# {glue:text}`held_out:.0%` of the windows held out as "test":

# %%
w20 = prep.make_windows(close, close, window=20, index=df.index)
HELD_OUT = 0.2  # the share of windows the random split holds out
prose.glue("held_out", HELD_OUT)
rng = np.random.default_rng(0)
is_test = rng.random(len(w20)) < HELD_OUT
train_inputs = np.zeros(len(df), dtype=bool)
for first, last in zip(w20.first_input_pos[~is_test],
                       w20.last_input_pos[~is_test], strict=True):
    train_inputs[first:last + 1] = True
seen = train_inputs[w20.target_pos[is_test]].mean()
print(f"random split: {seen:.1%} of the test targets appear as an input "
      f"of a training window")

t = w20.target_pos[is_test]
t = t[t + 1 < len(df)]
truth = close.to_numpy()
# uses the day AFTER the target
interpolation = (truth[t - 1] + truth[t + 1]) / 2
print(f"'forecast' = mean of the day before and the day after: "
      f"RMSE {metrics.rmse(truth[t], interpolation):.2f}")
print(f"persistence (the day before only):                 "
      f"RMSE {metrics.rmse(truth[t], truth[t - 1]):.2f}")
checks.claim(seen > 0.99, "with a random split virtually every test price "
             "was shown to the model during training")
checks.claim(metrics.rmse(truth[t], interpolation)
             < 0.85 * metrics.rmse(truth[t], truth[t - 1]),
             "a forecast that peeks one day ahead beats the honest "
             "persistence forecast by a wide margin")

# %% [markdown]
# With a random split virtually every test price was shown to the model
# during training, and a forecast that peeks one day ahead beats the honest
# persistence forecast by a wide margin. A network trained on shuffled windows
# can exploit exactly this. (Shuffling the *training windows among themselves*
# at every epoch, as `training.fit` does, is harmless: it changes the order of
# gradient steps, not what the model is allowed to see.)

# %% [markdown]
# ## Scaling, fitted on the training part only
#
# Neural networks train best on inputs of order one. The usual recipe, and
# the one {cite}`lu2024` uses, is min-max scaling,
#
# $$
# x' = \frac{x - x_{\min}}{x_{\max} - x_{\min}},
# $$
#
# which maps the data to $[0, 1]$. The question is *which* data provide
# $x_{\min}$ and $x_{\max}$. If the whole series does, the scaled training
# data already encode the highest and lowest price of the test period:
# information from the future. `prep.FittedScaler` (used inside
# `prep.make_dataset`) is fit on the training rows only. Values outside the
# training range then map outside $[0, 1]$, and that is the honest picture of
# what a model meets in real use.
#
# How much does it matter? Take Lu's NASDAQ setting: the NASDAQ-100 from
# 2014-11-21 to 2024-06-11 (chapter 1 explains the start date), the first 1200
# rows for training, the rest for testing, and yesterday's close as the only
# input. The leaky data set comes from the same call with
# `fit_scaler_on="all"`, which fits the scalers on every row; that option
# exists only to measure this leak, never to report a result.

# %%
lu_setting = papers.SETTINGS["lu2024"]  # window, split, matching series
ndx_name, ndx_start = lu_setting["series"]["NASDAQ"]
ndx = data.load(ndx_name, start=ndx_start, end=lu_setting["end"])
lu_ndx = splits.chronological_split(ndx, lu_setting["train_rows"])
honest = prep.make_dataset(ndx, lu_ndx, window=1)
# the leak, made explicit: scalers fit on every row, test rows included
leaky = prep.make_dataset(ndx, lu_ndx, window=1, fit_scaler_on="all")

for name, dset in [("train-only scaler", honest),
                   ("full-series scaler (leaky)", leaky)]:
    x = dset.test.X
    print(f"{name:27s}: test inputs outside [0, 1]: "
          f"{np.mean((x < 0) | (x > 1)):6.1%}, "
          f"largest scaled test input {x.max():.2f}")
ndx_above = np.mean(honest.test.X > 1)  # above the training range
prose.glue("ndx_above", ndx_above)
prose.glue("ndx_growth", ndx["close"].iloc[-1] / ndx["close"].iloc[0])
checks.claim(ndx_above > 0.9, "with the honest scaler most of the test "
             "period lies above anything seen in training")

# %%
fig, ax = plt.subplots(figsize=(10, 3.5))
train_end = ndx.index[lu_ndx.train[1] - 1]
ax.plot(ndx.index, honest.scaler.transform(ndx[["close"]]), lw=0.8,
        label="train-only scaler")
ax.plot(ndx.index, leaky.scaler.transform(ndx[["close"]]), lw=0.8,
        label="full-series scaler (leaky)")
ax.axhspan(0, 1, color="grey", alpha=0.15, label="[0, 1]")
ax.axvline(train_end, color="k", ls="--", lw=1, label="end of training")
ax.set(title="NASDAQ-100, Lu's split: the scaled close",
       ylabel="scaled close")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# With the honest scaler most of the test period lies above anything seen in
# training: {glue:text}`ndx_above:.0%` of the test inputs. To see what that
# does to a forecast we train a network on both data sets. It is the first
# network of the course, so first a primer on training.
#
# ### A primer: how a network is trained
#
# The network is the one {cite}`lu2024` studies (chapter 3 looks at it in
# detail): one SimpleRNN layer, which reads the window day by day, and a
# linear output.

# %%
display(Code(inspect.getsource(models.simple_rnn), language="python"))

# %% [markdown]
# Its weights start as random numbers. Training changes them, step by step,
# until its outputs come close to the targets of the training windows.
#
# * The **loss** measures how close: here the mean squared error (`"mse"`)
#   between outputs and targets, in scaled units.
# * A **batch** is a small group of training windows, 32 here. For each batch
#   the network computes the loss and its gradient (how the loss changes with
#   each weight) and takes one step downhill.
# * The **optimiser** sets that step. Adam {cite}`kingma2015`, used
#   throughout the course, scales each weight's step by running averages of
#   its past gradients; the **learning rate** ($10^{-3}$, Keras' default)
#   sets its size. Too large and the loss jumps about, too small and
#   training crawls.
# * An **epoch** is one pass over all training windows, in a new random
#   order each time.
# * A **seed** fixes the random numbers: the starting weights and the order
#   of the windows. `settings.set_seed(seed)` makes a run repeatable (on the
#   same machine and backend). Other seeds give other networks, which is why
#   the course trains several and reports their spread.
# * **Early stopping** computes the loss on the validation slice (the end of
#   the training period, never trained on) after every epoch. When it has not
#   improved for `patience` epochs, training stops and the weights of the
#   best epoch are restored. The test rows play no part.
# * **Dropout**, a layer of later chapters' networks (chapter 3's stacked
#   LSTM), sets a random share of its inputs to zero at every training step,
#   so that the network cannot lean on a few units: a brake on overfitting.
#   It is off when the network forecasts, and so in the validation loss,
#   which is why a network with dropout can show a training loss *above* its
#   validation loss. This SimpleRNN has none.
#
# We train it once on `DATASET`'s chronological split from above, with
# yesterday's close as the only input and the scaler fitted on the training
# rows; `training.fit` runs the epochs and the early stopping:

# %%
PRIMER_PATIENCE = 5  # epochs without a better validation loss, then stop
primer_epochs = EPOCHS or profile.pick(fast=40, full=100)  # at most
primer_ds = prep.make_dataset(df, split, window=1)  # train, val, test
settings.set_seed(seeds[0])  # the same seed gives the same network
primer_net = models.simple_rnn(primer_ds.input_shape, learning_rate=1e-3)
primer_log = training.fit(primer_net, primer_ds, epochs=primer_epochs,
                          batch_size=32, patience=PRIMER_PATIENCE,
                          verbose=5).history  # a line every 5 epochs
loss, val_loss = primer_log["loss"], primer_log["val_loss"]
ran, best = len(loss), int(np.argmin(val_loss)) + 1  # epochs run, best
print(f"training loss: {loss[0]:.2g} after epoch 1, {loss[-1]:.2g} after "
      f"epoch {ran}")
if ran < primer_epochs:
    print(f"the validation loss stopped falling: lowest at epoch {best}, "
          f"not lower in the {ran - best} epochs after, so early stopping "
          f"ended training and restored epoch {best}'s weights")
else:
    print(f"no early stop within {ran} epochs: the validation loss was "
          f"lowest at epoch {best}, whose weights were restored")
checks.claim(loss[-1] < loss[0], "the training loss falls")
plots.loss_curves(primer_log, title=f"{DATASET}: SimpleRNN, loss per epoch "
                  "(dot: lowest validation loss)")
plt.show()

# %% [markdown]
# The training loss falls. In a typical run it falls fast while the outputs
# move from random numbers to about the right level, then slowly, and the
# validation loss follows at first, then stops falling and wanders around a
# floor: from there on more epochs fit the training period more closely
# without forecasting the validation slice any better. Early stopping ends
# training there (the lines above say what this run did). An epoch's
# training loss is the average over its batches while the weights still
# move, so early on it can lie above the validation loss. Both losses are in
# scaled units; what counts is the forecast in prices on the test rows,
# beside the baselines:

# %%
primer_pred = primer_ds.to_price(
    training.predict(primer_net, primer_ds.test.X), "test")
primer_rmse = evaluation.score_dataset(
    primer_ds, {"SimpleRNN": primer_pred})["RMSE"]
print("test RMSE: " + ", ".join(f"{name} {value:.2f}"
                                for name, value in primer_rmse.items()))

# %% [markdown]
# Whether a difference in RMSE like this one is real or luck of the test
# period is what the Diebold-Mariano test further down decides; exercise
# {ref}`ch02-ex6` computes it for this network by hand.
#
# ### The leak, trained
#
# Back to the NASDAQ-100, honest and leaky. `experiments.run` does the steps
# above once per seed in `SEEDS` (set the seed, build, fit, forecast in
# prices) and scores the forecasts beside persistence and the linear
# baseline; the rest of the course uses it. Lu's split has no validation
# slice, so each network trains for a fixed number of epochs (printed at the
# top of the page).

# %%
def build(ds):
    return models.simple_rnn(ds.input_shape)


scalers = {"SimpleRNN, train-only scaler": honest,
           "SimpleRNN, leaky scaler": leaky}
exps = {name: experiments.run(build, dset, seeds=seeds, epochs=epochs)
        for name, dset in scalers.items()}
print(f"trained {2 * len(seeds)} models of {epochs} epochs in "
      f"{sum(exp.seconds for exp in exps.values()):.1f} s")

runs = {name: exp.forecasts("test") for name, exp in exps.items()}
# both forecasts on the same test rows, beside persistence and the linear
# baseline
scaling = evaluation.score_dataset(honest, runs)
rmse_of = scaling["RMSE"]
leak_ratio = rmse_of.iloc[1] / rmse_of.iloc[0]
print(f"the leaky scaler's RMSE is {leak_ratio:.2f} "
      f"times the train-only scaler's")
prose.glue("leak_ratio", leak_ratio)
checks.claim(leak_ratio < 0.75, "the leak changes the test error a lot: "
             "the leaky model's RMSE is much the smaller")
below = np.mean(np.mean(runs["SimpleRNN, train-only scaler"], axis=0)
                < honest.actual("test"))
checks.claim(below > 0.9, "the honest model's forecast stays below the "
             "actual index")
checks.claim(rmse_of[["persistence", "linear"]].max()
             < rmse_of[list(scalers)].min(),
             "the two simple baselines do better than both networks")
# the ensemble and the per-seed numbers, each labelled
SHOWN = ["RMSE", "RMSE per seed", "RMSE per seed std", "MAE", "seeds"]
LABELS = {"RMSE": "RMSE (ensemble)",
          "RMSE per seed": "RMSE per seed (mean ± std)",
          "MAE": "MAE (ensemble)"}
tables.format_table(scaling[SHOWN]).rename(columns=LABELS)

# %%
fig = plots.forecast_vs_actual(
    honest, runs, title="NASDAQ-100 test period: SimpleRNN with two scalers")
plt.show()

# %% [markdown]
# A network trained with several seeds gives one forecast per seed. The
# forecast we score (and, from the next sections on, test) is their average,
# the **seed ensemble**: `RMSE (ensemble)` is its error.
# `RMSE per seed` is what a single training run gives: each seed's own RMSE,
# mean ± standard deviation over the seeds in `SEEDS`. What the leaky model
# gains over the honest one (its RMSE is {glue:text}`leak_ratio:.2f` times
# the honest model's) is not skill: the scaler told it in advance how high
# the index would go. The honest model shows the real problem of forecasting
# price *levels*: a network trained on prices in one range cannot
# extrapolate to a range it never saw, and its forecast flattens out below
# the actual index (see the figure). The cure is not to leak, but to choose
# inputs and targets whose distribution does not drift, such as returns
# (`prep.make_dataset(..., target_kind="log_return")`; exercise 5 tries it).
# Note also how cheaply the two simple baselines beat both networks here.

# %% [markdown]
# ## Windows: inputs and a target
#
# A sequence model reads a *window* of the last $w$ rows and predicts a value
# $h$ rows after the window's last row (the horizon; $h = 1$ for "tomorrow"):
#
# $$
# \big(x_{t-w+1}, \dots, x_{t}\big) \;\longmapsto\; y_{t+h}.
# $$
#
# `prep.make_windows` cuts all such pairs and records, for each, the row
# position of its target (`target_pos`) and of its last input
# (`last_input_pos`). On a toy series of ten numbers with $w = 3$:

# %%
toy = prep.make_windows(np.arange(10.0), np.arange(10.0), window=3)
print(f"X: {toy.X.shape} (windows, window length, features), "
      f"y: {toy.y.shape}")
pd.DataFrame({"inputs": [list(x[:, 0]) for x in toy.X], "target": toy.y,
              "last input row": toy.last_input_pos,
              "target row": toy.target_pos})

# %% [markdown]
# Each target row is strictly after the last input row of its window, always:

# %%
assert (toy.target_pos > toy.last_input_pos).all()

# %% [markdown]
# `prep.make_dataset` chains the three steps for a real series: it fits the
# scaler on the training rows, cuts the windows from the whole series, and
# assigns each window to a part by the row of its *target*. A test window's
# inputs may reach back into the training period (that is past data, available
# on the day of the forecast). Since every input row precedes its target row,
# no training window contains a validation or test row, either as input or as
# target. With a 20-day window on `DATASET`:

# %%
ds = prep.make_dataset(df, split, window=20)
shapes = pd.DataFrame({part: {"X": ds.part(part).X.shape,
                              "y": ds.part(part).y.shape,
                              "first target": ds.part(part).dates[0].date(),
                              "last target": ds.part(part).dates[-1].date()}
                       for part in ("train", "val", "test")}).T
for part in ("train", "val", "test"):
    w = ds.part(part)
    assert (w.target_pos > w.last_input_pos).all()
assert ds.train.target_pos.max() < split.val[0]
assert ds.val.target_pos.max() < split.test[0]
display(shapes)

# %%
i = 0  # the first test window
w = ds.test
inputs = df.index[w.first_input_pos[i]:w.last_input_pos[i] + 1]
context = close.iloc[w.first_input_pos[i] - 10:w.target_pos[i] + 10]
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.plot(context, color="grey", lw=1, label="close")
ax.plot(close.loc[inputs], "o-", color="C0", ms=4,
        label=f"inputs ({w.window} days)")
ax.plot(w.dates[i], ds.actual("test")[i], "*", color="C3", ms=14,
        label="target")
ax.plot(w.dates[i], baselines.persistence(ds)[i], "s", color="C1", ms=7,
        label="persistence forecast")
ax.set(title="One window of the test part", ylabel="close")
ax.legend(loc="best")
fig.autofmt_xdate()
plt.show()

# %% [markdown]
# ## Baselines and error measures
#
# Before any network, a few forecasts that need no training (or almost none),
# computed by `stocklearn.baselines` for exactly the test windows of `ds`.
# With $y_t$ the close on the target day and $y_{t-1}$ the close on the
# window's last input day:
#
# * **persistence**: $\hat y_t = y_{t-1}$ ("tomorrow = today");
# * **drift**: $\hat y_t = y_{t-1} + c$, with $c$ the average daily change
#   over the training rows;
# * **moving average**: $\hat y_t = \tfrac{1}{n}\sum_{i=1}^{n} y_{t-i}$, here
#   $n = 5$;
# * **ARIMA(1,1,0)** {cite}`box2015`. An ARIMA($p$, $d$, $q$) model
#   differences the series $d$ times, then explains each value by its own
#   $p$ previous values (the autoregressive part, AR) and by the $q$
#   previous forecast errors (the moving-average part, MA). ARIMA(1,1,0)
#   differences once, so it models the daily *changes*, and forecasts each
#   change from the one before, without a constant:
#   $\hat y_t = y_{t-1} + \phi\,(y_{t-1} - y_{t-2})$. Its one coefficient
#   $\phi$ is fit on the training rows (by maximum likelihood) and then kept
#   fixed. With $\phi = 0$ the forecast is $y_{t-1}$: ARIMA(1,1,0) *nests*
#   persistence, and can beat it only as far as daily changes are
#   autocorrelated, which for daily prices they hardly are (chapter 1; the
#   fitted $\phi$ is printed below);
# * **linear on window**: a linear regression that reads the same 20-day
#   window as a network would, expressed relative to the last close. It is the
#   strong simple baseline every model in this course must beat.
#
# Each forecast is scored on the same $m$ test rows, in price units, with
# $e_t = y_t - \hat y_t$:
#
# $$
# \text{RMSE} = \sqrt{\tfrac{1}{m}\textstyle\sum_t e_t^2}, \qquad
# \text{MAE} = \tfrac{1}{m}\textstyle\sum_t |e_t|, \qquad
# \text{MAPE} = \tfrac{100}{m}\textstyle\sum_t
#   \left|\tfrac{e_t}{y_t}\right| \ (\%),
# $$
#
# $$
# \text{MASE} = \frac{\tfrac{1}{m}\sum_t |e_t|}{\tfrac{1}{n-1}\sum_{s=2}^{n}
# |y_s - y_{s-1}|}, \qquad
# \text{DA} = \tfrac{1}{m}\textstyle\sum_t
# \mathbb{1}\big[\operatorname{sign}(\hat y_t - y_{t-1}) =
# \operatorname{sign}(y_t - y_{t-1})\big].
# $$
#
# RMSE and MAE are in price units; RMSE weighs the rare large errors more.
# MAPE is scale-free. MASE {cite}`hyndman2006` divides the MAE by the average
# absolute daily change in the *training* data, i.e. by the in-sample error of
# persistence: below 1 is better than persistence was in training. Direction
# accuracy (DA) counts the days on which the forecast moves the right way from
# yesterday's close; persistence never moves, so it scores (almost) zero, and
# a coin would score about one half.
#
# Compare MASE between the rows of one table rather than with 1: its scale
# comes from the training period, so when prices in the test period are much
# higher than in training (a stock that grew a lot), daily changes in price
# units are larger too, and even persistence scores well above 1.

# %%
forecasts = {
    "persistence": baselines.persistence(ds),
    "drift": baselines.drift(ds),
    "moving average (5)": baselines.moving_average(ds, n=5),
    "ARIMA(1,1,0)": baselines.arima(ds),
    "linear on window": baselines.linear_on_window(ds),
}
actual, previous = ds.actual("test"), ds.previous("test")
train_series = ds.train_series()  # the close over the training rows
with warnings.catch_warnings():  # statsmodels' notes on the start values
    warnings.simplefilter("ignore")
    phi = ARIMA(train_series, order=(1, 1, 0)).fit().params[0]
print(f"ARIMA(1,1,0) on the training rows: phi = {phi:+.3f}")
checks.claim(abs(phi) < 0.1, "daily changes are hardly autocorrelated")
metrics.evaluate(actual, forecasts["drift"], previous=previous,
                 train_series=train_series, name="drift")

# %% [markdown]
# `metrics.evaluate` scores one forecast; `evaluation.score` scores several
# forecasts of the same rows at once (for a model trained with several seeds
# it scores the seed ensemble, and each seed on its own in the `per seed`
# columns). It also adds two tests, in the columns `DM p` and `CW p`, which
# we look at once they are explained below:

# %%
NESTED = ("drift", "ARIMA(1,1,0)", "linear on window")  # contain persistence
scores = evaluation.score(actual, forecasts, previous=previous,
                          train_series=train_series, nested=NESTED)
checks.claim((scores["RMSE"] / scores["RMSE"].min() < 1.03).sum() >= 3,
             "several baselines are within a few percent of each other")
scores[["RMSE", "MAE", "MAPE", "MASE", "DA"]]

# %% [markdown]
# Several baselines are within a few percent of each other, and that is the
# rule rather than the exception for daily prices. Is a small difference in
# RMSE real, or luck of the test period? The **Diebold-Mariano test**
# {cite}`diebold1995` answers this for two forecasts of the same rows. With
# the loss differential $d_t = e_{1,t}^2 - e_{2,t}^2$, its mean $\bar d$ and
# its autocovariances $\hat\gamma_k$,
#
# $$
# \text{DM} = \frac{\bar d}{\sqrt{\hat S / m}}, \qquad
# \hat S = \hat\gamma_0 + 2 \sum_{k=1}^{L}
#   \Big(1 - \frac{k}{L + 1}\Big)\, \hat\gamma_k ,
# $$
#
# approximately standard normal if both forecasts are equally accurate.
# $\hat S$ is the Newey-West (Bartlett) **long-run variance**
# {cite}`newey1987`, with $L = \lfloor 4 (m/100)^{2/9} \rfloor$ lags
# {cite}`newey1994` (`metrics.newey_west_lags`). It matters even for
# one-day forecasts: the errors of a price-level forecast drift slowly (a
# forecast that is too low today is usually too low tomorrow), so the loss
# differentials are autocorrelated, and the plain variance $\hat\gamma_0$
# would understate the uncertainty of $\bar d$ and make p-values too small.
# We use the small-sample correction of {cite}`harvey1997` and Student's $t$
# with $m - 1$ degrees of freedom. Positive values mean the first forecast
# has the larger loss. Exercise {ref}`ch02-ex6` builds the test from these
# formulas. `evaluation.score` added the p-value of each forecast against
# persistence (column `DM p`); one test in full:

# %%
stat, p = metrics.diebold_mariano(actual - forecasts["moving average (5)"],
                                  actual - forecasts["persistence"])
larger = "moving average" if stat > 0 else "persistence"
print(f"moving average (5) vs persistence: DM = {stat:+.2f}, p = {p:.2g} "
      f"({larger} has the larger squared error)")
print("p-values of every baseline against persistence "
      "(column 'DM p' of scores):")
print(scores["DM p"].dropna().round(4).to_string())

# %% [markdown]
# Read a p-value above 0.05 as "the test period cannot tell these two
# forecasts apart". Only a smaller error *and* a small p-value support a
# claim that one forecast is better.
#
# ### Nested forecasts: the Clark-West test
#
# The Diebold-Mariano test compares any two forecasts. A special case is
# common in this course: the model **contains persistence**. The linear
# baseline forecasts tomorrow's return from the window, and with all its
# coefficients zero it *is* persistence; the same holds for drift ($c = 0$),
# for ARIMA(1,1,0) ($\phi = 0$) and for every network that forecasts
# returns (an output of zero). If persistence were the truth, such a model
# would still estimate small non-zero coefficients from noise, and that
# noise adds to its squared error: its MSE is then *expected* to be a little
# larger than persistence's, and DM, which compares the two MSEs, finds a
# real gain too rarely (it is conservative). {cite}`clark2007` add the
# noise back: with $\hat y_{p,t}$ persistence and $\hat y_{m,t}$ the model,
#
# $$
# f_t = e_{p,t}^2 - \big(e_{m,t}^2 - (\hat y_{p,t} - \hat y_{m,t})^2\big),
# \qquad \text{CW} = \frac{\bar f}{\sqrt{\hat S_f / m}},
# $$
#
# one-sided ("is the model better?"), standard normal, with the same
# long-run variance. Use DM for any pair of forecasts (and for "worse");
# use Clark-West only for "better than persistence" of a model that nests
# it. A network that forecasts the scaled price *level*, as {cite}`lu2024`
# does, does not nest persistence (its bounded units cannot represent the
# identity exactly), nor does the moving average, so `CW p` stays empty for
# them. For the linear baseline, and then both tests' columns of `scores`:

# %%
cw_stat, cw_p = metrics.clark_west(actual, forecasts["persistence"],
                                   forecasts["linear on window"])
dm_stat, dm_p = metrics.diebold_mariano(
    actual - forecasts["linear on window"], actual - forecasts["persistence"])
print(f"linear on window vs persistence: DM = {dm_stat:+.2f} "
      f"(p = {dm_p:.2g}, two-sided), CW = {cw_stat:+.2f} "
      f"(p = {cw_p:.2g}, one-sided)")
scores[["DM p", "CW p"]].round(4)

# %% [markdown]
# ## A positive control: would the test see a real gain?
#
# Most verdicts in this course read "no better than persistence". Such a
# verdict means something only if the same pipeline and the same test
# *would* have found a forecast that is better. A **positive control**
# checks exactly that: feed the pipeline a series in which we know there is
# something to find. Market data cannot provide one (we never know the
# truth), so here, and only here, we **simulate** prices, and every table
# and figure that shows them says so.
#
# `positive_control.simulate_prices` draws daily log returns from an AR(1),
#
# $$
# r_t = \phi\, r_{t-1} + \sigma\sqrt{1 - \phi^2}\; \varepsilon_t, \qquad
# \varepsilon_t \sim N(0, 1), \qquad \operatorname{sd}(r_t) = \sigma ,
# $$
#
# with $\sigma$ = {glue:text}`control_sigma:.1%`, about the daily volatility
# of a broad stock index, and turns them into a close
# $p_t = p_0\, e^{r_1 + \dots + r_t}$.
# With $\phi \ne 0$ tomorrow's return is partly predictable: the best
# forecast $\phi\, r_t$ leaves the error variance $\sigma^2 (1 - \phi^2)$
# instead of persistence's $\sigma^2$, a relative RMSE gain of
# $1 - \sqrt{1 - \phi^2}$ (`positive_control.rmse_gain`). The linear
# baseline reads the last 20 closes relative to the last one, which
# contains $r_t$, so it can learn this forecast. We run a simulated series
# with $\phi$ = {glue:text}`control_phi` and, as the negative control, a
# random walk ($\phi = 0$) of the same length and the same shocks, through
# *exactly* the pipeline used for `DATASET` above: the same chronological
# split, 20-day windows, persistence, the linear baseline and
# `evaluation.score_dataset`.
# The simulation's seed is simply the first one, 0; the repetitions further
# down show that the outcome does not hinge on it. Real indices have return
# autocorrelations much closer to zero than {glue:text}`control_phi` (the
# line under the code compares `DATASET`'s).

# %%
CONTROL_PHI = 0.35     # AR(1) coefficient of the simulated log returns
CONTROL_SIGMA = 0.012  # sd of the daily log return, as a broad index's
CONTROL_DAYS = 5000    # rows of each simulated series, about 20 years
CONTROL_SEED = 0       # the seed of the simulation
prose.glue("control_phi", CONTROL_PHI)
prose.glue("control_sigma", CONTROL_SIGMA)


def simulated_scores(frame):
    """The chapter's pipeline on a SIMULATED series: split, windows."""
    sim_split = splits.chronological_split(frame, 0.8, val=0.1)
    sim_ds = prep.make_dataset(frame, sim_split, window=20)
    return sim_ds, evaluation.score_dataset(sim_ds, {})


simulated = {
    label: positive_control.simulate_prices(
        CONTROL_DAYS, phi=phi, volatility=CONTROL_SIGMA, seed=CONTROL_SEED)
    for label, phi in [(f"SIMULATED control, phi = {CONTROL_PHI}",
                        CONTROL_PHI),
                       ("SIMULATED random walk, phi = 0", 0.0)]
}
control_rows = {}
for label, frame in simulated.items():
    assert frame.attrs["simulated"]
    sim_ds, sim_scores = simulated_scores(frame)
    pers_rmse, lin = sim_scores.loc["persistence", "RMSE"], sim_scores.loc[
        "linear"]
    control_rows[label] = {
        "test days": len(sim_ds.test),
        "best possible RMSE gain": positive_control.rmse_gain(
            frame.attrs["phi"]),
        "persistence RMSE": pers_rmse, "linear RMSE": lin["RMSE"],
        "linear RMSE gain": 1 - lin["RMSE"] / pers_rmse,
        "DM p": lin["DM p"], "CW p": lin["CW p"]}
control = pd.DataFrame(control_rows).T
control.index.name = "linear baseline vs persistence (SIMULATED)"
print(f"for comparison, the daily log returns of {DATASET} have a standard "
      f"deviation of {lr.std():.2%} and a lag-1 autocorrelation of "
      f"{lr.autocorr():+.3f}; the simulation uses {CONTROL_SIGMA:.2%} and "
      f"{CONTROL_PHI}")
checks.claim(abs(lr.autocorr()) < CONTROL_PHI / 3, "real indices have "
             "return autocorrelations much closer to zero than phi")
tables.format_table(control, decimals={"test days": 0,
                                       "best possible RMSE gain": 4,
                                       "linear RMSE gain": 4})

# %%
fig, ax = plt.subplots(figsize=(10, 3.5))
for label, frame in simulated.items():
    ax.plot(frame["close"], lw=0.8, label=label)
ax.set(title="SIMULATED prices (not market data): AR(1) log returns and a "
       "random walk, same shocks", ylabel="simulated close",
       xlabel="simulated business days")
ax.legend(loc="upper right")
plt.show()

# %%
ctrl, walk = control.iloc[0], control.iloc[1]
print(f"SIMULATED control: the linear baseline's RMSE is "
      f"{ctrl['linear RMSE gain']:.1%} below persistence's (the best "
      f"possible forecast would gain {ctrl['best possible RMSE gain']:.1%}); "
      f"DM p = {ctrl['DM p']:.2g}, CW p = {ctrl['CW p']:.2g} on "
      f"{ctrl['test days']:.0f} test days")
print(f"SIMULATED random walk: RMSE gain {walk['linear RMSE gain']:+.2%}; "
      f"DM p = {walk['DM p']:.2f}, CW p = {walk['CW p']:.2f}")
prose.glue("control_gain", ctrl["linear RMSE gain"])
prose.glue("control_best_gain", ctrl["best possible RMSE gain"])
checks.claim(ctrl["linear RMSE gain"] > 0 and ctrl["DM p"] < 0.01
             and ctrl["CW p"] < 0.01,
             "the linear baseline finds the simulated predictability, and "
             "both tests call it significant (p < 0.01)")
checks.claim(walk["DM p"] >= 0.05 and walk["CW p"] >= 0.05,
             "on the random walk it finds nothing, and neither test is "
             "fooled (p >= 0.05)")
checks.claim(ctrl["CW p"] < ctrl["DM p"] / 100,
             "Clark-West gives the much smaller p-value on the control")

# %% [markdown]
# The pipeline passes both controls: the linear baseline finds the simulated
# predictability, a gain in RMSE of {glue:text}`control_gain:.1%` (the best
# possible forecast gains {glue:text}`control_best_gain:.1%`), and both tests
# call it significant; on the random walk with the same shocks it finds
# nothing, and neither test is fooled. Clark-West gives the much smaller
# p-value on the control, as it should for a nested model.
#
# One simulated series is one draw. Repeating both controls over
# {glue:text}`control_repeats` seeds shows how often each test finds the
# gain (its power) and how often it raises a false alarm on a random walk
# (its size):

# %%
CONTROL_REPEATS = 200
prose.glue("control_repeats", CONTROL_REPEATS)
repeats = {}
for kind, phi in [("SIMULATED control", CONTROL_PHI),
                  ("SIMULATED random walk", 0.0)]:
    rows = []
    for seed in range(CONTROL_REPEATS):
        _, sim_scores = simulated_scores(positive_control.simulate_prices(
            CONTROL_DAYS, phi=phi, volatility=CONTROL_SIGMA, seed=seed))
        lin = sim_scores.loc["linear"]
        rows.append({"better": lin["RMSE"] < sim_scores.loc["persistence",
                                                            "RMSE"],
                     "DM p": lin["DM p"], "CW p": lin["CW p"]})
    repeats[kind] = pd.DataFrame(rows)
rep_ctrl, rep_walk = (repeats["SIMULATED control"],
                      repeats["SIMULATED random walk"])
dm_alarm = rep_walk["DM p"] < 0.05
print(f"SIMULATED control, {CONTROL_REPEATS} seeds: DM p < 0.01 in "
      f"{np.mean(rep_ctrl['DM p'] < 0.01):.0%}, CW p < 0.01 in "
      f"{np.mean(rep_ctrl['CW p'] < 0.01):.0%} of the series")
print(f"SIMULATED random walk, {CONTROL_REPEATS} seeds: DM p < 0.05 in "
      f"{dm_alarm.mean():.0%} of the series (the linear baseline worse than "
      f"persistence in {np.mean(~rep_walk['better'][dm_alarm]):.0%} of "
      f"those), CW p < 0.05 in {np.mean(rep_walk['CW p'] < 0.05):.0%}")
cw_alarm = np.mean(rep_walk["CW p"] < 0.05)
prose.glue("control_found", np.mean(rep_ctrl["DM p"] < 0.01))
prose.glue("cw_false_alarms", cw_alarm)
checks.claim(np.mean(rep_ctrl["DM p"] < 0.01) >= 0.9,
             "a gain of this size is found nearly every time")
checks.claim(dm_alarm.any() and not rep_walk["better"][dm_alarm].any(),
             "on a random walk the two-sided DM test does raise alarms, but "
             "in the other direction: the linear baseline is worse")
checks.claim(cw_alarm <= 0.1,
             "Clark-West's one-sided test keeps its false alarms near the "
             "nominal 5 %")

# %% [markdown]
# Two lessons. First, a gain of this size is found nearly every time (DM
# p < 0.01 in {glue:text}`control_found:.0%` of the series), so "no better
# than persistence" on a test period of this length is not a failure of the
# test. Second, on a random walk the two-sided DM test does
# raise alarms, but (see the parenthesis above) in the *other* direction:
# the linear baseline's estimated coefficients are pure noise there, and DM
# rightly finds it worse than persistence. Clark-West's one-sided test keeps
# its false alarms near the nominal 5 % ({glue:text}`cw_false_alarms:.0%`).
#
# ### How many test days does a gain need?
#
# The control's gain is large for daily returns. How small a gain can the
# test see? `positive_control.dm_power` answers for the same simulated
# AR(1) returns: the share of DM tests at the 5 % level that find the
# better forecast, for a given relative RMSE gain and number of test days.
# It uses the normal approximation of the test statistic, checked against
# simulated tests below and in the package's tests: close for the small
# gains that matter here, a little pessimistic for large gains on short
# test periods. The forecast there
# knows $\phi$; a model that has to estimate it, like the linear baseline,
# adds estimation noise and needs more days, so read the curves as a best
# case.

# %%
POWER_GAINS = [0.01, 0.02, 0.05, 0.10]
power_days = np.arange(100, 2001, 25)
power = positive_control.dm_power(POWER_GAINS, power_days)
check_days = [250, 1000]
simulated_power = positive_control.dm_power(
    POWER_GAINS, check_days, method="simulate", n_sims=300, seed=0)
print("power, SIMULATED DM tests (300 each) beside the approximation:")
display(pd.concat({"simulated": simulated_power,
                   "approximation": power[check_days]}, axis=1).round(2))
small = [g for g in POWER_GAINS if g <= 0.02]
checks.claim((simulated_power.loc[small] - power.loc[small, check_days])
             .abs().to_numpy().max() <= 0.05,
             "the approximation is close for the small gains")
large = [g for g in POWER_GAINS if g >= 0.05]
checks.claim((power.loc[large, 250] <= simulated_power.loc[large, 250])
             .all(), "a little pessimistic for large gains on short test "
             "periods")

# the course's test periods: this chapter's split and Lu's two
test_days = {f"{DATASET}, this chapter's split": len(ds.test)}
for index, (name, start) in lu_setting["series"].items():
    lu_rows = splits.chronological_split(
        data.load(name, start=start, end=lu_setting["end"]),
        lu_setting["train_rows"])
    test_days[f"{index}, Lu's split"] = lu_rows.test[1] - lu_rows.test[0]

fig, ax = plt.subplots(figsize=(9, 4))
for gain in POWER_GAINS:
    ax.plot(power_days, power.loc[gain], label=f"RMSE gain {gain:.0%}")
for level in (0.5, 0.8):
    ax.axhline(level, color="grey", lw=0.6, ls=":")
for (label, n), style in zip(test_days.items(), ["--", "-.", ":"],
                             strict=True):
    ax.axvline(n, color="k", lw=0.8, ls=style, label=f"{label}: {n} days")
ax.set(xlabel="test days", ylabel="power (share of gains detected)",
       title="SIMULATED AR(1) returns: power of the DM test at 5 %",
       ylim=(0, 1))
ax.legend(fontsize=8, loc="lower right")
plt.show()

needed = pd.DataFrame({f"power {q:.0%}": positive_control.days_needed(
    POWER_GAINS, power=q) for q in (0.5, 0.8)})
prose.glue("days_1pct", needed.loc[0.01, "power 80%"])
needed.index = [f"{g:.0%}" for g in needed.index]
needed.index.name = "RMSE gain (SIMULATED)"
display(needed)
SMALL_GAIN = 0.005  # a gain of half a percent
prose.glue("small_gain", SMALL_GAIN)
small_power = positive_control.dm_power(SMALL_GAIN, list(test_days.values()))
for label, n in test_days.items():
    half = positive_control.smallest_gain(n, power=0.5)
    print(f"with {n} test days ({label}), RMSE gains below {half:.1%} go "
          f"undetected more than half the time; 80 % power needs "
          f"{positive_control.smallest_gain(n, power=0.8):.1%}; a gain of "
          f"{SMALL_GAIN:.1%} is detected with probability "
          f"{small_power.loc[SMALL_GAIN, n]:.0%}")
lu_power = [small_power.loc[SMALL_GAIN, n] for label, n in test_days.items()
            if "Lu's split" in label]
checks.claim(max(lu_power) < 0.5, f"on Lu's test periods a gain of "
             f"{SMALL_GAIN:.1%} goes undetected more than half the time")

# %% [markdown]
# The gains real forecasts of daily index closes could hope for are a
# fraction of a percent: markets with more predictability than that would
# be traded until it is gone {cite}`fama1970`. On Lu's test periods a gain
# of {glue:text}`small_gain:.1%` goes undetected more than half the time
# even in this best case (the last column of the lines above; a longer test
# period, as `DATASET` may have, does better).
# A verdict "no better than persistence" therefore says: *no gain of the
# detectable size*, not *no gain at all*. The score tables report that size
# for every row (column `detectable`: the relative RMSE gain over
# persistence the DM test would detect with 80 % power on those rows, from
# the row's own errors).

# %% [markdown]
# ## The paper against persistence
#
# {cite}`lu2024` reports the RMSE of a SimpleRNN and an LSTM on CSI 300 and
# NASDAQ (the NASDAQ-100, see chapter 1), trained on the first 1200 rows with
# yesterday's close as the only input. The paper does not report a naive
# forecast. We compute persistence on exactly those test rows (and the linear
# baseline, which here, with a one-day window, is a regression of tomorrow's
# return on nothing but a constant), and print the paper's numbers beside
# them:

# %%
lu_windows = lu_setting["series"]
ours = {}
for index, (name, start) in lu_windows.items():
    frame = data.load(name, start=start, end=lu_setting["end"])
    lu_split = splits.chronological_split(frame, lu_setting["train_rows"])
    lu = prep.make_dataset(frame, lu_split, window=1)
    ours[index] = {
        "persistence train": metrics.rmse(
            lu.actual("train"), baselines.persistence(lu, "train")),
        "persistence test": metrics.rmse(
            lu.actual("test"), baselines.persistence(lu)),
        "linear on window test": metrics.rmse(
            lu.actual("test"), baselines.linear_on_window(lu)),
    }
    print(f"{index}: {len(lu.train)} training and {len(lu.test)} test "
          f"windows, test {lu.test.dates[0]:%Y-%m-%d} to "
          f"{lu.test.dates[-1]:%Y-%m-%d}")
ours = pd.DataFrame(ours).T
paper_rmse = papers.lu2024_rmse()
display(paper_rmse)

# %%
paper_wide = paper_rmse[["train", "test"]].unstack("model")
paper_wide.columns = [f"{model} {part}" for part, model in paper_wide.columns]
paper_wide = paper_wide[["SimpleRNN train", "SimpleRNN test",
                         "LSTM train", "LSTM test"]]
side = pd.concat({"ours (computed)": ours, "paper (reported)": paper_wide},
                 axis=1)
side.T.round(2)

# %%
for index in lu_windows:
    p_test = ours.loc[index, "persistence test"]
    for model in ("SimpleRNN", "LSTM"):
        paper_test = paper_rmse.loc[(index, model), "test"]
        print(f"{index:8s} {model:9s}: paper test RMSE {paper_test:7.2f}, "
              f"persistence {p_test:7.2f} -> paper / persistence = "
              f"{paper_test / p_test:.2f}")
pers_cols = ["persistence train", "persistence test"] * 2
paper_over = (paper_wide.to_numpy()
              / ours.loc[paper_wide.index, pers_cols].to_numpy())
checks.claim((paper_over > 1).all(), "persistence has a smaller train and "
             "test RMSE than both of the paper's networks on both indices")

# %% [markdown]
# On both indices the persistence forecast, which needs no training at all,
# has a *smaller* test RMSE than both of the paper's networks (and a smaller
# training RMSE, too). The paper's conclusion that a simple RNN forecasts
# better than an LSTM compares two models that are both worse than repeating
# yesterday's close. This is not a special weakness of this paper: a forecast
# of the next day's price *level* from the previous price is dominated by the
# price itself, and many published plots of "predicted vs actual" look
# impressive for the same reason. The next section shows how to see it
# directly.

# %% [markdown]
# ## Is the forecast just yesterday's price?
#
# A forecast $\hat y_t$ that tracks the actual price closely in a plot may
# simply be a copy of the price one day late. The **lagged cross-correlation**
# tells the difference. Because price levels on neighbouring days are nearly
# equal (every lag correlates close to 1), we apply it to the day-to-day
# *changes* of the two series, $\Delta\hat y_t = \hat y_t - \hat y_{t-1}$ and
# $\Delta y_t = y_t - y_{t-1}$:
#
# $$
# c(k) = \operatorname{corr}\big(\Delta\hat y_t,\; \Delta y_{t-k}\big), \qquad
# k = -5, \dots, 5.
# $$
#
# A forecast that really anticipates tomorrow moves together with the actual
# price on the same day, $k = 0$. A copy of yesterday's price moves one day
# *after* the actual price: its correlation peaks at $k = +1$. A smoothed
# copy, such as a moving average, spreads its correlation over several
# positive lags. `metrics.lag_correlation(actual, forecast)` computes $c(k)$.
#
# Let us check a forecast of the kind the paper makes: a SimpleRNN trained on
# CSI 300 with Lu's split and yesterday's close as input (here the index stays
# mostly within its training range, so the scaling problem of the previous
# section is small: {glue:text}`csi_outside:.0%` of the test inputs lie
# outside it).

# %%
csi_name, csi_start = lu_setting["series"]["CSI 300"]
csi = data.load(csi_name, start=csi_start, end=lu_setting["end"])
lu_csi = prep.make_dataset(
    csi, splits.chronological_split(csi, lu_setting["train_rows"]), window=1)
rnn = experiments.run(build, lu_csi, seeds=seeds[:1], epochs=epochs)
actual_csi = lu_csi.actual("test")
outside = np.mean((lu_csi.test.X < 0) | (lu_csi.test.X > 1))
print(f"CSI 300 test inputs outside the training range [0, 1]: "
      f"{outside:.1%}")
prose.glue("csi_outside", outside)
checks.claim(outside < 0.1, "the CSI 300 stays mostly within its training "
             "range")
lagged = {
    "SimpleRNN": rnn.forecasts("test")[0],  # the first seed's forecast
    "persistence": baselines.persistence(lu_csi),
    "moving average (5)": baselines.moving_average(lu_csi, n=5),
}
print("test RMSE (index points): " + ", ".join(
    f"{name} {metrics.rmse(actual_csi, pred):.2f}"
    for name, pred in lagged.items()))
levels = metrics.lag_correlation(actual_csi, lagged["persistence"],
                                 max_lag=5)
print(f"on price levels, persistence correlates between "
      f"{levels.min():.4f} and {levels.max():.4f} at every lag: "
      f"levels cannot tell the lags apart")
checks.claim(levels.min() > 0.9, "on price levels every lag correlates "
             "close to 1")
lag_table = pd.DataFrame(
    {name: metrics.lag_correlation(np.diff(actual_csi), np.diff(pred),
                                   max_lag=5)
     for name, pred in lagged.items()})
lag_table.round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
for name, style in zip(lag_table, ["s-", "o--", "^-"], strict=True):
    ax.plot(lag_table.index, lag_table[name], style, label=name,
            ms=8 if style == "s-" else 5)
ax.axvline(0, color="grey", lw=1)
ax.axhline(0, color="grey", lw=0.5)
ax.set(xlabel="lag k (forecast's change against the actual change "
              "k days earlier)",
       ylabel="correlation",
       title="Lagged correlation of daily changes, CSI 300 test rows")
ax.legend()
plt.show()
print("lag of the highest correlation:", lag_table.idxmax().to_dict())
print("correlation at lag 0:", lag_table.loc[0].round(3).to_dict())
checks.claim(lag_table["persistence"].idxmax() == 1
             and np.isclose(lag_table.loc[1, "persistence"], 1)
             and abs(lag_table.loc[0, "persistence"]) < 0.1,
             "persistence peaks at lag +1 with a correlation of one and is "
             "uncorrelated with the same day's change")
checks.claim((lag_table.loc[1:5, "moving average (5)"] > 0.3).all(),
             "the moving average spreads its correlation over the lags it "
             "averages")
checks.claim(lag_table["SimpleRNN"].idxmax() == 1,
             "the network's correlation peaks at lag +1")

# %% [markdown]
# Persistence peaks at lag $+1$ with a correlation of one, by construction,
# and is uncorrelated with the same day's change. The moving average spreads
# its correlation over the lags it averages. When a trained network peaks at
# lag $+1$ as well, as the SimpleRNN does here, it has learned (nearly) the
# persistence forecast: its
# apparent accuracy in a "predicted vs actual" plot is yesterday's price drawn
# one day late. A model with real skill would show a clearly positive
# correlation at lag 0. Run this check on every price-level model in this
# course.

# %% [markdown]
# ## Summary
#
# * Price levels are not stationary (on most price series the ADF test
#   cannot reject a unit root); returns are close to stationary. Models
#   trained on levels meet a different distribution in the test period.
# * Split in time order: train, then a validation slice, then the test part.
#   Random shuffling across time puts the test days' neighbours, and the test
#   prices themselves, into training.
# * Fit the scaler on the training rows only. A scaler fit on the whole
#   series leaks the test period's range; on Lu's NASDAQ split that leak
#   changes the test error a lot (the leaky model's RMSE is
#   {glue:text}`leak_ratio:.2f` times the honest one's).
# * A network is trained by Adam, batch by batch, over epochs, from a seed;
#   early stopping on the validation slice picks the epoch, never the test
#   rows.
# * Windows map past rows to a later target; `target_pos > last_input_pos`
#   always holds, and parts are assigned by the target row.
# * Every result is reported next to persistence and the linear baseline on
#   the same rows, with RMSE, MAE, MAPE, MASE and direction accuracy of the
#   seed ensemble (and per seed), and a Diebold-Mariano test with a
#   Newey-West variance for "is the difference real"; for a model that nests
#   persistence, also the Clark-West test.
# * A simulated positive control (AR(1) returns, labelled as simulated)
#   shows that the pipeline and the tests find a gain of a few percent on a
#   test period of this length, and a simulated random walk that they do not
#   invent one. Small gains need long test periods (a gain of one percent
#   needs {glue:text}`days_1pct:.0f` test days to be detected with 80 %
#   power): "no better than persistence" means "no detectable gain".
# * On Lu's split the persistence forecast beats the paper's reported
#   SimpleRNN and LSTM test errors on both indices. The lagged correlation of
#   daily changes exposes a network that has merely learned to repeat
#   yesterday's price: its correlation peaks at lag $+1$.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch02-ex1
# Run the ADF test separately on each calendar year of `DATASET`, once on
# the close and once on the log returns. In how many years is a unit root
# rejected at the 5 % level for each? How many rejections would you expect
# by chance if prices were a pure random walk?
# :::
#
# ```{solution-start} ch02-ex1
# :class: dropdown
# ```

# %%
years = [y for y in df.index.year.unique()
         if (df.index.year == y).sum() > 100]
with warnings.catch_warnings():  # as above: statsmodels' announcement
    warnings.simplefilter("ignore", FutureWarning)
    adf_by_year = pd.DataFrame(
        {y: {"close": adfuller(close.loc[str(y)], maxlag=20,
                               autolag="AIC")[1],
             "log return": adfuller(lr.loc[str(y)].dropna(), maxlag=20,
                                    autolag="AIC")[1]}
         for y in years}).T
rejected = (adf_by_year < 0.05).sum().to_dict()
print(f"{len(adf_by_year)} years; rejections at 5 %: {rejected}; "
      f"expected by chance for a random walk: {0.05 * len(adf_by_year):.1f}")
checks.claim(rejected["log return"] >= 0.9 * len(adf_by_year),
             "for returns the unit root is rejected in (nearly) every year")
checks.claim(rejected["close"] <= 0.15 * len(adf_by_year),
             "for prices it is rejected in few or no years")

# %% [markdown]
# For returns the unit root is rejected in every year, or nearly every
# year. For prices it is rejected in few or none; a handful of rejections
# is what chance alone produces when testing many years at the 5 % level,
# even for a random walk. A test on a single short window has little power,
# and a sideways year can look stationary by luck, so do not base the choice
# of target on one p-value: the long-run argument (price ranges drift,
# return distributions do not) and the test over many windows agree.
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch02-ex2
# Repeat the scaling experiment on CSI 300 with Lu's split (2014-12-08
# start, first 1200 rows). What share of the test inputs falls outside
# $[0, 1]$ with the train-only scaler, and how much does the leaky scaler
# change the test RMSE there? Why is the effect so different from the
# NASDAQ-100? Keep the train-only data set in `csi_honest`, the leaky one in
# `csi_leaky` and their scores (`evaluation.score_dataset`) in `csi_scaling`.
# :::
#
# ```{solution-start} ch02-ex2
# :class: dropdown
# ```
# The scaling cells with `lu_csi` (the CSI 300 over Lu's dates and split,
# made above) in place of the NASDAQ-100's data set:

# %%
csi_honest = lu_csi
csi_leaky = prep.make_dataset(lu_csi.frame, lu_csi.split, window=1,
                              fit_scaler_on="all")
csi_sets = {"SimpleRNN, train-only scaler": csi_honest,
            "SimpleRNN, leaky scaler": csi_leaky}
for which, csi_set in csi_sets.items():
    x_csi = csi_set.test.X
    print(f"{which:28s}: test inputs outside [0, 1]: "
          f"{np.mean((x_csi < 0) | (x_csi > 1)):6.1%}, "
          f"largest scaled test input {x_csi.max():.2f}")
csi_runs = {name: experiments.run(build, csi_set, seeds=seeds,
                                  epochs=epochs).forecasts("test")
            for name, csi_set in csi_sets.items()}
csi_scaling = evaluation.score_dataset(csi_honest, csi_runs)
csi_rmse = csi_scaling["RMSE"]
checks.claim(abs(csi_rmse.iloc[1] / csi_rmse.iloc[0] - 1) < 0.1,
             "on the CSI 300 both scalers give similar errors")
tables.format_table(csi_scaling[SHOWN]).rename(columns=LABELS)

# %% [markdown]
# The CSI 300 moved sideways over the decade: its test period stays mostly
# inside the training range ({glue:text}`csi_outside:.0%` of the test inputs
# outside), so both scalers give similar inputs and similar errors. The
# NASDAQ-100 grew {glue:text}`ndx_growth:.1f`-fold, so its test period lies
# almost entirely above the training range ({glue:text}`ndx_above:.0%` of
# the test inputs). Whether a leak "matters"
# depends on the data, which is exactly why it must be avoided by
# construction rather than checked case by case.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch02-ex2"):
    checks.training_rows(csi_honest, "csi_honest", start=csi_start,
                         rows=lu_setting["train_rows"])
    checks.fitted_on_training_rows(csi_honest, "csi_honest")
    checks.fitted_on_training_rows(csi_leaky, "csi_leaky", leak=True)
    checks.same_test_rows(csi_honest, csi_leaky, ("csi_honest", "csi_leaky"))
    checks.score_table(csi_scaling, csi_honest, "csi_scaling", models=2)

# %% [markdown]
# :::{exercise}
# :label: ch02-ex3
# Show that persistence scores a direction accuracy of (almost) zero, and
# compute the direction accuracy of "tomorrow goes up" (`previous * 1.001`)
# on the test rows of `DATASET`. Why is direction accuracy on its own a
# poor measure of a price forecast? Keep the two direction accuracies in
# `da_persistence` and `da_up`.
# :::
#
# ```{solution-start} ch02-ex3
# :class: dropdown
# ```

# %%
always_up = previous * 1.001
da_persistence = metrics.direction_accuracy(actual, forecasts["persistence"],
                                            previous)
da_up = metrics.direction_accuracy(actual, always_up, previous)
print(f"direction accuracy: persistence {da_persistence:.3f}, "
      f"always up {da_up:.3f}; share of up days in the test rows "
      f"{np.mean(actual > previous):.3f}")

# %% [markdown]
# Persistence predicts "no change", which matches the sign only on days the
# price did not move. "Always up" scores the share of up days in the test
# period, often above one half in a rising market, without any skill.
# Direction accuracy ignores the size of the moves, and its value must be
# compared with the share of up days (and tested), not with zero.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch02-ex3"):
    checks.close(da_persistence, checks.share_of_unchanged_days(ds),
                 "da_persistence",
                 what="the share of test days on which the close stayed put")
    checks.close(da_up, checks.share_of_up_days(ds), "da_up",
                 what="the share of up days in the test rows")

# %% [markdown]
# :::{exercise}
# :label: ch02-ex4
# Apply `metrics.lag_correlation` to the change each forecast *implies*:
# compare `forecast - previous` with `actual - previous` for the SimpleRNN
# and the moving average of the CSI 300 test rows (persistence implies no
# change at all, so it has no correlation to compute). What do the
# correlations at lag 0 and at positive lags tell you about each forecast?
# :::
#
# ```{solution-start} ch02-ex4
# :class: dropdown
# ```

# %%
previous_csi = lu_csi.previous("test")
implied = pd.DataFrame(
    {name: metrics.lag_correlation(actual_csi - previous_csi,
                                   lagged[name] - previous_csi, max_lag=5)
     for name in ["SimpleRNN", "moving average (5)"]})
checks.claim((implied["SimpleRNN"].abs() < 0.1).all(),
             "for the SimpleRNN it is close to zero at every lag")
checks.claim((implied.loc[1:3, "moving average (5)"] < -0.3).all()
             and abs(implied.loc[0, "moving average (5)"]) < 0.1,
             "the moving average's implied change is strongly negatively "
             "correlated with the actual changes of the previous few days "
             "and uncorrelated with the same day's move")
implied.round(3)

# %% [markdown]
# The correlation at lag 0 is what matters for a forecaster: does the
# predicted move go with the actual move of the same day? For the SimpleRNN
# it is close to zero at every lag: the small change it adds to yesterday's
# price carries no information about tomorrow. The moving average's implied
# change is strongly *negatively* correlated with the actual changes of the
# previous few days (it bets that recent moves reverse) and is also
# uncorrelated with the same day's move. Neither forecast knows anything
# about tomorrow's direction that persistence does not.
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch02-ex5
# The leaky-scaler demonstration kept everything else fixed. Change the
# representation instead, in two steps, and compare each with persistence
# on the same test rows:
# (a) keep the scaled close as input but predict the log return,
# `prep.make_dataset(ndx, lu_ndx, window=1, target_kind="log_return")`;
# (b) use the log return as the input as well. Which step removes the
# extrapolation problem, and what error is left?
# :::
#
# ```{solution-start} ch02-ex5
# :class: dropdown
# ```
# The same SimpleRNN, over the chapter's seeds and epochs:

# %%
# (a) the scaled close in, the log return out
to_return = prep.make_dataset(ndx, lu_ndx, window=1, target_kind="log_return")
exp_a = experiments.run(build, to_return, seeds=seeds, epochs=epochs)

# (b) the log return in and out; the first row has no return, so the
# training period is one row shorter and the test rows stay the same
ndx_lr = ndx.assign(log_return=prep.log_returns(ndx["close"])).iloc[1:]
split_b = splits.chronological_split(ndx_lr, lu_setting["train_rows"] - 1)
return_in = prep.make_dataset(ndx_lr, split_b, features=["log_return"],
                              window=1, target_kind="log_return")
exp_b = experiments.run(build, return_in, seeds=seeds, epochs=epochs)

steps = pd.concat({"(a) close in, return out": exp_a.scores["test"],
                   "(b) return in, return out": exp_b.scores["test"]})
step_rmse = steps["RMSE"].unstack()
ratio_a, ratio_b = step_rmse["model"] / step_rmse["persistence"]
print(f"model RMSE / persistence's: (a) {ratio_a:.2f}, (b) {ratio_b:.3f}; "
      + ("(b) lands very close to persistence" if abs(ratio_b - 1) < 0.02
         else f"(b) is not close to persistence yet after {epochs} epochs"))
checks.claim(ratio_a > 1.2 and ratio_a > ratio_b,
             "(a) compounds into a large error; (b) removes the "
             "extrapolation problem")
tables.format_table(steps[[*SHOWN, "DM p"]]).rename(columns=LABELS)

# %% [markdown]
# In (a) the forecast is `last close * exp(predicted return)`, so the price
# level comes from the data, not from the network; but the *input* still
# lies far outside the training range, and the network's predicted return
# for such inputs is biased, which compounds into a large error. In (b)
# inputs and target are returns, whose distribution is about the same in
# training and test: nothing needs extrapolating, and once the network has
# trained long enough the error lands very close to persistence (the line
# printed above says whether this run got there). That is the honest
# result for a daily forecast from the previous day alone: there is almost
# nothing to learn beyond "tomorrow is like today".
#
# ```{solution-end}
# ```
#
# :::{exercise}
# :label: ch02-ex6
# Does the primer's SimpleRNN beat persistence? Build the Diebold-Mariano
# test from its formulas (without `metrics.diebold_mariano`) for the
# network's forecast `primer_pred` and persistence on the test rows of
# `primer_ds` (`DATASET`'s), with the errors $e_t = y_t - \hat y_t$:
#
# 1. the loss differential `ex6_d`,
#    $d_t = e_{\text{net},t}^2 - e_{\text{pers},t}^2$, one value per test day;
# 2. its long-run variance `ex6_lrv`: the autocovariances
#    $\hat\gamma_k = \tfrac{1}{m}\sum_{t=k+1}^{m}(d_t - \bar d)
#    (d_{t-k} - \bar d)$ with Bartlett weights
#    $1 - k/(L+1)$ over $L$ = `metrics.newey_west_lags(m)` lags;
# 3. the statistic `ex6_stat`: $\bar d / \sqrt{\hat S / m}$ times the
#    small-sample factor $\sqrt{(m - 1)/m}$ of {cite}`harvey1997` (for
#    one-day forecasts), and its two-sided p-value `ex6_p` from Student's $t$
#    with $m - 1$ degrees of freedom (`scipy.stats.t.sf`);
# 4. your decision at the 5 % level, `ex6_verdict`: `"network"` if the
#    network is significantly more accurate, `"persistence"` if persistence
#    is, `"neither"` if the test cannot tell them apart.
#
# How would the statistic and the p-value change with the plain variance
# $\hat\gamma_0$ in place of $\hat S$?
# :::
#
# ```{solution-start} ch02-ex6
# :class: dropdown
# ```

# %%
from scipy import stats

ex6_actual = primer_ds.actual("test")
ex6_e_net = ex6_actual - primer_pred
ex6_e_pers = ex6_actual - baselines.persistence(primer_ds)
ex6_d = ex6_e_net**2 - ex6_e_pers**2  # > 0: the network's loss is larger
ex6_m = len(ex6_d)
ex6_lags = metrics.newey_west_lags(ex6_m)
ex6_c = ex6_d - ex6_d.mean()
ex6_gamma = [ex6_c[k:] @ ex6_c[:ex6_m - k] / ex6_m
             for k in range(ex6_lags + 1)]  # autocovariances, lag 0 .. L
ex6_lrv = ex6_gamma[0] + 2 * sum((1 - k / (ex6_lags + 1)) * ex6_gamma[k]
                                 for k in range(1, ex6_lags + 1))


def ex6_test(variance):
    """The corrected statistic and its two-sided p-value."""
    dm = ex6_d.mean() / np.sqrt(variance / ex6_m)
    stat = dm * np.sqrt((ex6_m - 1) / ex6_m)  # the HLN factor for h = 1
    return stat, 2 * stats.t.sf(abs(stat), df=ex6_m - 1)


ex6_stat, ex6_p = ex6_test(ex6_lrv)
if ex6_p >= 0.05:
    ex6_verdict = "neither"
else:
    ex6_verdict = "network" if ex6_stat < 0 else "persistence"
ex6_plain = ex6_test(ex6_gamma[0])
print(f"{ex6_m} test days, L = {ex6_lags} lags; network RMSE "
      f"{metrics.rmse(ex6_actual, primer_pred):.2f}, persistence "
      f"{metrics.rmse(ex6_actual, ex6_actual - ex6_e_pers):.2f}")
print(f"Newey-West variance: DM = {ex6_stat:+.2f}, p = {ex6_p:.2g} -> "
      f"verdict: {ex6_verdict}")
print(f"plain variance:      DM = {ex6_plain[0]:+.2f}, "
      f"p = {ex6_plain[1]:.2g} (long-run / plain variance "
      f"{ex6_lrv / ex6_gamma[0]:.2f})")
checks.claim(ex6_lrv > ex6_gamma[0], "the long-run variance is larger "
             "than the plain one")

# %% [markdown]
# The first line under the code gives the decision. The long-run variance
# is larger than the plain one: the network's errors drift slowly (too low
# for days in a row), so the loss differentials are positively
# autocorrelated and carry less information than $m$ independent days
# would. The plain variance therefore makes the statistic larger in absolute
# value and the p-value smaller than they should be (the second line): it
# would declare differences real too readily. `metrics.diebold_mariano`
# computes exactly this test, with `lags=0` for the plain variance.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
def _ex6_slip(value, name, slips):
    """Fail with a hint when ``value`` matches one of the known slips."""
    for hint, wrong in slips.items():
        if np.shape(value) == np.shape(wrong) and np.allclose(
                value, wrong, rtol=1e-6, atol=0):
            raise checks.CheckFailed(f"`{name}` looks like {hint}")


with checks.exercise("ch02-ex6"):
    _truth = primer_ds.actual("test")
    _e = (_truth - primer_pred, _truth - baselines.persistence(primer_ds))
    _d = _e[0] ** 2 - _e[1] ** 2
    _lags = metrics.newey_west_lags(len(_d))
    _dm, _p = metrics.diebold_mariano(*_e)
    checks.is_set(ex6_d, "ex6_d")
    _ex6_slip(ex6_d, "ex6_d", {
        "persistence's loss minus the network's: take the network's first":
            -_d,
        "a difference of absolute errors: square them": np.abs(_e[0])
        - np.abs(_e[1])})
    checks.close(ex6_d, _d, "ex6_d", what="the network's squared error "
                 "minus persistence's, one value per test day")
    checks.number(ex6_lrv, "ex6_lrv")
    _ex6_slip(ex6_lrv, "ex6_lrv", {
        "the plain variance: add the autocovariances with Bartlett weights "
        "over metrics.newey_west_lags(m) lags": np.var(_d)})
    checks.close(ex6_lrv, metrics.long_run_variance(_d, _lags), "ex6_lrv",
                 what="the Newey-West (Bartlett) long-run variance of the "
                 "loss differential")
    checks.number(ex6_stat, "ex6_stat")
    _ex6_slip(ex6_stat, "ex6_stat", {
        "the statistic with the plain variance (no autocovariances)":
            metrics.diebold_mariano(*_e, lags=0)[0],
        "the statistic with its sign flipped: positive means the network's "
        "loss is larger": -_dm,
        "the statistic of absolute errors: square them":
            metrics.diebold_mariano(*_e, loss="absolute")[0],
        "the statistic without the small-sample factor sqrt((m - 1) / m)":
            _dm / np.sqrt((len(_d) - 1) / len(_d))})
    checks.close(ex6_stat, _dm, "ex6_stat", what="the Diebold-Mariano "
                 "statistic with the Newey-West variance and the HLN factor")
    checks.number(ex6_p, "ex6_p", low=0, high=1)
    checks.close(ex6_p, _p, "ex6_p", what="the two-sided p-value of "
                 "Student's t with m - 1 degrees of freedom")
    checks.is_set(ex6_verdict, "ex6_verdict")
    if ex6_verdict not in ("network", "persistence", "neither"):
        raise checks.CheckFailed('`ex6_verdict` should be "network", '
                                 '"persistence" or "neither"')
    _want = ("neither" if _p >= 0.05 else
             "network" if _dm < 0 else "persistence")
    if ex6_verdict != _want:
        raise checks.CheckFailed(
            f'`ex6_verdict` = "{ex6_verdict}" does not follow from the '
            "test: compare the p-value with 0.05, and read the sign (positive"
            ": the network's squared errors are the larger)")
