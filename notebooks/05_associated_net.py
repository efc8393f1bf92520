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
# # Associated nets: the next open, low and high together
#
# The networks of the previous chapters forecast one number, the next close.
# A trader who places orders before the market opens cares about other
# prices too: where tomorrow will open, and how low and how high it will go.
# These three prices are tied to each other: the low can never lie above the
# open, and the high never below it. {cite}`ding2020` build this link into
# the network. Their *associated net* has three branches that read the same
# window of past days; the first forecasts the open, the second forecasts
# the low from its own reading *and* the first branch's open, the third
# forecasts the high from its own reading and both earlier forecasts. They
# compare it with a single LSTM and a stacked LSTM with dropout on the
# Shanghai Composite and two Chinese stocks, and report an "average
# accuracy" above a high threshold for every price and data set.
#
# This chapter builds the three models with Keras' functional API, repeats
# the paper's study of the window length, and reproduces its comparison on
# its data sets and split. We add what the paper leaves out: errors in
# prices, the naive forecast and a linear model on the same rows, a
# significance test, and several seeds. We then take a close look at the
# paper's accuracy measure, check whether the forecasts respect
# low <= open <= high, and run an experiment the paper suggests but does
# not do: forecasting the day's high once its open is known.
#
# **Learning goals.** After this chapter you can
#
# * build a multi-output network with the Keras functional API, name its
#   outputs, and give it one loss per output;
# * define a fair naive forecast for each of several targets, and score
#   every target in prices on the same rows;
# * explain why "1 - MAE on min-max scaled data" says almost nothing about
#   a forecast, and name the numbers to read instead;
# * count forecasts that break a known constraint, and build the constraint
#   into a network's outputs;
# * tell a forecast made before the open from one made after it, and
#   measure what the extra information is worth.

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Code, Markdown, display

from stocklearn import (
    baselines,
    checks,
    data,
    evaluation,
    experiments,
    features,
    metrics,
    models,
    papers,
    plots,
    prep,
    prose,
    results,
    settings,
    splits,
    tables,
    training,
)
from stocklearn.backend import keras  # Keras, with TensorFlow kept quiet

plots.set_style()  # the course's figure style, also for the one-off figures

# %% tags=["parameters"]
# "fast" or "full"; None: env STOCKLEARN_PROFILE, else "fast"
PROFILE = None
# series of the two side studies (sections 5 and 6): one of the paper's
# three, "sse_composite", "petrochina_601857" or "zte_000063"
DATASET = "sse_composite"
# None: the profile's choice; a number sets the epochs of every training
EPOCHS = None
# None: the profile's first seed in "fast", its first 2 in "full"
SEEDS = None
# the paper's data sets to reproduce; None: all three ("000001.SH", ...)
SERIES = None
WINDOW = 20  # look-back of the reproduction in days: the paper's choice
# validation slice: the last share of each training period: ASSUMPTION
VAL_FRACTION = 0.1
# look-backs of the window study; None: the profile's choice
WINDOWS = None
# epochs of the window study; None: EPOCHS, else the profile's choice
WINDOW_EPOCHS = None
UNITS = (32, 32)  # LSTM units of each DRNN and branch: ASSUMPTION
DROPOUT = 0.2  # dropout after each LSTM layer: ASSUMPTION
BATCH_SIZE = 128  # ASSUMPTION
LEARNING_RATE = 1e-3  # Adam's default: ASSUMPTION

# %%
profile = settings.get_profile(PROFILE)
ding = papers.SETTINGS["ding2020"]  # what the paper states
seeds = (tuple(SEEDS) if SEEDS is not None
         else profile.pick(fast=profile.seeds[:1], full=profile.seeds[:2]))
side_seeds = seeds[:1]  # window study and side studies: one seed
codes = list(SERIES) if SERIES is not None else list(ding["rows"])
UNITS = tuple(UNITS)
epochs = EPOCHS or profile.pick(fast=2, full=10)
windows = (tuple(WINDOWS) if WINDOWS is not None
           else profile.pick(fast=(5, 20), full=ding["windows"]))
window_epochs = WINDOW_EPOCHS or EPOCHS or profile.pick(fast=2, full=10)
chapter_start = time.perf_counter()
display(Markdown(settings.run_note(
    profile, "notebooks/05_associated_net",
    backend=keras.backend.backend(),
    details=f"seeds {seeds}, {epochs} epochs")))
print(f"reproduction: {codes}, seeds {seeds}, {epochs} epochs (the "
      f"paper's loss curves: {ding['curve_epochs']}), window "
      f"{WINDOW}, units {UNITS}, dropout {DROPOUT}, batch {BATCH_SIZE}")
print(f"window study: windows {windows}, {window_epochs} epochs (the "
      f"paper's: {ding['window_study_epochs']}), seeds {side_seeds}; "
      f"side studies on {DATASET!r}, seeds {side_seeds}")


def epochs_cut(ours, papers_epochs):
    """What the run cut from the paper's epochs ("" when nothing)."""
    return (f"{ours} of {papers_epochs} epochs" if ours < papers_epochs
            else "")


# what every network of the reproduction cut from the paper's setting
repro_cut = "; ".join(part for part in (
    epochs_cut(epochs, ding["curve_epochs"]),
    f"fitted on the first {1 - VAL_FRACTION:.0%} of the training rows "
    "(the rest: validation)" if VAL_FRACTION else "") if part)
study_cut = epochs_cut(window_epochs, ding["window_study_epochs"])
print(f"cut from the paper: reproduction {repro_cut or 'nothing'}; "
      f"window study {study_cut or 'nothing'}")

# %% [markdown]
# ## Three linked prices, one network
#
# ### The data
#
# {cite}`ding2020` use three series: the Shanghai Composite index
# (000001.SH), PetroChina (601857.SH) and ZTE (000063.SZ), each from its
# first trading day, with the row counts printed below. The data provenance
# appendix finds the last date of each count in the bundled series. The
# paper feeds seven daily attributes to its networks, but the table that
# named them was lost; we assume the open, high, low, close, volume, the
# change of the close from the previous day and its percentage change
# (`features.add_changes`). The first day has no change, so we drop it:
# every series keeps its last rows, and the test rows below are exactly those
# of a 4:1 split of the paper's row count. The last `VAL_FRACTION` of each
# training period is our validation slice: the networks are fitted on the
# rows before it, and every choice this chapter makes (which window, which
# network) is made on it, before the test rows are read. The paper has no
# such slice; the window study explains the length we chose.

# %%
INPUTS = ("open", "high", "low", "close", "volume", "change",
          "pct_change")  # ASSUMPTION: the paper's table was lost
TARGETS = list(ding["targets"])  # next day's open, low, high
NAMES = {"000001.SH": "Shanghai", "601857.SH": "PetroChina",
         "000063.SZ": "ZTE"}
CODE_OF = {name: code for code, name in ding["series"].items()}
if DATASET not in CODE_OF or CODE_OF[DATASET] not in codes:
    raise ValueError(f"DATASET must be one of the reproduced series "
                     f"{[ding['series'][c] for c in codes]}, got {DATASET!r}")


def ding_frame(code):
    """The paper's rows of one series with the 7 inputs (first row gone).

    Changes are computed on the whole bundled series, then its first
    ``rows - 1`` rows are kept: the paper's rows without the first day.
    """
    raw = data.load(ding["series"][code])
    return features.add_changes(raw).iloc[: ding["rows"][code] - 1]


def training_period(code):
    """Rows of the paper's training part (4:1), first row dropped."""
    return round(ding["train_fraction"] * ding["rows"][code]) - 1


def ding_split(frame, code, val=VAL_FRACTION):
    """4:1 in time order of the paper's row count, the last ``val`` of the
    training period as validation; the paper's test rows."""
    return splits.chronological_split(frame, training_period(code), val=val)


frames = {code: ding_frame(code) for code in codes}
overview = pd.DataFrame({
    NAMES[code]: {
        "paper's rows": ding["rows"][code],
        "first": frame.index[0].date(),
        "last": frame.index[-1].date(),
        "training rows": len(ding_split(frame, code).rows("train")),
        "validation rows": len(ding_split(frame, code).rows("val")),
        "test rows": len(ding_split(frame, code).rows("test")),
        "first test day": frame.index[ding_split(frame, code).test[0]]
        .date(),
    }
    for code, frame in frames.items()
}).T
overview

# %% [markdown]
# ### How the three prices are linked
#
# Every day's bar satisfies low <= open <= high and low <= close <= high:
# the low and the high are the extremes of all the day's trades, the open
# and the close two of them. The bundled data pass these checks on every
# row (chapter 1), which we confirm for the rows used here:

# %%
def linked(frame):
    """Share of days on which each of the bar's inequalities holds."""
    lo, op, hi, cl = (frame[c] for c in ("low", "open", "high", "close"))
    return pd.Series({
        "low <= open": (lo <= op).mean(),
        "open <= high": (op <= hi).mean(),
        "low <= close <= high": ((lo <= cl) & (cl <= hi)).mean(),
    })


linked_table = pd.DataFrame({NAMES[c]: linked(f)
                             for c, f in frames.items()}).T
checks.claim((linked_table == 1).all().all(),
             "the bundled data pass these checks on every row")
linked_table

# %% [markdown]
# A network that forecasts the three prices separately knows nothing of
# this. {cite}`ding2020` argue that a network which passes its open forecast
# on to the low, and both on to the high, can use the link. Whether it does
# is one of the things we test.
#
# ### The naive forecast of each target
#
# Every forecast in this course is compared with persistence, "tomorrow =
# today". With three targets we have to say what "today" is for each. For
# the open it is today's **close**, not today's open: the next open follows
# the last trade before it, and only the overnight news moves it away from
# that, while today's open lies a whole trading day back. For the low and
# the high it is today's low and today's high: "nothing changes" for the
# day's range. These three also keep the naive forecasts in order, since
# today's low <= today's close <= today's high. They are not the only
# candidates, and exercise {ref}`ch05-ex1` chooses among more of them on
# the training rows.

# %%
PERSISTENCE = {"open": "close"}  # low and high: today's low and high

