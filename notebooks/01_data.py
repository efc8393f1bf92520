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
# # Data
#
# Every forecasting project starts with a price file, and most of the mistakes
# that make a forecast look better (or worse) than it is are made right here:
# a series from the wrong vendor, prices that were silently adjusted (or not),
# a date window that is off by a few days. This chapter looks at the data
# before any model touches it.
#
# **Learning goals.** After this chapter you can
#
# * list the real data sets bundled with `stocklearn`, say where each one
#   comes from, and explain why knowing the vendor and the adjustment matters;
# * load a series (bundled, your own CSV, or live from a vendor) and recognise
#   the errors the loader raises for broken data;
# * compute simple and log returns and describe two *stylised facts* of
#   returns: fat tails and volatility clustering;
# * tell raw prices from adjusted prices, and spot an ex-dividend day in raw
#   data;
# * reproduce the descriptive statistics (Table 1) of a published study,
#   {cite}`lu2024`, and find out which data its authors actually used.

# %%
import io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy import stats
from statsmodels.graphics.gofplots import qqplot
from statsmodels.tsa.stattools import acf

from stocklearn import (
    checks,
    data,
    fetch,
    papers,
    plots,
    prep,
    prose,
    settings,
)

plots.set_style()  # the course's figure style, also for the one-off figures

# %% tags=["parameters"]
PROFILE = None      # "fast" or "full"; None: $STOCKLEARN_PROFILE, else "fast"
DATASET = "csi300"  # data.list_datasets() name, or a CSV file's path
ONLINE = False      # True: also download live data (Yahoo, East Money)

# %%
profile = settings.get_profile(PROFILE)
display(Markdown(settings.run_note(
    profile, "notebooks/01_data", backend=None,
    details=f"data set `{DATASET}`, online {ONLINE}")))

# %% [markdown]
# ## The bundled data sets
#
# `stocklearn` ships a small set of **real** daily price series, so that every
# chapter runs offline and gives the same numbers everywhere. None of them is
# simulated or filled in. `data.list_datasets()` shows what is there:

# %%
catalogue = data.list_datasets()
display(catalogue)

# %% [markdown]
# The columns that matter most are the last ones:
#
# * **vendor**: who published the numbers. Index levels are nearly identical
#   across vendors, but details are not: the *volume* of a Chinese index
#   differs between vendors in some years, Yahoo Finance has a handful of
#   wrong closes in the late 1990s for the Shanghai index, and vendors
#   disagree on which days were trading days. The file `PROVENANCE.md` next to
#   the data records the source of every file, the checks that were run, and
#   the other sources each one was compared with.
# * **prices**: `index` (index points), `raw` (the prices that were actually
#   traded that day) or `adjusted` (prices rewritten after the fact so that
#   splits and dividends do not show up as jumps). The section on raw and
#   adjusted prices below shows why this matters for a forecaster.
#
# Why bother? A forecast is only comparable with a published number if both
# were computed on the *same* series. Later in this chapter we will see that a
# paper's "NASDAQ" is in fact a different index from the one its name
# suggests, and that its window starts earlier than its text says. Without the
# provenance of the data neither finding would be possible.

# %% [markdown]
# ## Loading a series
#
# `data.load(name, start, end)` returns a *validated OHLCV frame*: one row per
# trading day, a `DatetimeIndex` called `date`, and float columns `open`,
# `high`, `low`, `close`, `volume` (plus `amount`, the traded value, where the
# source has it). `start` and `end` are both inclusive. The data set chosen by
# the `DATASET` parameter:

# %%
df = data.load(DATASET)
meta = data.describe(DATASET)  # its row of the catalogue
print(f"{meta.description}: {len(df)} trading days, "
      f"{df.index[0]:%Y-%m-%d} to {df.index[-1]:%Y-%m-%d}, "
      f"{meta.prices} prices in {meta.currency} ({meta.vendor})")
df.tail()

# %%
display(df.dtypes)
with_amount = [name for name in catalogue.index
               if "amount" in data.load(name).columns]
print("data sets with an amount column:", ", ".join(with_amount))
checks.claim((catalogue.loc[with_amount, "market"] == "CN").all(),
             "amount (some Chinese series only)")
sp = data.load("sp500")
close_only = (sp[["open", "high", "low"]].eq(sp["close"], axis=0).all(axis=1)
              & sp["volume"].eq(0))
first_bar = close_only.idxmin()  # the first day with a range or a volume
last_close_only = sp.index[sp.index < first_bar][-1]
print("S&P 500: open = high = low = close and volume 0 on every day from "
      f"{sp.index[0]:%Y-%m-%d} to {last_close_only:%Y-%m-%d}")
checks.claim(last_close_only - sp.index[0] > pd.Timedelta(days=20 * 365),
             "the early decades of the S&P 500 file have only closing "
             "prices (open = high = low = close) and zero volume")

# %% [markdown]
# Note the units: `volume` is in shares, and `amount` (some Chinese series
# only, listed above) is the traded value in yuan. Volume definitions differ
# between vendors and between markets, so treat volume as a rough signal, not
# as an exact quantity. Old data have their own caveats, listed in
# `PROVENANCE.md`: the early decades of the S&P 500 file, for example, have
# only closing prices (open = high = low = close) and zero volume, as the last
# line above shows.