# %% [markdown]
# `baselines.persistence(ds, columns={"open": "close"})` gives this forecast
# for a data set with the three targets, and `evaluation.score_dataset` and
# `experiments.run` take the same mapping as `persistence_columns`. Direction
# accuracy is measured from the same "today" value.
#
# ### A network with three outputs
#
# A Keras `Sequential` model is a chain: each layer feeds the next. The
# associated net is a graph, so we build it with the **functional API**:
# each layer is called on the tensors it reads, and the model is defined by
# its inputs and outputs. A model can have several named outputs, each with
# its own loss; Keras then minimises a weighted sum of the losses. The paper
# takes the mean of the three mean squared errors, so each output gets the
# weight 1/3.
#
# The building block is the paper's deep recurrent network (DRNN): LSTM
# layers stacked, each followed by dropout. As a model on its own it ends in
# one dense layer; as a branch of the associated net, it ends in its last
# LSTM state:

# %%
display(Code(inspect.getsource(models.drnn_branch), language="python"))
display(Code(inspect.getsource(models.associated_net), language="python"))

# %% [markdown]
# The branches share no weights; what ties them is that branch 2 reads the
# output of branch 1 and branch 3 reads the outputs of branches 1 and 2.
# Gradients flow back along these links too, so the open branch also learns
# from the errors of the low and the high. The paper does not say whether
# it stopped them; we do not. The graph, drawn by hand:

# %%
fig, ax = plt.subplots(figsize=(9, 4.6))
box = {"boxstyle": "round,pad=0.4", "fc": "white"}
ax.text(4, 0, f"window: {WINDOW} days x {len(INPUTS)} inputs",
        ha="center", va="center", fontsize=11, bbox={**box, "ec": "C2"})
for i, (target, color) in enumerate(zip(TARGETS, ("C0", "C1", "C4"),
                                         strict=True)):
    x = 1.5 + 2.5 * i
    for start, end in (((4, 0.3), (x, 1.0)), ((x, 2.2), (x, 3.1))):
        ax.annotate("", xy=end, xytext=start, arrowprops={
            "arrowstyle": "->", "color": "0.3"})
    ax.text(x, 1.6, f"branch {i + 1}: DRNN\nLSTM -> dropout\n"
            "LSTM -> dropout", ha="center", va="center", fontsize=9.5,
            bbox={**box, "ec": color})
    ax.text(x, 3.4, f"Dense -> {target}", ha="center", va="center",
            fontsize=10.5, bbox={**box, "ec": color})
# the red links: open -> low, low -> high, and open -> high (arched)
for start, end, rad in (((2.25, 3.4), (3.25, 3.4), 0),
                        ((4.75, 3.4), (5.75, 3.4), 0),
                        ((1.7, 3.7), (5.9, 3.55), -0.25)):
    ax.annotate("", xy=end, xytext=start, arrowprops={
        "arrowstyle": "->", "color": "C3", "lw": 1.6,
        "connectionstyle": f"arc3,rad={rad}"})
ax.text(4, 4.35, "red: a forecast passed on as an input (concatenated "
        "with the branch's own LSTM state)", ha="center", fontsize=9.5,
        color="C3")
ax.set(xlim=(-0.3, 8.3), ylim=(-0.5, 4.7),
       title="The associated net of Ding & Qin (2020)")
ax.axis("off")
plt.show()

# %% [markdown]
# The same graph as Keras built it, layer by layer, with what each layer
# reads (`models.layer_table`; the drawing tools Keras uses for model plots,
# pydot and graphviz, are not needed):

# %%
assoc_demo = models.associated_net((WINDOW, len(INPUTS)), units=UNITS,
                                   dropout=DROPOUT)
models.layer_table(assoc_demo)

# %% [markdown]
# The paper's two comparison models forecast the same three prices. We give
# each one output layer of three units: a single LSTM, and the DRNN of the
# same size as one branch. Both then minimise the mean of the three squared
# errors, like the associated net (ASSUMPTION: the paper does not say
# whether it trained one network per price).

# %%
BUILDERS = {
    "LSTM": lambda ds: models.lstm(
        ds.input_shape, units=UNITS[0], n_outputs=len(TARGETS),
        learning_rate=LEARNING_RATE, steps_per_execution=1),
    "DRNN": lambda ds: models.drnn(
        ds.input_shape, units=UNITS, dropout=DROPOUT,
        n_outputs=len(TARGETS), learning_rate=LEARNING_RATE),
    "Assoc. Net": lambda ds: models.associated_net(
        ds.input_shape, units=UNITS, dropout=DROPOUT,
        learning_rate=LEARNING_RATE),
}
sizes = {name: build(prep.make_dataset(
    frames[codes[0]], ding_split(frames[codes[0]], codes[0]),
    features=INPUTS, targets=TARGETS, window=WINDOW)).count_params()
    for name, build in BUILDERS.items()}
print("weights:", sizes)

# %% [markdown]
# ## The window study
#
# How many past days should the network see? {cite}`ding2020` trained the
# associated net on the Shanghai Composite with four windows ("step
# sizes"), each for the number of epochs in the table below, and compared
# the loss curves and the average loss. The shortest window had the lowest
# average loss, but the curves of the two middle ones fell fastest and
# settled, and they chose the window marked `chosen`. The text keeps only
# one number of their Table 1, the difference between the average losses
# of that window and the shortest:

# %%
papers.ding2020_window_study()

# %% [markdown]
# We repeat the study on the same rows with one change: a choice made from
# losses needs losses the network was not fitted on. We cut a validation
# slice from the end of the training period (the test rows stay untouched);
# every window gets the same validation rows as targets, and the same seed.
# How long a slice? The scaler is fit on the rows before it, and the
# Shanghai Composite's 2007 bubble sits near the end of the training
# period. A slice that starts before the bubble asks the network for prices
# far above anything it was fitted on, the scaling trap of chapter 3, and
# its loss then measures that failure rather than the window. The share of
# validation targets above the fitted range for two slice lengths:

# %%
SSE = "000001.SH"
study_frame = ding_frame(SSE)
prose.glue("val_share", VAL_FRACTION)
outside = {}
for fraction in (0.2, VAL_FRACTION):
    trial = prep.make_dataset(
        study_frame, ding_split(study_frame, SSE, val=fraction),
        features=INPUTS, targets=TARGETS, window=WINDOW)
    outside[fraction] = np.mean(trial.val.y > 1)
    print(f"last {fraction:.0%} of the training period as validation: "
          f"{outside[fraction]:.0%} of its scaled targets above 1, "
          f"largest {trial.val.y.max():.2f}")
checks.claim(outside[0.2] > 0.5 and outside[VAL_FRACTION] == 0,
             "with the last fifth, most validation targets lie above the "
             "fitted range; with the last tenth none do")
study_split = ding_split(study_frame, SSE)
study_split.describe()[["rows", "first", "last"]]

# %% [markdown]
# With the last fifth, most validation targets lie above the fitted range;
# with the last {glue:text}`val_share:.0%` (`VAL_FRACTION`), which starts
# after the bubble, none do (the printed lines give the shares). We take this
# slice, for this study and for the whole chapter (ASSUMPTION: the paper does
# not say on which rows it judged its curves). The study trains each window
# for `window_epochs` epochs; the paper trained 50 (both printed at the top).

# %%
def assoc_build(ds):
    """The associated net of the chapter's sizes."""
    return BUILDERS["Assoc. Net"](ds)


study = {}
for window in windows:
    ds_w = prep.make_dataset(study_frame, study_split, features=INPUTS,
                             targets=TARGETS, window=window)
    for seed in side_seeds:
        training.release_memory()  # the previous model's memory
        settings.set_seed(seed)
        history = training.fit(assoc_build(ds_w), ds_w,
                               epochs=window_epochs, batch_size=BATCH_SIZE)
        study[window, seed] = history.history
    print(f"window {window:2d}: {len(ds_w.train)} training windows, "
          f"{len(ds_w.val)} validation windows")

# %%
plots.loss_curves({f"window {w}": study[w, side_seeds[0]]
                   for w in windows},
                  title="Associated net on the Shanghai Composite: "
                  "mean of the three MSEs (scaled)")
plt.show()

# %% [markdown]
# The reproduction keeps the paper's window, so that it is the paper's
# setting. Whether this study, with its few epochs and one seed, supports
# any other value is for you to judge in exercise {ref}`ch05-ex2`.

# %% [markdown]
# ## Reproduction
#
# ### Setting
#
# The three series, their first rows as above, the seven inputs, a 4:1
# chronological split, min-max scaling fit on the training rows only (inputs
# and targets; `prep.make_dataset`), windows of `WINDOW` days, and the three
# models. Targets are the next day's open, low and high, all scaled; every
# forecast is turned back into prices (`Dataset.to_price`) and scored on the
# same test rows as persistence and the linear baseline.
#
# :::{admonition} Assumptions and what we changed
# :class: note
# The paper gives neither the sizes of its networks nor its batch size,
# learning rate or dropout rate. We assume two LSTM layers of `UNITS` units
# per DRNN and per branch, dropout `DROPOUT`, batches of `BATCH_SIZE` and
# Adam with learning rate `LEARNING_RATE`; the single LSTM has `UNITS[0]`
# units. All are parameters. The paper does not say how long it trained the
# final models (its loss curves run for `ding["curve_epochs"]` epochs);
# that long, for three models, three data sets and several seeds, does not
# fit the course's time budget on two CPU cores, so we train for `EPOCHS`
# epochs over `SEEDS` (printed at the top). The networks are fitted on the
# training rows before the validation slice, which the paper does not set
# aside. What our run cut from the paper's setting is printed at the top
# and saved with every result row (`cut`). In the `fast` profile the
# networks see only a couple of epochs: their errors in prices can then be
# many times persistence's, and the page demonstrates the method rather
# than measures the networks; the table after the verdict sets this run
# beside the recorded `full` run.
# :::

# %%
repro_sets = {code: prep.make_dataset(frame, ding_split(frame, code),
                                      features=INPUTS, targets=TARGETS,
                                      window=WINDOW)
              for code, frame in frames.items()}
def run_with_val(build, ds):
    """``experiments.run``, plus each seed's forecasts of the validation
    windows (``runs.arrays["val_pred"]``): what the chapter chooses on."""
    def one(seed):
        record = training.train_and_forecast(
            build, ds, epochs=epochs, batch_size=BATCH_SIZE, seed=seed)
        model = record.pop("model")
        record["val_pred"] = ds.to_price(training.predict(model, ds.val.X),
                                         "val")
        return record

    every = experiments.repeat(one, seeds)
    return experiments.Experiment(ds=ds, runs=every, scores={
        part: evaluation.score_dataset(
            ds, {"model": every.arrays[f"{part}_pred"]}, part,
            persistence_columns=PERSISTENCE)
        for part in ("train", "test")})