# %% [markdown]
# ## What broken data look like
#
# Every frame that comes out of `stocklearn.data` has passed the same checks:
# the dates increase strictly (no duplicates), nothing is missing, prices are
# positive, volume is not negative, and each bar is consistent,
# $\text{low} \le \text{open}, \text{close} \le \text{high}$. When a check
# fails the loader raises a `DataError` whose message names the problem and
# the first offending dates. It never "repairs" data silently: sorting or
# dropping rows behind your back would hide a problem in the source.
#
# Here are two frames that a spreadsheet export could easily produce: one in
# reverse order (newest first, as many websites show quotes), and one where a
# typo made a close higher than the day's high.

# %%
sample = df.iloc[-10:]

newest_first = sample.iloc[::-1]
typo = sample.copy()
# a slipped decimal point:
typo.loc[typo.index[3], "close"] = typo["high"].iloc[3] * 10

rejected = {}
for label, frame in [("newest first", newest_first), ("typo", typo)]:
    try:
        data.validate_ohlcv(frame)
    except data.DataError as err:
        rejected[label] = str(err)
        print(f"{label}: {type(err).__name__}\n{err}\n")
checks.claim(list(rejected) == ["newest first", "typo"]
             and f"{typo.index[3]:%Y-%m-%d}" in rejected["typo"],
             "the loader raises a DataError whose message names the problem "
             "and the first offending dates")

# %% [markdown]
# The error type is a subclass of `DataError` (itself a `ValueError`), so one
# `except data.DataError` catches every data problem the package can detect.
# Unknown data set names raise one too, with a suggestion:

# %%
try:
    data.load("csi3000")
except data.DataError as err:
    print(f"{type(err).__name__}: {err}")
    checks.claim(issubclass(data.DataError, ValueError)
                 and "did you mean 'csi300'" in str(err).lower(),
                 "unknown data set names raise one too, with a suggestion")

# %% [markdown]
# ## Price and volume
#
# A first look at the whole series, price on top and volume below
# (`plots.price_volume`):

# %%
fig = plots.price_volume(df, title=meta.description)
fig.axes[0].set_yscale("log")  # equal vertical steps = equal % changes
plt.show()

# %% [markdown]
# The price axis is logarithmic: over a long history, equal vertical distances
# then mean equal *percentage* changes, and a fall from the early years is as
# visible as one from the recent ones. Most of what follows works with
# relative changes rather than levels, for exactly this reason.

# %% [markdown]
# ## Returns
#
# Prices are in arbitrary units (index points, yuan, dollars), and their level
# drifts over the years. What an investor experiences, and what is comparable
# between series, is the relative change from one day to the next. With $p_t$
# the close on day $t$, the **simple return** and the **log return** are
#
# $$
# r_t = \frac{p_t}{p_{t-1}} - 1, \qquad
# \ell_t = \log\frac{p_t}{p_{t-1}} = \log(1 + r_t).
# $$
#
# For small moves they are almost equal ($\log(1+r) \approx r$). Log returns
# add up over time, $\log(p_T/p_0) = \sum_{t=1}^{T} \ell_t$, which makes them
# convenient for statistics; simple returns add up across the assets of a
# portfolio. `prep.returns` and `prep.log_returns` compute both; the first
# value is undefined (there is no previous day).

# %%
r = prep.returns(df["close"])
lr = prep.log_returns(df["close"])
both = pd.DataFrame({"close": df["close"], "simple return": r,
                     "log return": lr})
print(both.tail())
gap = (r - lr).abs()
print(f"\nlargest |simple - log| difference: {gap.max():.4f} "
      f"on {gap.idxmax():%Y-%m-%d} "
      f"(simple return that day {r.loc[gap.idxmax()]:+.2%})")

# %%
lr = lr.dropna()
fig, ax = plt.subplots(figsize=(10, 3))
ax.plot(lr.index, lr, lw=0.5)
ax.set(title=f"Daily log returns, {meta.description}", ylabel="log return")
plt.show()
halves = np.array_split(lr.to_numpy(), 2)
calm, agitated = lr.rolling(21).std().quantile([0.05, 0.95])
print(f"mean {lr.mean():+.5f} per day (halves: "
      f"{halves[0].mean():+.5f}, {halves[1].mean():+.5f}), "
      f"std {lr.std():.5f}")
print(f"21-day std: {calm:.4f} or less in the calmest 5 % of windows, "
      f"{agitated:.4f} or more in the most agitated 5 %")
checks.claim(max(abs(h.mean()) for h in halves) < 0.1 * lr.std(),
             "it moves around zero, with no trend")
checks.claim(agitated > 2 * calm,
             "it shows calm stretches and agitated stretches")

# %% [markdown]
# The return series looks completely different from the price: it moves around
# zero, with no trend. It also shows calm stretches and agitated stretches,
# which is the first hint of the stylised facts below.

# %% [markdown]
# ## Stylised facts of returns
#
# Returns of very different assets, markets and decades share a few
# statistical properties, collected by {cite}`cont2001` as *stylised facts*.
# Two of them matter for anyone who wants to forecast prices.
#
# ### Fat tails
#
# If daily log returns were normally distributed, a move of more than four
# standard deviations would be so rare that a few decades of daily data should
# contain hardly any. {cite}`mandelbrot1963` noticed long ago that cotton
# prices had far more extreme moves than the normal distribution allows. Let
# us compare our returns with a normal distribution of the same mean and
# standard deviation.

# %%
mu, sigma = lr.mean(), lr.std()
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.hist(lr, bins=200, density=True, alpha=0.6, label="log returns")
grid = np.linspace(lr.min(), lr.max(), 500)
ax1.plot(grid, stats.norm.pdf(grid, mu, sigma), "k", lw=1,
         label="normal, same mean and std")