runs = {}
for code, ds in repro_sets.items():
    for name, build in BUILDERS.items():
        runs[code, name] = run_with_val(build, ds)
        print(f"{NAMES[code]:10s} {name:10s} {len(seeds)} seed(s), "
              f"{len(ds.train)} training windows: "
              f"{runs[code, name].seconds:5.1f} s")
print(f"each network trained for {epochs} of the paper's "
      f"{ding['curve_epochs']} epochs"
      + (": in the fast profile a demonstration of the method; its "
         "errors are not what these networks can do"
         if profile.name == "fast" else ""))

# %% [markdown]
# ### The paper's measure
#
# {cite}`ding2020` score each forecast by 1 minus its mean absolute error on
# the min-max scaled data and call it "average accuracy" (the package's
# `evaluation.scaled_accuracy`). Their tables of these numbers were not
# preserved, only the statement that every model, price and data set scored
# above the threshold shown in the `paper` column. Ours, mean ± standard
# deviation over seeds, beside the same number for persistence and the
# linear baseline:

# %%
MODELS = list(BUILDERS)
COLUMNS = [*MODELS, "persistence", "linear"]


def forecasts_of(code, part="test"):
    """The forecasts of every model on one data set (seeds x m x 3) of
    the test or the validation windows."""
    return {name: runs[code, name].runs.arrays[f"{part}_pred"]
            for name in MODELS}


def wide(tables, value, spread=(" std",)):
    """(data set, target) rows, one column per forecast, from tables
    indexed (target, forecast); each network also gets the columns
    ``value + suffix`` for the suffixes in ``spread``."""
    out = {}
    for code, table in tables.items():
        for target in TARGETS:
            block = table.loc[target]
            row = {name: block.loc[name, value] for name in COLUMNS}
            for name in MODELS:
                for suffix in spread:
                    row[name + suffix] = block.loc[name, value + suffix]
            out[NAMES[code], target] = row
    return pd.DataFrame.from_dict(out, orient="index")


accuracy = {code: evaluation.scaled_accuracy(
    ds, forecasts_of(code), persistence_columns=PERSISTENCE)
    for code, ds in repro_sets.items()}
claim = papers.ding2020_claim()
acc_table = wide(accuracy, evaluation.ACCURACY)
acc_table.insert(0, "paper", [
    f"> {claim.loc[(code, t), 'above']:.2f}"
    for code in repro_sets for t in TARGETS])
tables.format_table(acc_table, decimals=4)

# %%
thresholds = [claim.loc[(code, t), "above"] for code in repro_sets
              for t in TARGETS]
above = acc_table[COLUMNS].to_numpy() > np.array(thresholds)[:, None]
print(f"cells above the paper's threshold: networks "
      f"{above[:, :len(MODELS)].sum()} of {above[:, :len(MODELS)].size}, "
      f"persistence {above[:, len(MODELS)].sum()} of {len(above)}")
higher = (acc_table["persistence"]
          > acc_table[MODELS].astype(float).max(axis=1)).sum()
print(f"persistence above the best network: {higher} of {len(acc_table)}")
checks.claim(above[:, len(MODELS)].all(),
             "so does persistence, which knows nothing")

# %% [markdown]
# By the paper's own measure the reproduction succeeds as far as the
# printed count says: the networks' cells that clear the threshold. So does
# persistence, which knows nothing, in every cell, and the last line counts
# the cells where it scores *higher* than the best network. The next tables
# show the errors in prices.
#
# ### Errors in prices
#
# Mean absolute error in index points (Shanghai) or yuan (the two stocks).
# The column of each network scores its **seed ensemble**, the mean of its
# forecasts over the seeds, which is the forecast the tests below test; the
# `per seed` columns give the mean ± standard deviation of each seed's own
# score, what a single training run gives. Beside them persistence, the
# linear baseline (a ridge regression on the same windows, relative to the
# last close, fit on the training windows: chapter 2), and the
# Diebold-Mariano p-value {cite}`diebold1995` of the associated net's
# ensemble against persistence, with the loss of the table's metric
# (absolute errors for the MAE, squared errors for the RMSE):

# %%
scores = {code: evaluation.score_dataset(
    ds, forecasts_of(code), persistence_columns=PERSISTENCE,
    loss="absolute") for code, ds in repro_sets.items()}
scores_squared = {code: evaluation.score_dataset(
    ds, forecasts_of(code), persistence_columns=PERSISTENCE,
    loss="squared") for code, ds in repro_sets.items()}
PER_SEED = (" per seed", " per seed std")


def price_table(metric, tested=None):
    """One metric in prices; with ``tested`` (the score tables of the
    metric's loss) the associated net's DM p-value against persistence."""
    table = wide(scores, metric, PER_SEED)
    if tested is not None:
        table["DM p"] = [tested[code].loc[(t, "Assoc. Net"), "DM p"]
                         for code in repro_sets for t in TARGETS]
    return table


tables.format_table(price_table("MAE", scores), decimals=3)

# %% [markdown]
# The root mean squared error (tested with squared errors) and the mean
# absolute percentage error:

# %%
tables.format_table(price_table("RMSE", scores_squared), decimals=3)

# %%
tables.format_table(price_table("MAPE"), decimals=3)

# %% [markdown]
# The p-values of every model against persistence, equal mean absolute
# error, the loss the MAE table ranks by. A small p-value says the two
# differ, in whichever direction the MAE columns show. The table holds many
# tests, and among many tests some p-values are small by chance; the
# `adjusted p` columns are the p-values adjusted for all the tests of this
# table with Holm's method (`metrics.holm`), and the words below follow
# them:

# %%
dm_raw = pd.DataFrame({
    name: [scores[code].loc[(t, name), "DM p"] for code in repro_sets
           for t in TARGETS]
    for name in [*MODELS, "linear"]
}, index=acc_table.index)
dm = pd.DataFrame(metrics.holm(dm_raw.to_numpy().ravel()).reshape(
    dm_raw.shape), index=dm_raw.index, columns=dm_raw.columns)
dm_shown = pd.concat({"p": dm_raw, "adjusted p": dm}, axis=1).swaplevel(
    axis=1)[[(name, kind) for name in dm_raw
             for kind in ("p", "adjusted p")]]
dm_shown.columns = [f"{name} {kind}" for name, kind in dm_shown.columns]
mae = price_table("MAE", scores)
for name in [*MODELS, "linear"]:
    lower = mae[name] < mae["persistence"]
    counts = {"beats persistence": (lower & (dm[name] < 0.05)).sum(),
              "worse than persistence": (~lower & (dm[name] < 0.05)).sum()}
    print(f"{name:11s} of {len(mae)} cells (adjusted p < 0.05): "
          + ", ".join(f"{word} {n}" for word, n in counts.items()))
tables.format_table(dm_shown)

# %% [markdown]
# The last {glue:text}`last_days` test days of each series, the seed mean of
# each network's forecast and persistence, for the three prices:

# %%
LAST_DAYS = 60  # test days shown in the plots
prose.glue("last_days", LAST_DAYS)


def three_panels(code, forecasts, last_n=LAST_DAYS, title=""):
    """Actual open, low and high with forecasts (seed means)."""
    ds = repro_sets[code]
    dates = ds.test.dates[-last_n:]
    actual = ds.actual("test")[-last_n:]
    pers = baselines.persistence(ds, columns=PERSISTENCE)[-last_n:]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharex=True)
    for j, (ax, target) in enumerate(zip(axes, TARGETS, strict=True)):
        ax.plot(dates, actual[:, j], color="black", lw=1.6, label="actual")
        ax.plot(dates, pers[:, j], color="0.55", ls="--", lw=1.1,
                label="persistence")
        for name, f in forecasts.items():
            f = np.asarray(f).reshape(-1, *ds.test.y.shape)
            ax.plot(dates, f.mean(axis=0)[-last_n:, j], lw=1.1, label=name)
        ax.set_title(f"next-day {target}")
        ax.tick_params(axis="x", labelrotation=45)
    axes[0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


for code in repro_sets:
    three_panels(code, forecasts_of(code),
                 title=f"{NAMES[code]}: last {LAST_DAYS} test days")
plt.show()

# %% [markdown]
# ### Verdict
#
# Which network is best? A fair answer picks it before the test rows are
# read: for each series and price we take the network with the lowest MAE
# of its seed ensemble on the **validation slice**, and only then test that
# network's forecasts of the test rows against persistence (absolute loss,
# the MAE's; Holm-adjusted over the series and prices). The network with
# the lowest *test* MAE is shown too, labelled as the best in hindsight: it
# was chosen on the test rows, so a test of it against persistence would
# overstate it, and it gets none. Generated from the numbers, for whatever
# profile, epochs and seeds this page was executed with:

# %%
val_scores = {code: evaluation.score_dataset(
    ds, forecasts_of(code, "val"), "val", persistence_columns=PERSISTENCE,
    loss="absolute") for code, ds in repro_sets.items()}
val_mae = wide(val_scores, "MAE", ())
chosen = val_mae[MODELS].astype(float).idxmin(axis=1)
chosen_p = np.array([dm_raw.loc[cell, chosen[cell]] for cell in mae.index])
chosen_adj = metrics.holm(chosen_p)
verdict_rows = {}
for (cell, row), p_raw, p_adj in zip(mae.iterrows(), chosen_p, chosen_adj,
                                     strict=True):
    net = chosen[cell]
    hindsight = row[MODELS].astype(float).idxmin()
    verdict_rows[cell] = {
        "chosen on validation": net,
        "val. MAE": val_mae.loc[cell, net],
        "test MAE": row[net], "persistence": row["persistence"],
        "DM p": p_raw, "adjusted DM p": p_adj,
        "verdict": results.verdict(row[net], row["persistence"], p_adj),
        "best in hindsight (test rows)": hindsight,
        "its MAE, untested": row[hindsight],
    }
verdict_table = pd.DataFrame.from_dict(verdict_rows, orient="index")
counts = verdict_table["verdict"].str.split(" \\(").str[0].value_counts()
print(f"the network chosen on validation, on the test rows, {len(mae)} "
      "cells: " + ", ".join(f"{word} {n}" for word, n in counts.items()))
same = (verdict_table["chosen on validation"]
        == verdict_table["best in hindsight (test rows)"]).sum()
print(f"the validation choice is also the best in hindsight in {same} of "
      f"{len(mae)} cells")
tables.format_table(verdict_table, decimals=3)

# %%
high_p = {}
for code, ds in repro_sets.items():
    j = TARGETS.index("high")
    actual = ds.actual("test")[:, j]
    errors = {name: actual - forecasts_of(code)[name].mean(axis=0)[:, j]
              for name in ("Assoc. Net", "DRNN")}
    high_p[NAMES[code]] = metrics.diebold_mariano(
        errors["Assoc. Net"], errors["DRNN"], loss="absolute")[1]
high = mae.xs("high", level=1)
wins = (high["Assoc. Net"] < high["DRNN"]).sum()
high_adj = metrics.holm(list(high_p.values()))
sure = sum(1 for name, p in zip(high_p, high_adj, strict=True)
           if high.loc[name, "Assoc. Net"] < high.loc[name, "DRNN"]
           and p < 0.05)
print(f"the paper's claim that the associated net forecasts the high "
      f"best: its MAE is below the DRNN's on the high in {wins} of "
      f"{len(high)} series here, significantly (DM, absolute loss, "
      f"Holm-adjusted p < 0.05) in {sure}")
linear_wins = [f"{name} {target}" for (name, target), row in mae.iterrows()
               if row["linear"] < row["persistence"]
               and dm.loc[(name, target), "linear"] < 0.05]
print(f"linear baseline significantly better than persistence "
      f"(adjusted p < 0.05) in {len(linear_wins)} of {len(mae)} cells: "
      + (", ".join(linear_wins) or "none"))
nets_better = int((mae[MODELS].to_numpy(float)
                   < mae[["persistence"]].to_numpy(float)).sum())
nets_sig = int(((mae[MODELS].to_numpy(float)
                 < mae[["persistence"]].to_numpy(float))
                & (dm[MODELS].to_numpy() < 0.05)).sum())
if nets_sig:
    in_prices = "some networks do better than repeating today's value"
elif nets_better:
    in_prices = ("no network is significantly better than repeating "
                 "today's value")
else:
    in_prices = "no network is better than repeating today's value"
print(f"in prices, a network's MAE is below persistence's in "
      f"{nets_better} of {mae[MODELS].size} (network, cell) pairs, "
      f"significantly after adjustment in {nets_sig}: {in_prices}")

# %% [markdown]
# In plain words: a network clears the paper's accuracy bar as soon as its
# forecast follows the price level (the count above says how many of ours
# do), and from afar the plot of such a forecast looks good. In prices, the
# last line says whether any of them does better than repeating today's
# value, and the verdict table gives the errors of the network chosen on
# validation beside persistence's. Where no network beats persistence, the
# differences the paper reports between the three networks are differences
# between forecasts that do not beat the naive one. With few epochs the
# ranking of the networks can change with the seed and the number of epochs
# (the printed count says in how many cells the choice on validation is
# also the best in hindsight); `EPOCHS` lifts this limit of the
# reproduction. The linear baseline shows what the same inputs give a
# simple model fitted to its optimum: its line names the cells where it
# beats persistence after the adjustment.
#
# The rows for the course's verdict page: the associated net's MAE for each
# series and price, the paper's proposal, tested as it stands (no choice
# among networks). The paper reports no MAE in prices, so the `paper`
# column stays empty. What its claim implies is an upper bound, 1 minus the
# threshold times the training range of the price: we derived it, the
# paper does not report it, so it goes into the row's note (and the
# `bound` column shown here), not into `paper`.

# %%
rows = []
for code, ds in repro_sets.items():
    spread = np.ptp(ds.train_series(), axis=0)  # the min-max scale
    for j, target in enumerate(TARGETS):
        row = scores[code].loc[(target, "Assoc. Net")]
        threshold = claim.loc[(code, target), "above"]
        bound = (1 - threshold) * spread[j]
        rows.append({
            "experiment": f"{NAMES[code]} Assoc. Net, {target}",
            "metric": "MAE", "paper": np.nan, "bound": bound,
            "ours": row["MAE"],
            "per seed": row["MAE per seed"],
            "per seed std": row["MAE per seed std"],
            "seeds": row["seeds"],
            "persistence": scores[code].loc[(target, "persistence"), "MAE"],
            "linear": scores[code].loc[(target, "linear"), "MAE"],
            "DM p": row["DM p"],  # absolute loss, the MAE's
            "DM p linear": row["DM p linear"],
            "detectable": row["detectable"],
            "cut": repro_cut,
            "note": f"next-day {target}, DM with absolute loss; the paper "
                    f"reports no MAE in prices: its claim, 1 - scaled MAE "
                    f"above {threshold:.2f}, means an MAE below "
                    f"{bound:.4g} (a bound we derived, not a reported "
                    f"number); ours: 1 - scaled MAE "
                    f"{1 - row['MAE'] / spread[j]:.4f}",
        })
saved = pd.DataFrame(rows)
results.save("05_associated_net", saved, profile=profile.name)
tables.format_table(saved.set_index("experiment").drop(
    columns=["metric", "paper", "note"]), decimals=3)

# %% [markdown]
# The same rows beside those of the course's recorded run of the `full`
# profile (which run, printed above the table). Each verdict compares the
# associated net with persistence as the verdict page gives it, Holm-adjusted
# over all the page's rows (this run's with this chapter's rows in place of
# the recorded ones). The printed lines say whether the two runs agree in
# kind, and how far apart their errors are:

# %%
def sig3(value):
    """A price to three significant digits ("–" when missing)."""
    return "–" if pd.isna(value) else f"{value:.3g}"


beside = results.beside_recorded("05_associated_net", profile=profile.name)
beside = beside.droplevel("metric")  # every row is an MAE in prices
known = beside["recorded"].notna()
times = (beside["this run"] / beside["recorded"])[known]
shown = beside.copy()
for column in ("this run", "recorded", "persistence"):
    shown[column] = shown[column].map(sig3)
shown.index = shown.index.str.replace(" Assoc. Net,", ",")
shown.index.name = "Assoc. Net, MAE"
print(results.beside_summary(beside))
if known.any():
    print(f"this run's MAE is {times.min():.1f} to {times.max():.1f} times "
          "the recorded run's")
shown

# %% [markdown]
# ## Why 1 - MAE on scaled data is not an accuracy
#
# Min-max scaling maps the training range of a price, from its lowest to its
# highest value, onto $[0, 1]$. It is a straight line, so an error of $e$
# in prices becomes $e / (\max - \min)$ after scaling, and
#
# $$
# 1 - \text{MAE}_\text{scaled}
#   = 1 - \frac{\text{MAE in prices}}{\max_\text{train} - \min_\text{train}} .
# $$
#
# The denominator is the spread of the *whole training period*: years of
# prices. A day's typical move is a tiny fraction of it, so any forecast
# that stays near the current price level scores close to 1, whether or not
# it knows anything about tomorrow. And the number depends on something
# that has nothing to do with the forecast: how far the price happened to
# travel during the training years. Exercise {ref}`ch05-ex4` puts numbers
# on the two parts of the ratio and asks which bar would mean anything.
#
# ### Plainly useless forecasts
#
# Three forecasts that nobody would use:
#
# * **frozen**: the last training day's price, repeated for every day of
#   the test period (for years, in the Shanghai and ZTE data);
# * **a month old**: the price a month (`MONTH` trading days) before the
#   forecast day;
# * **training mean**: the average price of the training years.
#
# Their paper-style "accuracy", beside the associated net and persistence,
# and the same forecasts' MAE as a multiple of persistence's:

# %%
MONTH = 21  # trading days


def useless(ds):
    """Three forecasts of the test rows that use no skill at all."""
    values = ds.frame[TARGETS].to_numpy(dtype=float)
    m = len(ds.test)
    last_train = values[ds.split.training_end - 1]
    return {
        "frozen": np.tile(last_train, (m, 1)),
        "a month old": values[ds.test.target_pos - MONTH],
        "training mean": np.tile(ds.train_series().mean(axis=0), (m, 1)),
    }


bad = {code: useless(ds) for code, ds in repro_sets.items()}
bad_acc, bad_ratio, small = {}, {}, {}
for code, ds in repro_sets.items():
    assoc = {"Assoc. Net": runs[code, "Assoc. Net"].forecasts("test")}
    acc = evaluation.scaled_accuracy(ds, {**assoc, **bad[code]},
                                     persistence_columns=PERSISTENCE)
    sc = evaluation.score_dataset(ds, {**assoc, **bad[code]},
                                  persistence_columns=PERSISTENCE)
    small[code] = (sc.xs("persistence", level=1)["MAE"].reindex(TARGETS)
                   < 0.01 * np.ptp(ds.train_series(), axis=0)).all()
    shown = ["Assoc. Net", "persistence", *bad[code]]
    for target in TARGETS:
        bad_acc[NAMES[code], target] = acc.loc[target].loc[
            shown, evaluation.ACCURACY]
        bad_ratio[NAMES[code], target] = (
            sc.loc[target].loc[shown, "MAE"]
            / sc.loc[(target, "persistence"), "MAE"])
checks.claim(all(small.values()),
             "a day's typical move is a tiny fraction of it")
bad_acc = pd.DataFrame(bad_acc).T
bad_ratio = pd.DataFrame(bad_ratio).T
threshold = claim["above"].min()
cleared = (bad_acc[list(bad[codes[0]])] > threshold).sum()
print(f"1 - scaled MAE (the paper's threshold is {threshold:.2f}); cells "
      f"above it of {len(bad_acc)}: " + ", ".join(
          f"{name} {n}" for name, n in cleared.items()))
checks.claim(cleared.max() > 0,
             "some plainly useless forecasts clear it too")
month_gap = bad_acc["a month old"] - bad_acc["Assoc. Net"]
print(f"the price of a month ago against the associated net: "
      f"{(month_gap > 0).sum()} of {len(bad_acc)} cells higher, "
      f"differences from {month_gap.min():+.4f} to {month_gap.max():+.4f}")
if "601857.SH" in repro_sets and len(repro_sets) > 1:
    fixed = ["persistence", *bad[codes[0]]]
    by_series = bad_acc[fixed].groupby(level=0).mean()
    checks.claim((by_series.idxmax() == "PetroChina").all(),
                 "PetroChina flatters the fixed forecasts most")
bad_acc.round(4)

# %%
print("MAE as a multiple of persistence's MAE (below 1: better than "
      "persistence)")
bad_ratio.round(2)

# %% [markdown]
# Read the first table against the paper's threshold (printed above it,
# with the number of cells per useless forecast that clear it), and the
# price of a month ago against the networks (the second printed line
# compares it with the associated net). Of the paper's three series,
# PetroChina flatters the fixed forecasts most (persistence and the three
# useless ones score highest there): its training period starts with the
# listing-day spike, far above anything after it, while its test period
# trades in a narrow band near the bottom of that range, so the range is
# wide and the test errors are small beside it, whatever the forecast. The
# frozen forecast of the high there, a flat line through the whole test
# period:

# %%
pc = "601857.SH" if "601857.SH" in repro_sets else codes[0]
ds_pc = repro_sets[pc]
if pc == "601857.SH":
    checks.claim(ds_pc.test.y.max() < 0.2, "its test period trades in a "
                 "narrow band near the bottom of that range")
fig, ax = plt.subplots(figsize=(9, 3.4))
ax.plot(ds_pc.test.dates, ds_pc.actual("test")[:, 2], color="black",
        lw=1.2, label="actual next-day high")
ax.plot(ds_pc.test.dates, bad[pc]["frozen"][:, 2], color="C3",
        label=f"frozen: 1 - scaled MAE = "
        f"{bad_acc.loc[(NAMES[pc], 'high'), 'frozen']:.3f}")
ax.set(title=f"{NAMES[pc]}: a useless forecast of the high and its "
       "paper-style accuracy", ylabel="price")
ax.legend()
plt.show()

# %% [markdown]
# ### What to read instead
#
# The measure fails because it compares a forecast with nothing. The
# questions a reader has are *how large are the errors, in prices or in
# percent?* (MAE, RMSE, MAPE in the tables above) and *is the forecast
# better than the naive one, on the same rows, by more than chance?* The
# second is answered by the ratio of the model's MAE (or RMSE) to
# persistence's, which is what the table just above shows (a ratio below 1
# beats persistence, the MASE of chapter 2 is the same idea with the naive
# error of the training rows), together with the Diebold-Mariano p-value
# (here with absolute loss, the MAE's). For the reproduction, the
# associated net's ratios, with the raw p-value and the one adjusted for
# the other tests of the p-value table above:

# %%
ratio = (mae["Assoc. Net"] / mae["persistence"]).rename("MAE / persist.")
tables.format_table(pd.concat([ratio, mae["DM p"], dm["Assoc. Net"].rename(
    "adjusted DM p")], axis=1), decimals=3)

# %% [markdown]
# ## Do the forecasts keep low <= open <= high?
#
# Real prices never break the order, so a forecast that does is wrong in a
# way anyone can see. We count, for every model and series, the share of
# test days on which the forecast low lies above the forecast open or the
# forecast open above the forecast high (mean over seeds). Persistence
# forecasts the open by today's close and the low and high by today's, so
# it keeps the order by construction; the linear baseline need not.

# %%
def broken(forecast):
    """Share of rows with low > open or open > high, per seed."""
    f = np.asarray(forecast, dtype=float)
    f = f.reshape(-1, *f.shape[-2:])
    o, lo, hi = f[..., 0], f[..., 1], f[..., 2]
    return ((lo > o) | (o > hi)).mean(axis=1)


order = {}
for code, ds in repro_sets.items():
    every = {**forecasts_of(code),
             "persistence": baselines.persistence(ds,
                                                  columns=PERSISTENCE),
             "linear": baselines.linear_on_window(ds),
             "actual": ds.actual("test")}
    order[NAMES[code]] = {name: broken(f).mean()
                          for name, f in every.items()}
order = pd.DataFrame(order).T
print("share of test days with low > open or open > high")
checks.claim(order["Assoc. Net"].max() > 0,
             "passing the open forecast on to the low and the high does "
             "not by itself make the three forecasts consistent")
order.round(3)

# %% [markdown]
# The networks can break the order; the table gives the share of days,
# which can vary with the series, the model and the seed. Passing the open
# forecast on to the low and the high, as the associated net does, does not
# by itself make the three forecasts consistent: nothing in the loss asks
# for it.
#
# ### Building the order into the outputs
#
# One way to make a violation impossible is to change what the network
# predicts. The open stays a free number; the low becomes the open minus a
# gap, and the high the open plus another gap, each gap passed through a
# softplus, $\log(1 + e^x)$, which is never negative. This is
# `associated_net(..., gaps=True)`: the same three branches, with branch 2
# predicting the lower gap from the open and its own state, and branch 3 the
# upper gap from the open, the low and its own state (see the code above).
#
# There is a catch. The order must hold in prices, but the network works in
# scaled units. With one min-max scaler per target (fit on each price's own
# training range), equal scaled values are *different* prices for the open,
# the low and the high. Inside the training range that happens to do no
# harm, but beyond it an order in scaled units need not be an order in
# prices (exercise {ref}`ch05-ex7` works out where it breaks). The clean
# fix is one scale for the three targets:
# `make_dataset(..., shared_target_scale=True)` fits a single min-max over
# all three training columns, so that the map back to prices is the same
# increasing line for each, and the guarantee holds for any output. We
# train this network on `DATASET` and compare it with the associated net of
# the reproduction on the same rows.

# %%
gap_code = CODE_OF[DATASET]
gap_frame = ding_frame(gap_code)
gap_ds = prep.make_dataset(gap_frame, ding_split(gap_frame, gap_code),
                           features=INPUTS, targets=TARGETS, window=WINDOW,
                           shared_target_scale=True)
gap_run = experiments.run(
    lambda ds: models.associated_net(
        ds.input_shape, units=UNITS, dropout=DROPOUT, gaps=True,
        learning_rate=LEARNING_RATE),
    gap_ds, seeds=side_seeds, epochs=epochs, batch_size=BATCH_SIZE,
    persistence_columns=PERSISTENCE)
gap_forecast = gap_run.forecasts("test")
print(f"{NAMES[gap_code]}: associated net with gaps, seeds {side_seeds}: "
      f"{gap_run.seconds:.1f} s; share of test days out of order: "
      f"{broken(gap_forecast).mean():.3f}")
assert broken(gap_forecast).max() == 0

# %% [markdown]
# The gap network's MAE beside the associated net of the reproduction (the
# same seeds) and persistence:

# %%
gap_ref = dict(zip(seeds, runs[gap_code, "Assoc. Net"].forecasts("test"),
                   strict=True))
reference = np.stack([gap_ref[s] for s in side_seeds])
gap_scores = evaluation.score_dataset(
    repro_sets[gap_code], {
        "Assoc. Net": reference,
        "Assoc. Net with gaps": gap_forecast,
    }, persistence_columns=PERSISTENCE)
assert np.array_equal(gap_ds.test.dates, repro_sets[gap_code].test.dates)
gap_table = gap_scores["MAE"].unstack(0)[TARGETS].add_prefix("MAE ")
gap_table["out of order"] = pd.Series({
    "Assoc. Net": broken(reference).mean(),
    "Assoc. Net with gaps": broken(gap_forecast).mean(),
    "persistence": order.loc[NAMES[gap_code], "persistence"],
    "linear": order.loc[NAMES[gap_code], "linear"],
})
mae_of = gap_table[[f"MAE {t}" for t in TARGETS]].astype(float)
gap_lower = (mae_of.loc["Assoc. Net with gaps"]
             < mae_of.loc["Assoc. Net"]).sum()
print(f"MAE of the gap network below the plain associated net's in "
      f"{gap_lower} of {len(TARGETS)} prices")
below = [t for t in TARGETS if mae_of.loc["Assoc. Net with gaps", f"MAE {t}"]
         < mae_of.loc["persistence", f"MAE {t}"]]
print("gap network: MAE below persistence's for "
      f"{', '.join(below) or 'none of the three prices'}")
checks.claim(gap_table.loc["Assoc. Net with gaps", "out of order"] == 0,
             "the order is guaranteed")
gap_table.round(3)

# %% [markdown]
# The order is guaranteed. The gap network changes what is learned: the
# two gaps are small positive numbers whose size resembles the day's range,
# a target one may expect to be easier to get roughly right than a price
# level. The first printed line compares its errors with the plain
# associated net's; with one seed and few epochs that is a hint, not a
# result. The second says whether it gets below persistence's MAE on any
# price (and a lower MAE alone, untested, would still be no proof of
# skill). A cheaper way needs no training at all: repair any forecast after
# the fact where it breaks the order (exercise {ref}`ch05-ex6`).

# %% [markdown]
# ## Another task: the high, once the open is known
#
# The paper motivates its third branch by saying that the day's high
# depends on that day's open and low. The associated net can only use its
# own *forecast* of the open. But by 9:30 in Shanghai the real open is known,
# and a forecast of the day's high made after that moment can use it. That
# is a different task with a different timing: a forecast made in the
# evening cannot use it, and mixing the two would be a leak. The paper does
# not try it. We do, clearly separated from the reproduction.
#
# `features.add_next_open` puts the next day's open on each row as the
# column `next_open`, so that a window ending today carries the open of the
# target day. We build two data sets for the high alone on the same rows of
# `DATASET`: the seven inputs, and the seven inputs plus `next_open`. The
# linear baseline of the second one sees the known open too (as a price
# relative to the last close). We also add the simplest forecast that uses
# it: the known open raised by the average gap between the high and the
# open on the training days, a gap in percent (the open times the mean
# ratio of the high to the open; "open + mean gap").

# %%
known_frame = features.add_next_open(
    features.add_changes(data.load(ding["series"][gap_code])))
known_frame = known_frame.iloc[: ding["rows"][gap_code] - 1]
assert known_frame.index.equals(frames[gap_code].index)
known_split = ding_split(known_frame, gap_code)
high_sets = {
    "without the open": prep.make_dataset(
        known_frame, known_split, features=INPUTS, targets="high",
        window=WINDOW),
    "with the open": prep.make_dataset(
        known_frame, known_split, features=[*INPUTS, "next_open"],
        targets="high", window=WINDOW),
}
for ds in high_sets.values():
    assert np.array_equal(ds.test.dates, repro_sets[gap_code].test.dates)
high_runs = {
    label: experiments.run(
        lambda ds: models.drnn(ds.input_shape, units=UNITS, dropout=DROPOUT,
                               learning_rate=LEARNING_RATE),
        ds, seeds=side_seeds, epochs=epochs, batch_size=BATCH_SIZE)
    for label, ds in high_sets.items()
}
for label, exp in high_runs.items():
    print(f"DRNN for the high, {label}: {exp.seconds:.1f} s")

# %%
with_open = high_sets["with the open"]
train_rows = known_split.take(known_frame, "train")
mean_gap = float((train_rows["high"] / train_rows["open"]).mean())
last_rows = with_open.test.last_input_pos
known_open = known_frame["next_open"].to_numpy()[last_rows]
high_forecasts = {
    "DRNN, without the open": high_runs["without the open"]
    .forecasts("test"),
    "DRNN, with the open": high_runs["with the open"].forecasts("test"),
    "linear, without the open": baselines.linear_on_window(
        high_sets["without the open"]),
    "open + mean gap": known_open * mean_gap,
    "Assoc. Net (reproduction)": runs[gap_code, "Assoc. Net"]
    .forecasts("test")[..., 2],
}
high_scores = evaluation.score_dataset(with_open, high_forecasts,
                                      loss="absolute")
high_scores = high_scores.rename(index={"linear": "linear, with the open"})
tables.format_table(
    high_scores[["MAE", "MAE per seed", "MAE per seed std", "RMSE", "MAPE",
                 "DM p"]], decimals=3)

# %%
def gain(before, after):
    """Relative fall of the test MAE from ``before`` to ``after``."""
    return 1 - high_scores.loc[after, "MAE"] / high_scores.loc[before, "MAE"]


pairs = {
    "linear model": ("linear, without the open", "linear, with the open"),
    "DRNN": ("DRNN, without the open", "DRNN, with the open"),
    "open + mean gap, against persistence": ("persistence",
                                             "open + mean gap"),
}
print(f"{NAMES[gap_code]}, next-day high: fall of the test MAE when the "
      "open is known")
for label, (before, after) in pairs.items():
    print(f"  {label}: {gain(before, after):.0%}")
checks.claim(gain(*pairs["open + mean gap, against persistence"]) > 0,
             "the plain 'open + mean gap' undercuts persistence")
checks.claim(gain(*pairs["linear model"]) > 0.1,
             "the day's open helps a great deal once it is a fact")
drnn_times = (high_scores.loc["DRNN, with the open", "MAE"]
              / high_scores.loc["persistence", "MAE"])
print(f"DRNN with the open: MAE {drnn_times:.1f} times persistence's")
known_p = metrics.holm(high_scores.loc[
    ["open + mean gap", "linear, with the open"], "DM p"])
for name, p_adj in zip(["open + mean gap", "linear, with the open"],
                       known_p, strict=True):
    print(f"{name} against persistence: "
          + results.verdict(high_scores.loc[name, "MAE"],
                            high_scores.loc["persistence", "MAE"], p_adj)
          + " (DM, absolute loss, Holm-adjusted over these two)")

# %% [markdown]
# The printed shares say what the known open is worth for the high: how far
# the linear model's error falls, and by how much the plain "open + mean
# gap", which needs no training, undercuts persistence; the last two lines
# test both against persistence. The reason is simple: the
# overnight move, from today's close to tomorrow's open, is a large part of
# the distance between today's high and tomorrow's high, and knowing the
# open removes it. Whether the DRNN turns the extra input into a smaller
# error shows in its two rows and its printed fall; short training need not
# get it there, and a network whose error is several times persistence's
# (the line after the falls gives its ratio) has a bigger problem than a
# missing input.
# This also puts the associated net's third branch in perspective: the
# information it was designed to exploit, the day's open, helps a great
# deal once it is a *fact* (the linear model's fall); fed in as a forecast
# made the evening before, it adds nothing to today's close, which the network
# already reads.
#
# Keep the two tasks apart when reading results elsewhere: a "next-day high"
# forecast that beats persistence by a wide margin may simply be using the
# day's open, and is then useful only after the market has opened.

# %%
print(f"chapter executed in {time.perf_counter() - chapter_start:.0f} s "
      f"(profile {profile.name})")

# %% [markdown]
# ## Summary
#
# * The Keras functional API builds networks that are graphs, not chains:
#   the associated net of {cite}`ding2020` has three LSTM branches on one
#   window, passes the open forecast to the low branch and both to the high
#   branch, and minimises the mean of three squared errors.
# * Several targets need a naive forecast each. We used today's close for
#   tomorrow's open and today's low and high for tomorrow's low and high;
#   exercise {ref}`ch05-ex1` chooses among more candidates on the training
#   rows.
# * The paper's window study is repeated on a validation slice; we kept the
#   paper's window.
# * The paper's measure, 1 - MAE on min-max scaled data, is a bar that the
#   chapter counts the networks' cells against; persistence and some
#   plainly useless forecasts clear it too, because the measure divides the
#   error by the range of the whole training period. In prices, the verdict
#   tests the network chosen on the validation slice against persistence
#   on the test rows, with the loss its ranking uses, and counts the cells
#   where it wins after Holm's adjustment; a network picked by its test
#   error is only a best in hindsight and gets no test.
# * Read errors in prices or percent, their ratio to persistence's on the
#   same rows, and a Diebold-Mariano test; never a "1 - error" on scaled
#   data, whose only meaningful bar is persistence's own score
#   (exercise {ref}`ch05-ex4`).
# * The networks' forecasts can break low <= open <= high (the chapter
#   counts the days).
#   Predicting the open and two non-negative gaps, on one shared target
#   scale, makes a violation impossible; so does a repair after the fact
#   (exercise {ref}`ch05-ex6`).
# * Knowing the day's open can make the high much easier to forecast (the
#   chapter measures by how much on `DATASET`), but that
#   is a forecast made after the open, a different task from the paper's.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch05-ex1
# The chapter's naive forecasts are one choice among several. On the
# reproduction's data set of `DATASET` (`repro_sets[CODE_OF[DATASET]]`),
# consider five candidate forecasts of each target, all made from today's
# bar: today's open, low, high or close (named `"today's open"`, ...,
# `"today's close"`), and `"close + gap"`: today's close times one plus the
# mean relative gap from today's close to the target tomorrow,
# $(y_{t+1} - c_t) / c_t$, averaged over the training windows. Choose for
# each target the candidate with the smallest MAE on the **training**
# windows and keep the choice in `naive_choice` (a dict from target to
# candidate name). Then score the chosen forecasts on the test windows:
# `naive_test`, the test MAE of each target (a dict or a Series by
# target). Does your choice agree with the chapter's persistence, and is it
# the better benchmark on the test rows?
# :::
#
# ```{solution-start} ch05-ex1
# :class: dropdown
# ```
# Every candidate is a value of the window's last input row, so one helper
# reads them all; the gap is a mean over the training windows only.

# %%
ex1_code = CODE_OF[DATASET]
ex1_ds = repro_sets[ex1_code]


def today(ds, part, column):
    """Today's value of one column: the last input row of each window."""
    rows = ds.part(part).last_input_pos
    return ds.frame[column].to_numpy(dtype=float)[rows]


# mean gap from today's close to each target tomorrow: training windows
ex1_gap = np.mean(ex1_ds.actual("train")
                  / today(ex1_ds, "train", "close")[:, None] - 1, axis=0)


def candidates(ds, part, j):
    """The five candidate forecasts of target ``j`` on one part."""
    every = {f"today's {c}": today(ds, part, c)
             for c in ("open", "low", "high", "close")}
    every["close + gap"] = today(ds, part, "close") * (1 + ex1_gap[j])
    return every


def naive_mae(ds, part):
    """MAE of every candidate (columns) for every target (rows)."""
    actual = ds.actual(part)
    return pd.DataFrame({target: {
        name: metrics.mae(actual[:, j], forecast)
        for name, forecast in candidates(ds, part, j).items()}
        for j, target in enumerate(TARGETS)}).T


naive_train = naive_mae(ex1_ds, "train")
naive_choice = naive_train.idxmin(axis=1).to_dict()  # training rows only
test_actual = ex1_ds.actual("test")
naive_test = pd.Series({
    target: metrics.mae(test_actual[:, j],
                        candidates(ex1_ds, "test", j)[naive_choice[target]])
    for j, target in enumerate(TARGETS)})
ex1_persistence = scores[ex1_code].xs("persistence", level=1)[
    "MAE"].reindex(TARGETS)
ex1 = pd.DataFrame({
    "chosen on training": pd.Series(naive_choice),
    "chapter's": pd.Series({t: f"today's {PERSISTENCE.get(t, t)}"
                            for t in TARGETS}),
    "test MAE, chosen": naive_test,
    "test MAE, chapter's": ex1_persistence,
    "ratio": naive_test / ex1_persistence,
})
print("mean gap from today's close, training windows: " + ", ".join(
    f"{t} {g:+.2%}" for t, g in zip(TARGETS, ex1_gap, strict=True)))
checks.claim(abs(ex1_gap[0]) < 0.005
             and naive_choice["low"] == naive_choice["high"] == "close + gap",
             "for the open, the gap is tiny; for the low and the high, "
             "'close + gap' wins on the training windows")
print(f"{NAMES[ex1_code]}: MAE of each candidate on the training windows")
display(naive_train.round(4))
ex1.round(4)

# %% [markdown]
# The table says for which targets the choice differs from the chapter's
# persistence, and the ratio whether the chosen forecast undercuts it on
# the test rows (below 1) or not. For the open, the gap is tiny (the
# printed gaps): the overnight move has almost no mean. For the low and the
# high, "close + gap" wins on the training windows, because today's close
# shifted by the typical depth of a day's low (or height of its high) is a
# closer guess than yesterday's extreme. Where it also wins on the test
# rows, the chapter's persistence is a weaker benchmark for these two
# prices than it need be, and a network that beats it should be compared
# with this forecast too. Where it does not (on some series the test rows
# prefer today's low and high), that is the price of choosing without the
# test rows: picking each target's candidate by its *test* MAE would be the
# best in hindsight of the verdict section, and no test of it would be
# fair.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
def _ex1_mae(ds, part):
    """The five candidates' MAE of each target on one part (the check's)."""
    close = ds.frame["close"].to_numpy(dtype=float)
    gap = np.mean(ds.actual("train")
                  / close[ds.train.last_input_pos][:, None] - 1, axis=0)
    rows, actual, table = ds.part(part).last_input_pos, ds.actual(part), {}
    for j, target in enumerate(TARGETS):
        every = {f"today's {c}": ds.frame[c].to_numpy(dtype=float)[rows]
                 for c in ("open", "low", "high", "close")}
        every["close + gap"] = close[rows] * (1 + gap[j])
        table[target] = {name: metrics.mae(actual[:, j], f)
                         for name, f in every.items()}
    return pd.DataFrame(table).T


with checks.exercise("ch05-ex1"):
    _ds = repro_sets[CODE_OF[DATASET]]
    _train, _test = _ex1_mae(_ds, "train"), _ex1_mae(_ds, "test")
    checks.is_set(naive_choice, "naive_choice")
    if not isinstance(naive_choice, dict) or set(naive_choice) != set(
            TARGETS) or not set(naive_choice.values()) <= set(_train):
        raise checks.CheckFailed(
            "`naive_choice` should map each target (open, low, high) to one "
            f"of the candidates {list(_train)}")
    for _t in TARGETS:
        if _train.loc[_t, naive_choice[_t]] > _train.loc[_t].min() * (
                1 + 1e-9):
            raise checks.CheckFailed(
                f"`naive_choice[{_t!r}]` is not the candidate with the "
                "smallest MAE on the training windows (choose without the "
                "test rows)")
    checks.is_set(naive_test, "naive_test")
    checks.close(pd.Series(naive_test, dtype=float).reindex(TARGETS),
                 [_test.loc[_t, naive_choice[_t]] for _t in TARGETS],
                 "naive_test", what="the test MAE of your chosen forecasts, "
                 "by target, with the gap of the training windows")

# %% [markdown]
# :::{exercise}
# :label: ch05-ex2
# Which window does the window study support? Summarise each window's
# histories as the paper's Table 1 does (the training loss averaged over
# all epochs, as a difference from window 5's, beside the paper's
# surviving number), add the average, last and best validation losses,
# and decide which window you would choose and how much the study's
# evidence is worth.
# :::
#
# ```{solution-start} ch05-ex2
# :class: dropdown
# ```

# %%
def study_row(window):
    """Mean over seeds of the loss summaries of one window."""
    rows = [{
        "mean train loss": np.mean(h["loss"]),
        "mean val loss": np.mean(h["val_loss"]),
        "last val loss": h["val_loss"][-1],
        "best val loss": np.min(h["val_loss"]),
    } for (w, _), h in study.items() if w == window]
    return pd.DataFrame(rows).mean()


study_table = pd.DataFrame({w: study_row(w) for w in windows}).T
study_table.index.name = "window"
if 5 in windows:
    study_table.insert(1, "train minus window 5",
                       study_table["mean train loss"]
                       - study_table.loc[5, "mean train loss"])
study_table.insert(0, "paper: minus window 5",
                   papers.ding2020_window_study()["loss_minus_window5"]
                   .reindex(study_table.index))
study_choice = int(study_table["best val loss"].idxmin())
print(f"lowest validation loss: window {study_choice}; the paper chose "
      f"{ding['window']}, and the reproduction uses {WINDOW}")
study_table.style.format("{:.5f}", na_rep="–")

# %% [markdown]
# Two cautions in reading such a table. First, the training loss of a
# network with dropout is measured with units switched off, and averaged
# over epochs it mostly says how fast the loss fell early on; the
# validation loss of the last epochs is the number that bears on the
# choice. Second, with one seed the table cannot tell a difference between
# windows from a difference between seeds: run the study with more
# `side_seeds` to see how large the latter are. The printed line names the
# window with the lowest validation loss in this run; with few epochs and
# one seed that is weak evidence for any window, and keeping the paper's
# value, so that the reproduction is the paper's setting, is the safer
# choice.
#
# ```{solution-end}
# ```

# %% [markdown]
# :::{exercise}
# :label: ch05-ex3
# The chapter's verdicts on MAE test absolute errors, the loss the MAE
# ranks by. Repeat the test of each model against persistence with
# `metrics.diebold_mariano(..., loss="squared")` too, on the seed-mean
# forecasts. Do any conclusions change?
# :::
#
# ```{solution-start} ch05-ex3
# :class: dropdown
# ```
# The seed-mean forecast of each model, its errors and persistence's, for
# each series and price:

# %%
ex3 = {}
for code, ds in repro_sets.items():
    actual = ds.actual("test")
    pers_error = actual - baselines.persistence(ds, columns=PERSISTENCE)
    for name in MODELS:
        error = actual - runs[code, name].forecasts("test").mean(axis=0)
        for j, target in enumerate(TARGETS):
            for loss in ("squared", "absolute"):
                stat, p = metrics.diebold_mariano(error[:, j],
                                                  pers_error[:, j],
                                                  loss=loss)
                ex3[NAMES[code], target, name, loss] = (stat, p)
ex3 = pd.Series(ex3)
ex3_p = ex3.map(lambda v: v[1]).unstack(-1)
ex3_worse = ex3.map(lambda v: v[0] > 0).unstack(-1)
changed = ((ex3_p["squared"] < 0.05) != (ex3_p["absolute"] < 0.05)).sum()
print(f"model worse than persistence (DM statistic > 0): squared "
      f"{ex3_worse['squared'].sum()}, absolute "
      f"{ex3_worse['absolute'].sum()} of {len(ex3_p)}")
print(f"significance at 5 % differs between the two losses in {changed} "
      f"of {len(ex3_p)} cases")
ex3_better = ((~ex3_worse) & (ex3_p < 0.05)).sum()
print(f"model significantly better than persistence (raw p < 0.05): "
      f"squared {ex3_better['squared']}, absolute "
      f"{ex3_better['absolute']} of {len(ex3_p)}")
ex3_p.unstack(-1).round(3)

# %% [markdown]
# The sign of the statistic says which forecast has the larger loss; the
# first printed line counts the cases where it is positive (the model
# worse), the second those where the two losses disagree on significance.
# Where they would disagree, it is because the squared loss weighs the few
# days with large errors more. The last line says whether either loss
# finds a network better than persistence; these are raw p-values of many
# tests, so a count of one or two would still need the adjustment of the
# chapter's table before it meant anything.
#
# ```{solution-end}
# ```

# %% [markdown]
# :::{exercise}
# :label: ch05-ex4
# Which bar should "1 - MAE on min-max scaled data" clear before it says
# anything about a forecast? On the reproduction's data set of `DATASET`,
# compute for each target the training range (the range its scaler is fit
# on), persistence's test MAE (with `PERSISTENCE`), and the paper-style
# score of persistence and of the chapter's "training mean" forecast.
# Decide which bar a forecast's score must clear to show any skill, and keep
# it in `skill_bar` (one number per target: a dict, a Series by target or
# an array in the order of `TARGETS`). Then compute `paper_allowance`: how
# many times persistence's test MAE a forecast may err and still clear the
# paper's threshold for that series and price (`claim`).
# :::
#
# ```{solution-start} ch05-ex4
# :class: dropdown
# ```
# A forecast shows skill only if its errors are smaller than persistence's
# on the same rows. On one scale, a smaller MAE is a higher score, so the
# bar is persistence's own score, one number per series and price:

# %%
bar_code = CODE_OF[DATASET]
bar_ds = repro_sets[bar_code]
bar_range = np.ptp(bar_ds.train_series(), axis=0)  # the scaler's range
bar_actual = bar_ds.actual("test")
bar_persistence = np.mean(np.abs(bar_actual - baselines.persistence(
    bar_ds, columns=PERSISTENCE)), axis=0)
bar_mean = np.mean(np.abs(bar_actual - bar_ds.train_series().mean(axis=0)),
                   axis=0)
bar_paper = np.array([claim.loc[(bar_code, t), "above"] for t in TARGETS])
skill_bar = pd.Series(1 - bar_persistence / bar_range, index=TARGETS)
paper_allowance = pd.Series((1 - bar_paper) * bar_range / bar_persistence,
                            index=TARGETS)
checks.claim((paper_allowance > 1).all(), "the paper's threshold lets a "
             "forecast err more than persistence")
checks.claim((skill_bar > 0.99).all() and (bar_mean > bar_persistence).all(),
             "the bar lies close to 1; the training mean never clears it")
pd.DataFrame({
    "training range": bar_range,
    "persistence MAE": bar_persistence,
    "1 - sMAE, persistence: the bar": skill_bar,
    "1 - sMAE, training mean": 1 - bar_mean / bar_range,
    "paper's threshold": bar_paper,
    "allowed MAE / persistence MAE": paper_allowance,
}, index=TARGETS).round(4)

# %% [markdown]
# The bar lies close to 1 because a day's move is small beside the
# training range, and it differs from price to price and from series to
# series: no single threshold can serve for all. The paper's threshold
# lets a forecast err more than persistence (the last column says how many
# times as much), so clearing it says nothing about skill. Between the
# two, the training mean, which knows nothing about the day, may score
# above or below the paper's threshold depending on how far the test
# prices wandered from the training years; the bar it never clears is
# persistence's.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
def _by_target(value, name):
    """One number per target, from a dict, a Series or an array."""
    checks.is_set(value, name)
    if isinstance(value, dict | pd.Series):
        return pd.Series(value, dtype=float).reindex(TARGETS).to_numpy()
    return np.asarray(value, dtype=float).reshape(-1)


with checks.exercise("ch05-ex4"):
    _ds = repro_sets[CODE_OF[DATASET]]
    _span = np.ptp(_ds.train_series(), axis=0)
    _pers = baselines.persistence(_ds, columns=PERSISTENCE)
    _mae = np.array([metrics.mae(_ds.actual("test")[:, j], _pers[:, j])
                     for j in range(len(TARGETS))])
    checks.close(_by_target(skill_bar, "skill_bar"), 1 - _mae / _span,
                 "skill_bar", what="a bar that only a forecast with a "
                 "smaller test MAE than persistence's clears (on the scale "
                 "of each price's training range)")
    _limit = np.array([claim.loc[(CODE_OF[DATASET], t), "above"]
                       for t in TARGETS])
    checks.close(_by_target(paper_allowance, "paper_allowance"),
                 (1 - _limit) * _span / _mae, "paper_allowance",
                 what="the largest MAE the paper's threshold allows, "
                 "(1 - threshold) x training range, as a multiple of "
                 "persistence's test MAE")

# %% [markdown]
# :::{exercise}
# :label: ch05-ex5
# The paper's measure depends on the rows the scaler is fit on. For
# persistence on every series and price, compute 1 - scaled MAE with the
# range of the training rows (the chapter's), of the test rows, and of all
# rows. Which choice would make the same forecast look worst, and why?
# :::
#
# ```{solution-start} ch05-ex5
# :class: dropdown
# ```
# `metrics.scaled_mae` takes the series whose range sets the scale, so the
# three variants differ only in that argument:

# %%
ex5 = {}
for code, ds in repro_sets.items():
    pers = baselines.persistence(ds, columns=PERSISTENCE)
    actual = ds.actual("test")
    values = ds.frame[TARGETS].to_numpy(dtype=float)
    ranges = {"training rows": ds.train_series(),
              "test rows": values[ds.split.test[0]:],
              "all rows": values}
    for j, target in enumerate(TARGETS):
        ex5[NAMES[code], target] = {
            name: 1 - metrics.scaled_mae(actual[:, j], pers[:, j],
                                         rows[:, j])
            for name, rows in ranges.items()}
ex5 = pd.DataFrame(ex5).T
checks.claim((ex5["test rows"] <= ex5.min(axis=1)).all()
             and (ex5["all rows"] >= ex5["training rows"]).all(),
             "scaling by the test rows makes the same forecast look worst; "
             "all rows never make it look worse than the chapter's")
ex5.round(4)

# %% [markdown]
# The test rows span the smallest range, so scaling by them makes the same
# forecast look worst; all rows span at least the training range, so that
# choice never makes it look worse than the chapter's. The forecast is
# identical in the three columns: a measure of accuracy should not move at
# all.
#
# ```{solution-end}
# ```

# %% [markdown]
# :::{exercise}
# :label: ch05-ex6
# Repair the associated net's forecasts after the fact. Take the seed mean
# of its forecasts of the validation and the test windows of `DATASET`
# (`forecasts_of(CODE_OF[DATASET], part)["Assoc. Net"]`), count the test
# days on which it breaks low <= open <= high (`order_broken`, a number of
# days), and compare two repairs. "to the open" moves a low above the open
# down to it and a high below the open up to it; "sorted" gives the
# smallest of the three numbers to the low, the middle one to the open and
# the largest to the high. Decide which repair to use by the MAE over the
# three prices on the **validation** windows (`repair_choice`, `"to the
# open"` or `"sorted"`), apply it to the test forecast (`repaired`, shaped
# like the forecast), and say what it does to the test MAE of each price.
# :::
#
# ```{solution-start} ch05-ex6
# :class: dropdown
# ```
# Both repairs leave a day that keeps the order as it is; they differ on a
# broken day, where "sorted" may also move the open:

# %%
fix_code = CODE_OF[DATASET]
fix_ds = repro_sets[fix_code]
fix = {part: forecasts_of(fix_code, part)["Assoc. Net"].mean(axis=0)
       for part in ("val", "test")}


def out_of_order(f):
    """Rows (days) with low > open or open > high."""
    return (f[:, 1] > f[:, 0]) | (f[:, 0] > f[:, 2])


def to_the_open(f):
    """Low at most the open, high at least the open."""
    f = np.array(f, dtype=float)
    f[:, 1] = np.minimum(f[:, 1], f[:, 0])
    f[:, 2] = np.maximum(f[:, 2], f[:, 0])
    return f


def sort_three(f):
    """Smallest of the three to the low, middle to the open, largest to
    the high (columns: open, low, high)."""
    return np.sort(f, axis=1)[:, [1, 0, 2]]


REPAIRS = {"to the open": to_the_open, "sorted": sort_three}
order_broken = int(out_of_order(fix["test"]).sum())
fix_val = {name: metrics.mae(fix_ds.actual("val"), repair(fix["val"]))
           for name, repair in REPAIRS.items()}
repair_choice = min(fix_val, key=fix_val.get)  # validation rows only
repaired = REPAIRS[repair_choice](fix["test"])
print(f"{NAMES[fix_code]}: {order_broken} of {len(fix['test'])} test days "
      f"out of order ({out_of_order(fix['val']).sum()} of "
      f"{len(fix['val'])} validation days)")
print(f"validation MAE: unrepaired "
      f"{metrics.mae(fix_ds.actual('val'), fix['val']):.4g}, "
      + ", ".join(f"{name} {v:.4g}" for name, v in fix_val.items())
      + f"; chosen: {repair_choice}")
fix_actual = fix_ds.actual("test")
pd.DataFrame({
    name: [metrics.mae(fix_actual[:, j], f[:, j])
           for j in range(len(TARGETS))]
    for name, f in {"unrepaired": fix["test"],
                    f"repaired ({repair_choice})": repaired}.items()
}, index=[f"test MAE {t}" for t in TARGETS]).T.round(4)

# %% [markdown]
# A repair changes only the broken days, so its effect on the MAE is small
# when few days are broken and can go either way: moving a broken low onto
# the open helps where the open forecast is closer to the truth than the
# broken low, and hurts where it is not. Choosing between the two repairs on
# the validation windows keeps the test rows out of the decision, as the
# verdict section does for the networks. Unlike the gap network, a repair
# teaches the network nothing: it only hides the symptom.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
def _ex6_repairs():
    """The two repairs of the exercise (columns: open, low, high)."""
    def to_open(f):
        f = np.array(f, dtype=float)
        f[:, 1], f[:, 2] = np.minimum(f[:, 1], f[:, 0]), np.maximum(
            f[:, 2], f[:, 0])
        return f

    return {"to the open": to_open,
            "sorted": lambda f: np.sort(f, axis=1)[:, [1, 0, 2]]}


with checks.exercise("ch05-ex6"):
    _ds, _code = repro_sets[CODE_OF[DATASET]], CODE_OF[DATASET]
    _f = {part: forecasts_of(_code, part)["Assoc. Net"].mean(axis=0)
          for part in ("val", "test")}
    _broken = (_f["test"][:, 1] > _f["test"][:, 0]) | (
        _f["test"][:, 0] > _f["test"][:, 2])
    checks.close(checks.number(order_broken, "order_broken"),
                 _broken.sum(), "order_broken", what="the number of test "
                 "days on which the forecast has low > open or open > high")
    _fixes = _ex6_repairs()
    if repair_choice not in _fixes:
        raise checks.CheckFailed("`repair_choice` should be 'to the open' "
                                 "or 'sorted'")
    _val = {name: metrics.mae(_ds.actual("val"), fix_it(_f["val"]))
            for name, fix_it in _fixes.items()}
    if _val[repair_choice] > min(_val.values()) * (1 + 1e-9):
        raise checks.CheckFailed(
            "`repair_choice` is not the repair with the smaller MAE on the "
            "validation windows (decide without the test rows)")
    _got = np.asarray(checks.is_set(repaired, "repaired"), dtype=float)
    if _got.shape == _f["test"].shape and (
            (_got[:, 1] > _got[:, 0]) | (_got[:, 0] > _got[:, 2])).any():
        raise checks.CheckFailed("`repaired` still has days with low > open "
                                 "or open > high")
    checks.close(_got, _fixes[repair_choice](_f["test"]), "repaired",
                 what="the test forecast repaired the chosen way")

# %% [markdown]
# :::{exercise}
# :label: ch05-ex7
# Why does the gap network need one shared target scale? With one min-max
# scaler per price, the scaled value $u$ means the price
# $\min_p + u\,(\max_p - \min_p)$ for price $p$, with the minimum and
# maximum of its training rows. Show that a low and an open with the same
# scaled value keep low <= open for every $u$ in $[0, 1]$, find the value
# of $u$ beyond which they would not, and check on the reproduction's data
# sets how far that lies from the test prices.
# :::
#
# ```{solution-start} ch05-ex7
# :class: dropdown
# ```
# At $u = 0$ the two maps give the lowest training low and the lowest
# training open, at $u = 1$ the highest low and the highest open. Every
# day's low is at most its open, so both ends are ordered, and two straight
# lines ordered at both ends are ordered in between. Beyond the ends they
# can cross: at $u^\ast$ where the low's line meets the open's. The same
# holds for the high and the open.

# %%
def crossing(ds, a, b):
    """Scaled value where the per-price maps of targets a and b cross."""
    j, k = TARGETS.index(a), TARGETS.index(b)
    scaler = ds.target_scaler
    base = scaler.inverse(0.0, k) - scaler.inverse(0.0, j)
    slope = ((scaler.inverse(1.0, j) - scaler.inverse(0.0, j))
             - (scaler.inverse(1.0, k) - scaler.inverse(0.0, k)))
    return base / slope if slope != 0 else np.inf


ex7 = {}
for code, ds in repro_sets.items():
    u_test = ds.test.y  # the actual test prices in per-price scaled units
    ex7[NAMES[code]] = {
        "low vs open: u*": crossing(ds, "low", "open"),
        "high vs open: u*": crossing(ds, "open", "high"),
        "scaled test prices: min": u_test.min(),
        "max": u_test.max(),
    }
ex7 = pd.DataFrame(ex7).T


def reached(row, u_star):
    """Do the scaled test prices pass the crossing point ``u_star``?"""
    low, high = row["scaled test prices: min"], row["max"]
    return bool((u_star < 0 and low < u_star)
                or (u_star > 1 and high > u_star))


inside = [name for name, row in ex7.iterrows()
          if row["scaled test prices: min"] >= 0 and row["max"] <= 1]
harmed = [name for name, row in ex7.iterrows()
          if reached(row, row["low vs open: u*"])
          or reached(row, row["high vs open: u*"])]
print("test prices inside the training range (0 to 1): "
      + (", ".join(inside) or "none of the series"))
print("test prices beyond a crossing point: "
      + (", ".join(harmed) or "none of the series: the per-price scalers "
         "would have done no harm here"))
ex7.round(2)

# %% [markdown]
# A crossing point between 0 and 1 cannot occur; a negative one lies below
# the training range and one above 1 beyond it. The printed lines say on
# which series the test prices stay inside the training range, and whether
# any of them passes a crossing point, where the per-price scalers would
# have done harm (a price slightly below the training range is harmless
# while it stays above the crossing). On a series that trends out
# of its training range (the NASDAQ-100 of chapter 3) the scaled forecasts go
# beyond 1, and the crossing point may be reached. One shared scale removes
# the question.
#
# ```{solution-end}
# ```