ax1.set(xlim=(mu - 8 * sigma, mu + 8 * sigma), title="Histogram",
        xlabel="log return")
ax1.legend(loc="upper left")
qqplot(lr, line="s", ax=ax2, markersize=2)
ax2.set(title="QQ plot against the normal")
plt.tight_layout()
plt.show()
middle = ((lr - mu).abs() < 0.5 * sigma).mean()
q_low, q_high = ((lr - mu) / sigma).quantile([0.001, 0.999])
print(f"days within 0.5 std of the mean: {middle:.1%} "
      f"(normal: {1 - 2 * stats.norm.sf(0.5):.1%})")
print(f"0.1 % and 99.9 % quantiles: {q_low:+.2f} and {q_high:+.2f} std "
      f"(normal: {stats.norm.ppf(0.001):+.2f} and "
      f"{stats.norm.ppf(0.999):+.2f})")
checks.claim(middle > 1 - 2 * stats.norm.sf(0.5),
             "the histogram is taller and narrower in the middle than the "
             "normal curve")
checks.claim(q_low < stats.norm.ppf(0.001) and q_high > stats.norm.ppf(0.999),
             "the extreme quantiles of the data lie further out than the "
             "normal's, at both ends")

# %% [markdown]
# The histogram is taller and narrower in the middle than the normal curve,
# and the QQ plot bends away from the straight line at both ends: the extreme
# quantiles of the data lie further out than the normal's. Two numbers
# summarise this. The **excess kurtosis**
#
# $$
# \kappa = \frac{\tfrac{1}{n}\sum_t (\ell_t - \bar\ell)^4}{\hat\sigma^4} - 3
# $$
#
# is 0 for a normal distribution. The second compares how many days lie beyond
# four standard deviations with what a normal distribution predicts,
# $2\,(1 - \Phi(4))$.

# %%
z = (lr - mu) / sigma
tails = pd.DataFrame({
    "observed days": [(z.abs() > k).sum() for k in (3, 4, 5)],
    "expected if normal": [len(z) * 2 * stats.norm.sf(k) for k in (3, 4, 5)],
}, index=pd.Index(["|z| > 3", "|z| > 4", "|z| > 5"], name="move"))
tails["observed / expected"] = (tails["observed days"]
                                / tails["expected if normal"])
print(f"{len(lr)} daily log returns, "
      f"excess kurtosis {stats.kurtosis(lr):.1f}, "
      f"skewness {stats.skew(lr):+.2f}")
print(f"share of days beyond 4 std: {(z.abs() > 4).mean():.3%} "
      f"(normal: {2 * stats.norm.sf(4):.4%})")
squares = lr ** 2
top_share = squares.nlargest(max(1, len(lr) // 100)).sum() / squares.sum()
print(f"the largest 1 % of squared returns: {top_share:.0%} of their sum")
prose.glue("kurtosis", stats.kurtosis(lr))
prose.glue("tail_ratio_4", tails.loc["|z| > 4", "observed / expected"])
prose.glue("top_share", top_share)
checks.claim(tails.loc["|z| > 4", "observed / expected"] > 5,
             "extreme days are many times more frequent than under the "
             "normal distribution")
checks.claim(top_share > 0.1, "a loss that squares errors gives a handful of "
             "days a large weight")
tails.round(1)

# %% [markdown]
# Extreme days are many times more frequent than under the normal
# distribution: here {glue:text}`tail_ratio_4:.0f` times as many days lie
# beyond four standard deviations as it predicts, and the excess kurtosis is
# {glue:text}`kurtosis:.1f` instead of 0. For a forecaster this has two
# consequences. A loss that squares errors (MSE, RMSE) gives a handful of days
# a large weight (the largest 1 % of the squared daily returns above make up
# {glue:text}`top_share:.0%` of their sum), so two models can swap places
# depending on whether a crash falls in the test period. And a
# test period of a few hundred calm days says little about how a model behaves
# on the rare violent ones.
#
# ### Volatility clustering
#
# Are returns predictable from past returns? The **autocorrelation** at lag
# $k$,
#
# $$
# \rho(k) = \operatorname{corr}(\ell_t, \ell_{t-k}),
# $$
#
# measures the linear relation between a return and the one $k$ days earlier.
# Below, the autocorrelations of the returns and of their absolute values,
# with the band $\pm 1.96/\sqrt{n}$ inside which values are compatible with no
# correlation at all.

# %%
nlags = 50
acf_r = acf(lr, nlags=nlags, fft=True)[1:]
acf_abs = acf(lr.abs(), nlags=nlags, fft=True)[1:]
band = 1.96 / np.sqrt(len(lr))
lags = np.arange(1, nlags + 1)
fig, ax = plt.subplots(figsize=(10, 3.5))
ax.bar(lags - 0.2, acf_r, width=0.4, label="returns")
ax.bar(lags + 0.2, acf_abs, width=0.4, label="absolute returns")
ax.axhspan(-band, band, color="grey", alpha=0.3, label="±1.96/√n")
ax.set(xlabel="lag (trading days)", ylabel="autocorrelation",
       title="Autocorrelation of returns and of absolute returns")
ax.legend()
plt.show()
print(f"lag 1: returns {acf_r[0]:+.3f}, absolute returns {acf_abs[0]:+.3f}")
print(f"mean over lags 1-{nlags}: returns {acf_r.mean():+.3f}, "
      f"absolute returns {acf_abs.mean():+.3f} (band ±{band:.3f})")
moves = lr[lr != 0]
same_sign = (np.sign(moves) == np.sign(moves.shift())).iloc[1:].mean()
inside = np.flatnonzero(acf_abs <= band)
above_to = inside[0] if len(inside) else nlags  # lags 1..above_to: above
print(f"largest |autocorrelation| of returns: {np.abs(acf_r).max():.3f}; "
      f"{same_sign:.1%} of the days move in the direction of the day before")
print(f"absolute returns: above the band at every lag from 1 to {above_to}")
checks.claim(np.abs(acf_r).max() < 0.1 and abs(same_sign - 0.5) < 0.05,
             "the returns themselves are barely correlated with their own "
             "past: today's return tells you almost nothing about the sign "
             "of tomorrow's")
checks.claim(above_to >= 20, "their size is persistent for weeks")

# %% [markdown]
# The returns themselves are barely correlated with their own past: knowing
# today's return tells you almost nothing about the sign of tomorrow's. Their
# *size*, however, is persistent for weeks: large moves follow large moves and
# calm follows calm. This is **volatility clustering**. A rolling standard
# deviation makes it visible:

# %%
vol = lr.rolling(21).std() * np.sqrt(252)
fig, ax = plt.subplots(figsize=(10, 3))
ax.plot(vol.index, vol, lw=0.8)
ax.set(title="Volatility: 21-day rolling std of log returns, annualised",
       ylabel="volatility")
plt.show()

# %% [markdown]
# Keep both facts in mind. The direction of tomorrow's move is close to
# unpredictable from past prices alone, which is what the efficient-market
# view {cite}`fama1970` predicts; the size of tomorrow's move is partly
# predictable. A model that forecasts tomorrow's *price* will therefore mostly
# learn to repeat today's price, a point the next chapter measures.

# %% [markdown]
# ## Raw and adjusted prices
#
# When a company pays a cash dividend, the share price drops by about the
# dividend on the **ex-dividend day**: the buyer of the share from that day on
# no longer receives it. Nothing bad happened to the shareholders (they
# received the cash), yet a raw price series shows a fall. The exchange
# accounts for this by publishing a *reference previous close*: yesterday's
# close minus the dividend, against which today's price change is measured.
#
# An **adjusted** series removes these jumps by multiplying all prices
# *before* the event by
#
# $$
# f = \frac{\text{reference previous close}}{\text{previous close}} < 1,
# $$
#
# so that the return on the ex-day is measured from the reference price.
# (Chinese vendors call this forward adjustment, 前复权; Yahoo's `Adj Close`
# works the same way.) The bundled A-share stocks hold **raw** prices, and
# their registry entry lists the ex-dividend days found in the vendor data.
# Shanghai Pudong Development Bank (SPDB, 600000.SH) went ex-dividend on
# 2020-07-23:

# %%
info = data.dataset_info("spdb_600000")
event = next(e for e in info["events"] if e["date"] == "2020-07-23")
display(event)

# %%
spdb = data.load("spdb_600000", start="2019-07-01", end="2020-08-14")
ex_day = pd.Timestamp(event["date"])
factor = event["reference_prev_close"] / event["prev_close"]
adjusted = spdb["close"].where(spdb.index >= ex_day, spdb["close"] * factor)

around = pd.DataFrame({
    "raw close": spdb["close"],
    "raw return": prep.returns(spdb["close"]),
    "adjusted close": adjusted,
    "adjusted return": prep.returns(adjusted),
}).loc["2020-07-17":"2020-07-29"]
dividend = event["prev_close"] - event["reference_prev_close"]
print(f"dividend per share: {dividend:.2f} CNY, "
      f"adjustment factor f = {factor:.4f}")
around.style.format({"raw close": "{:.2f}", "adjusted close": "{:.3f}",
                     "raw return": "{:+.2%}", "adjusted return": "{:+.2%}"})

# %%
daily = prep.returns(spdb["close"])
before = daily.loc[:ex_day - pd.Timedelta(days=1)].dropna()
raw_move, adj_move = daily.loc[ex_day], prep.returns(adjusted).loc[ex_day]
print(f"std of SPDB's daily returns over the year before: {before.std():.2%}")
print(f"return on {event['date']}: "
      f"raw {raw_move:+.2%} ({raw_move / before.std():+.1f} std), "
      f"adjusted {adj_move:+.2%} ({adj_move / before.std():+.1f} std)")
print("days in that year with a raw fall at least as large: "
      f"{(before <= raw_move).sum()}, an adjusted one: "
      f"{(before <= adj_move).sum()} of {len(before)}")
checks.claim(info["prices"] == "raw", "the bundled A-share stocks hold raw "
             "prices")
checks.claim((before <= raw_move).mean() < 0.02,
             "in raw prices the ex-dividend day is among the worst days of "
             "the year for this stock")
checks.claim(adj_move < 0 and (before <= adj_move).mean() > 0.05
             and abs(adj_move) < 2 * before.std(),
             "in adjusted prices it is an ordinary down day")

fig, ax = plt.subplots(figsize=(10, 3.5))
window = slice("2020-06-15", "2020-08-14")
ax.plot(spdb["close"].loc[window], label="raw close", marker=".")
ax.plot(adjusted.loc[window], label="adjusted close", marker=".")
ax.axvline(ex_day, color="grey", ls="--", lw=1, label="ex-dividend day")
ax.set(title="SPDB (600000.SH) around its 2020 ex-dividend day", ylabel="CNY")
ax.legend()
fig.autofmt_xdate()
plt.show()

# %% [markdown]
# In raw prices the ex-dividend day is among the worst days of the year for
# this stock; in adjusted prices it is an ordinary down day, and the rest of
# the ex-day's fall is real trading. For a forecasting model the raw jump is a
# trap: it is predictable by anyone who reads the dividend announcement, yet
# it looks like an unexplained shock in the price series, and an error on that
# day counts in the test score like any other.
#
# Adjusted series have their own catch. Apple's file (from Yahoo Finance with
# `auto_adjust=True`) is split- *and* dividend-adjusted. Apple split its
# shares at the end of August 2020 (each old share became several new ones, so
# the raw price fell to a fraction overnight), yet the adjusted series shows
# no trace of it:

# %%
aapl = data.load("aapl", start="2020-08-26", end="2020-09-03")
print(pd.DataFrame({"close": aapl["close"],
                    "return": prep.returns(aapl["close"])}).round(4))
print()
print(catalogue.loc[["spdb_600000", "aapl"], ["prices", "vendor"]])
first = data.load("aapl").iloc[0]
print(f"\nfirst adjusted AAPL close ({first.name:%Y-%m-%d}): "
      f"{first['close']:.4f} USD")
# a 4-for-1 split in a raw series is a return of -75 %
checks.claim((prep.returns(aapl["close"]).dropna() > -0.5).all(),
             "the adjusted series shows no trace of the split")
# Apple went public at 22 USD a share and never traded below 1 USD
checks.claim(first["close"] < 1, "the first adjusted close is a price at "
             "which no share ever traded")

# %% [markdown]
# The first adjusted close is a price at which no share ever traded: every
# later split and dividend has been pushed back into the past. Each new
# dividend rescales the whole history once more, so two downloads of "the
# same" adjusted series made a year apart differ on every old row (the
# provenance file documents such a case). Returns computed from an adjusted
# series are what a holder who reinvested the dividends earned, which is
# usually what you want to model; the price *levels* are not comparable with
# anything published at the time.
#
# Rule of thumb: use adjusted prices (or raw prices plus the list of corporate
# actions) for return-based work, write down which one you used, and never mix
# a raw and an adjusted series in one comparison.

# %% [markdown]
# ## Your own data
#
# ### A CSV file
#
# `data.load_csv` reads the common layouts: Yahoo Finance downloads (including
# the three-line header that recent versions of `yfinance` write), tushare and
# akshare exports (including their Chinese column names and lot units), and a
# plain `date,open,high,low,close,volume` file. It returns the same validated
# frame as `data.load`, and raises the same errors.
#
# To keep this runnable offline, we build a small CSV in the `yfinance` layout
# from bundled rows, in memory, and read it back:

# %%
rows = data.load("nasdaq100", start="2024-06-03", end="2024-06-11")
body = rows.rename(columns=str.title)[
    ["Close", "High", "Low", "Open", "Volume"]]
body.insert(0, "Adj Close", body["Close"])
csv_text = ("Price,Adj Close,Close,High,Low,Open,Volume\n"
            "Ticker,^NDX,^NDX,^NDX,^NDX,^NDX,^NDX\n"
            "Date,,,,,,\n"
            + body.to_csv(header=False, date_format="%Y-%m-%d"))
print(csv_text)

mine = data.load_csv(io.StringIO(csv_text))
pd.testing.assert_frame_equal(mine, rows)
display(mine)

# %% [markdown]
# With your own file, pass its path instead: `data.load_csv("my_prices.csv")`.
# By default `close` is the raw `Close`; `use_adj_close=True` rescales open,
# high, low and close by `Adj Close / Close` instead. Whichever you choose,
# say so when you report results.
#
# ### Live data
#
# The module `stocklearn.fetch` downloads the whole daily history of a symbol:
# `fetch.yahoo(ticker)` from Yahoo Finance (via the `yfinance` package) and
# `fetch.ashare(code)` from East Money (via `akshare`). They need
# `pip install 'stocklearn[online]'` and a network connection, which is why
# the cell below only runs when the parameter `ONLINE` is `True`.
#
# * **Cache.** The first download is saved as a CSV under
#   `~/.cache/stocklearn` (or `cache_dir=`); later calls read the file and do
#   not touch the network unless `refresh=True`. Your results then stay
#   reproducible while you work, even though the vendor keeps adding days and
#   may revise old ones.
# * **Fallback.** When the download fails (no package, no network, rate limit,
#   a vendor changed its format), the fetcher falls back to the cached copy,
#   then to the bundled series of the same symbol if there is one, and says so
#   with a `fetch.FallbackWarning`. Otherwise it raises a `fetch.FetchError`.
#   Read the warning: the bundled series may end years before today, and for
#   Apple it is adjusted while a live Yahoo download is raw.

# %%
if ONLINE:
    live = fetch.yahoo("^NDX", start="2024-01-01")
    print(f"^NDX from Yahoo Finance: {len(live)} rows, "
          f"last {live.index[-1]:%Y-%m-%d}")
    print(live.tail(3))
    spdb_live = fetch.ashare("600000", start="2024-01-01")
    print(f"\n600000 from East Money: {len(spdb_live)} rows, "
          f"last {spdb_live.index[-1]:%Y-%m-%d}")
    print(spdb_live.tail(3))
else:
    print("ONLINE is False: no download. "
          "Set ONLINE = True in the parameters cell to fetch.")

# %% [markdown]
# ## Reproducing a paper's data: Lu (2024), Table 1
#
# {cite}`lu2024` compares a simple RNN with an LSTM for forecasting the daily
# close of two indices, China's CSI 300 and the US "NASDAQ index", over
# 2014-12-08 to 2024-06-11. Its Table 1 gives the count, mean, standard
# deviation, minimum and maximum of each close series. These five numbers are
# a fingerprint of the data, and before comparing with the paper's forecast
# errors (chapter 2 and 3) we must make sure we have the same series.

# %%
paper = papers.lu2024_table1()
display(paper)

# %% [markdown]
# Two things need settling. The paper names its vendors (JoinQuant for the
# CSI 300, MSN for "NASDAQ") but not which NASDAQ index it used: there is the
# NASDAQ Composite (all stocks listed on the exchange) and the NASDAQ-100 (its
# hundred largest non-financial companies). The minimum and maximum of Table 1
# match the NASDAQ-100 exactly, and the Composite cannot fit (it trades at
# different levels). And the count: over the stated window the NASDAQ-100 has
# fewer rows than the table reports. Counting back from 2024-06-11, the
# paper's row count is reached on 2014-11-21, and with that start the count,
# minimum and maximum all match. We compute all three windows:

# %%
# the paper's window and the bundled series that match it
lu = papers.SETTINGS["lu2024"]
windows = {
    **lu["series"],
    "NASDAQ-100 from 2014-12-08 (stated start)": ("nasdaq100", lu["start"]),
}
stat_cols = ["count", "mean", "std", "min", "max"]
ours = pd.DataFrame({
    label: data.load(name, start=start, end=lu["end"])["close"].describe()
    for label, (name, start) in windows.items()
}).T[stat_cols].rename_axis("ours")
ours.round(2)

# %%
blocks = []
for index in paper.index:
    blocks += [
        pd.Series(paper.loc[index, stat_cols], name=(index, "paper")),
        pd.Series(ours.loc[index, stat_cols].round(2), name=(index, "ours")),
        pd.Series(ours.loc[index, stat_cols].round(2)
                  - paper.loc[index, stat_cols],
                  name=(index, "ours - paper")),
    ]
comparison = pd.DataFrame(blocks).astype(float)
comparison.index.names = ["index", "source"]
comparison.round(2)

# %%
csi_diff = comparison.loc[("CSI 300", "ours - paper")].abs()
checks.claim((csi_diff < 0.005).all(),
             "the CSI 300 matches to the last printed digit")
print("CSI 300, 2014-12-08 to 2024-06-11: "
      "all five statistics match the paper exactly.")
ndx_diff = comparison.loc[("NASDAQ", "ours - paper")]
print("NASDAQ-100 from 2014-11-21: "
      f"count difference {ndx_diff['count']:.0f}, "
      f"min {ndx_diff['min']:+.2f}, max {ndx_diff['max']:+.2f}, "
      f"mean {ndx_diff['mean']:+.2f}, std {ndx_diff['std']:+.2f}")
stated = ours.loc["NASDAQ-100 from 2014-12-08 (stated start)", "count"]
print(f"NASDAQ-100 over the stated window: {stated:.0f} rows, "
      f"{paper.loc['NASDAQ', 'count'] - stated:.0f} fewer than "
      "the paper's count")
ndx_start = pd.Timestamp(lu["series"]["NASDAQ"][1])
counted = data.load("nasdaq100", end=lu["end"]).index[
    -int(paper.loc["NASDAQ", "count"])]
exact = ndx_diff[["count", "min", "max"]].abs() < 0.005
small = ndx_diff[["mean", "std"]].abs().between(0.005, 1)
checks.claim(stated < paper.loc["NASDAQ", "count"],
             "over the stated window the NASDAQ-100 has fewer rows than the "
             "table reports")
checks.claim(counted == ndx_start and exact.all(),
             "counting back from 2024-06-11, the paper's row count is "
             "reached on 2014-11-21, and with that start the count, minimum "
             "and maximum all match")
checks.claim(small.all(), "the mean and standard deviation differ slightly "
             "(a small fraction of an index point)")
checks.claim(pd.Timedelta(days=10) <= pd.Timestamp(lu["start"]) - ndx_start
             <= pd.Timedelta(days=21),
             "starting about two weeks before the stated date")

# %% [markdown]
# The CSI 300 matches to the last printed digit, so for that index we can be
# confident we have the paper's series. For the NASDAQ-100, count, minimum and
# maximum match with the earlier start, and the mean and standard deviation
# differ slightly (a small fraction of an index point): the paper's series
# probably differs from ours on a few rows, perhaps because of the vendor. We
# cannot resolve this from the paper's text, so the course uses NASDAQ-100
# from 2014-11-21 to 2024-06-11 as "Lu's NASDAQ" and says so wherever it is
# used.
#
# This is routine detective work, and it is worth doing before every
# comparison with a published result: a paper's test error means little if the
# test period is not the one you think it is.

# %% [markdown]
# ## Summary
#
# * The bundled series are real quotes from named vendors;
#   `data.list_datasets()` lists them with their vendor and whether prices are
#   index levels, raw or adjusted.
# * `data.load`, `data.load_csv` and the live fetchers of `stocklearn.fetch`
#   all return the same validated OHLCV frame. Bad data raise a `DataError`
#   that names the problem and the dates; nothing is repaired silently.
# * Daily returns, not prices, are the natural object of study. They have fat
#   tails (extreme days are far more frequent than a normal distribution
#   predicts) and volatility clustering (the size of moves is persistent,
#   their direction barely).
# * Raw prices jump on ex-dividend days; adjusted prices do not, but their old
#   levels are not prices anybody traded at and change with every new
#   adjustment. Know which one you have.
# * A paper's descriptive statistics are a fingerprint of its data. CSI 300
#   reproduces Lu's (2024) Table 1 exactly; Lu's "NASDAQ" is the NASDAQ-100,
#   starting about two weeks before the stated date.

# %% [markdown]
# ## Exercises
#
# :::{exercise}
# :label: ch01-ex1
# Run the stylised-facts section with `DATASET = "aapl"` and with
# `DATASET = "csi300"`. Which series has the fatter tails (larger excess
# kurtosis)? Does a single stock or an index show more extreme days relative
# to its own standard deviation, and why might that be?
# :::
#
# ```{solution-start} ch01-ex1
# :class: dropdown
# ```
# Change the parameter and re-run, or compute directly, here over the full
# history and over the last ten years of each series:

# %%
tail_stats = {}
for ex_name in ["aapl", "csi300"]:
    ex_lr = prep.log_returns(data.load(ex_name)["close"]).dropna()
    ten_years = ex_lr.index[-1] - pd.DateOffset(years=10)
    for span, rets in [("full", ex_lr), ("last 10 years", ex_lr[ten_years:])]:
        z_rets = (rets - rets.mean()) / rets.std()
        tail_stats[(ex_name, span)] = {
            "days": len(rets),
            "excess kurtosis": stats.kurtosis(rets),
            "% days beyond 4 std": 100 * (z_rets.abs() > 4).mean(),
            "largest |z|": z_rets.abs().max(),
        }
tail_table = pd.DataFrame(tail_stats).T.astype({"days": int})
kurt = tail_table["excess kurtosis"]
beyond = tail_table["% days beyond 4 std"]
checks.claim((kurt["aapl"] > kurt["csi300"]).all(),
             "Apple has the larger excess kurtosis in both windows")
checks.claim(tail_table.loc[("aapl", "full"), "largest |z|"]
             > 2 * tail_table.loc[("csi300", "full"), "largest |z|"]
             and beyond[("aapl", "full")] < beyond[("csi300", "full")],
             "over Apple's full history a handful of huge days dominate the "
             "kurtosis, and a smaller share of Apple's days than of the "
             "index's lies beyond four standard deviations")
kurt_gap = kurt["aapl"] - kurt["csi300"]
checks.claim(kurt_gap["last 10 years"] < kurt_gap["full"] / 2
             and beyond[("aapl", "last 10 years")]
             > beyond[("csi300", "last 10 years")],
             "over the last ten years the kurtosis gap is much smaller, and "
             "Apple has the larger share of days beyond four standard "
             "deviations")
tail_table.round(2)

# %% [markdown]
# A single stock is exposed to company news (earnings, lawsuits, product
# launches) that an index averages away over hundreds of companies, so single
# stocks usually show more extreme days; here Apple has the larger excess
# kurtosis in both windows. Kurtosis is itself very sensitive to a few extreme
# observations, so the answer can change with the window. Over Apple's full
# history a handful of huge days (see the largest $|z|$) dominate the
# kurtosis, and they inflate the standard deviation so much that a smaller
# share of Apple's days than of the index's lies beyond four of them. Over
# the last ten
# years the kurtosis gap is much smaller, and Apple has the larger share
# of days beyond four standard deviations.
#
# ```{solution-end}
# ```

# %% [markdown]
# :::{exercise}
# :label: ch01-ex2
# The ex-dividend analysis used SPDB's 2020 dividend.
# `data.dataset_info("wuliangye_000858")` lists two ex-dividend days of
# Wuliangye. Build the adjusted close around the 2021 one, and compare the raw
# and the adjusted return on that day. Is the effect bigger or smaller than
# for SPDB, relative to the price?
# :::
#
# ```{solution-start} ch01-ex2
# :class: dropdown
# ```

# %%
wly_info = data.dataset_info("wuliangye_000858")
wly_event = next(e for e in wly_info["events"]
                 if e["date"].startswith("2021"))
wly = data.load("wuliangye_000858", start="2021-06-01", end="2021-08-31")
wly_day = pd.Timestamp(wly_event["date"])
wly_f = wly_event["reference_prev_close"] / wly_event["prev_close"]
wly_adj = wly["close"].where(wly.index >= wly_day, wly["close"] * wly_f)
ex_dividends = pd.DataFrame({
    "1 - f (%)": [1 - wly_f, 1 - factor],
    "raw return (%)": [prep.returns(wly["close"]).loc[wly_day], raw_move],
    "adjusted return (%)": [prep.returns(wly_adj).loc[wly_day], adj_move],
}, index=[f"Wuliangye {wly_event['date']}", f"SPDB {event['date']}"])
wly_dividend = wly_event["prev_close"] - wly_event["reference_prev_close"]
print(f"dividend per share: Wuliangye {wly_dividend:.2f} CNY "
      f"(close before {wly_event['prev_close']:.2f}), SPDB {dividend:.2f} "
      f"CNY (close before {event['prev_close']:.2f})")
checks.claim(wly_dividend > dividend
             and wly_event["prev_close"] > event["prev_close"]
             and 1 - wly_f < 1 - factor,
             "Wuliangye's dividend is large in yuan but small relative to "
             "its high share price, so the jump in its raw series is a "
             "smaller fraction of the price than SPDB's")
(100 * ex_dividends).round(2)

# %% [markdown]
# `1 - f` is the dividend as a share of the price (the dividend yield of that
# payment). Wuliangye's dividend is large in yuan but small relative to its
# high share price, so the jump in its raw series is a smaller fraction of the
# price than SPDB's: a bank with a low share price and a high payout shows the
# effect more strongly.
#
# ```{solution-end}
# ```

# %% [markdown]
# :::{exercise}
# :label: ch01-ex3
# Using `data.load` and `describe()`, find the start date *d* such that the
# NASDAQ-100 from *d* to 2024-06-11 has exactly the paper's row count. Then
# show that no start date makes the mean match the paper's to two decimals.
# What could explain the remaining difference? Keep the start date in
# `start_date` and the number of start dates whose mean matches the paper's
# to two decimals in `hits`.
# :::
#
# ```{solution-start} ch01-ex3
# :class: dropdown
# ```
# The mean and standard deviation of the window from each start date to
# 2024-06-11 are expanding statistics of the series read backwards:

# %%
ndx_close = data.load("nasdaq100", end="2024-06-11")["close"]
n_paper = int(paper.loc["NASDAQ", "count"])
paper_mean = paper.loc["NASDAQ", "mean"]
start_date = ndx_close.index[-n_paper]
print(f"the paper's {n_paper} rows start on {start_date:%Y-%m-%d}")
backwards = ndx_close[::-1].expanding()
by_start = pd.DataFrame({
    "rows": np.arange(len(ndx_close), 0, -1),
    "mean": backwards.mean()[::-1],
    "std": backwards.std()[::-1],
}).rename_axis("start")
hits = ((by_start["mean"] - paper_mean).abs() < 0.005).sum()
print(f"start dates whose mean is {paper_mean:.2f} to two decimals: "
      f"{hits} of {len(by_start)}")
# the paper's mean lies between those of the start date and the next one
around_start = by_start["mean"].iloc[[-n_paper, -n_paper + 1]] - paper_mean
checks.claim(hits == 0 and around_start.prod() < 0
             and 0.005 < abs(around_start.iloc[0]) < 1,
             "its mean is close to, but not exactly, the paper's: the "
             "paper's mean lies between those of two neighbouring start "
             "dates, and no start date at all gives it to two decimals")
by_start.iloc[-n_paper - 3:-n_paper + 4].round(2)

# %% [markdown]
# Only the window with the paper's count matches count, min and max together,
# and its mean is close to, but not exactly, the paper's: the paper's mean
# lies between those of two neighbouring start dates, and no start date at all
# gives it to two decimals. Possible reasons: the paper's vendor (MSN) has a
# few different closes (rounding, late corrections), a missing or duplicated
# day that leaves the count unchanged, or a different end-of-day snapshot.
# Without the paper's file we cannot tell; the honest thing is to report the
# difference.
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch01-ex3"):
    checks.is_set(start_date, "start_date")
    checks.close(len(data.load("nasdaq100", start=start_date,
                               end="2024-06-11")),
                 paper.loc["NASDAQ", "count"], "start_date",
                 what="a start date that gives the paper's row count")
    checks.close(hits, 0, "hits", what="the number of start dates whose "
                 "mean is the paper's to two decimals")

# %% [markdown]
# :::{exercise}
# :label: ch01-ex4
# Shuffle the order of the daily log returns of `DATASET` (e.g. with
# `np.random.default_rng(0).permutation`) and recompute the autocorrelation of
# the absolute returns. What happens to volatility clustering, and what does
# not change? What does this tell you about where the clustering "lives"?
# Keep the shuffled returns in `shuffled` and the autocorrelations of their
# absolute values at lags 1 to 10 in `acf_shuffled`.
# :::
#
# ```{solution-start} ch01-ex4
# :class: dropdown
# ```

# %%
shuffled = pd.Series(np.random.default_rng(0).permutation(lr.to_numpy()))
acf_shuffled = acf(shuffled.abs(), nlags=10, fft=True)[1:]
print(f"excess kurtosis: original {stats.kurtosis(lr):.3f}, "
      f"shuffled {stats.kurtosis(shuffled):.3f}")
print(f"autocorrelation of absolute returns (band ±{band:.3f}):")
checks.claim(np.isclose(stats.kurtosis(shuffled), stats.kurtosis(lr))
             and (acf_abs[:10] > band).all()
             and np.abs(acf_shuffled).max() < 2 * band,
             "the distribution is unchanged by shuffling, but the "
             "autocorrelation of absolute returns disappears: what is left "
             "is noise of the size of the band")
pd.DataFrame({"original": acf_abs[:10], "shuffled": acf_shuffled},
             index=pd.Index(lags[:10], name="lag")).round(3)

# %% [markdown]
# The distribution (and with it the fat tails) is unchanged by shuffling, but
# the autocorrelation of absolute returns disappears: what is left is noise of
# the size of the $\pm 1.96/\sqrt{n}$ band. Volatility clustering is a
# property of the *order* of the returns in time, not of their distribution.
# That is why a model that sees returns as exchangeable samples (for example
# after a random shuffle across time) cannot learn it, and why splits must
# respect time (chapter 2).
#
# ```{solution-end}
# ```

# %% tags=["check", "remove-cell"]
with checks.exercise("ch01-ex4"):
    checks.is_permutation(shuffled, lr, "shuffled",
                          what=f"the daily log returns of {DATASET}")
    checks.is_shuffled(shuffled, lr, "shuffled")
    checks.autocorrelation(acf_shuffled, shuffled, range(1, 11),
                           "acf_shuffled", absolute=True)
    checks.within_noise(acf_shuffled, len(lr), "acf_shuffled")
