"""The numbers the reproduced papers report, with their source; the only place they live.

Every table is typed in literally from the paper and returned as a fresh
DataFrame whose ``source`` column names the paper and the table. Blanks the
source text lost are NaN. The settings the papers *state* (dates, split sizes,
look-back) are in :data:`SETTINGS`; the course's own assumptions for what a
paper leaves out are not here but in the chapters, as parameters.

The full references are in the book's one bibliography,
``book/references.bib``, under the keys of :data:`SETTINGS` (``lu2024``,
``resnetlstm``, ``ding2020``, ``bao2021``) and ``guide``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NA = np.nan


# --------------------------------------------------------------------------- stated settings
SETTINGS: dict[str, dict] = {
    "lu2024": {
        "start": "2014-12-08", "end": "2024-06-11", "target": "close", "look_back": 1,
        "train_rows": 1200, "scaling": "min-max to (0, 1)", "loss": "mse", "optimizer": "adam",
        "source": "Lu (2024), Sections 2.1, 2.2 and 3",
        # Not stated by the paper: the bundled series (name, first date) that match its data.
        # The paper's "NASDAQ" is the NASDAQ-100; its 2403 rows start on 2014-11-21 (chapter 1).
        "series": {"CSI 300": ("csi300", "2014-12-08"), "NASDAQ": ("nasdaq100", "2014-11-21")},
    },
    "resnetlstm": {
        "start": "2019-09-11", "end": "2022-03-11", "rows": 604, "train_rows": 500,
        "test_rows": 104, "features": ("open", "high", "low", "close", "volume"),
        "target": "next-day close",
        "source": "ResNet-LSTM paper, Sections 2 and 5",
    },
    "ding2020": {
        "rows": {"000001.SH": 6112, "601857.SH": 2688, "000063.SZ": 4930},
        "train_fraction": 0.8, "n_inputs": 7, "targets": ("open", "low", "high"),
        "windows": (5, 10, 20, 30), "window": 20, "window_study_epochs": 50,
        "curve_epochs": 200, "scaling": "min-max", "optimizer": "adam",
        "source": "Ding & Qin (2020), Sections 4.2 and 5.1",
        # Not stated by the paper: the bundled series of its three data sets (first N rows each).
        "series": {"000001.SH": "sse_composite", "601857.SH": "petrochina_601857",
                   "000063.SZ": "zte_000063"},
    },
    "bao2021": {
        "periods": {
            "000001.SH": {"train": ("2010-06", "2017-08"), "test": ("2017-09", "2018-04")},
            "399001.SZ": {"train": ("2011-05", "2018-07"), "test": ("2018-08", "2019-03")},
        },
        "target": "next-day high", "units": 30, "runs": 10,
        "inputs": ("open", "high", "low", "close", "change", "volume"),
        "source": "Bao et al. (2021), Sections 3 and 4",
    },
}


# --------------------------------------------------------------------------- Lu (2024)
def lu2024_table1() -> pd.DataFrame:
    """Descriptive statistics of the daily close, Lu (2024) Table 1.

    "NASDAQ" matches the NASDAQ-100 (^NDX) from 2014-11-21, not the Composite.

    Returns
    -------
    DataFrame
        Index ``index`` ("CSI 300", "NASDAQ"); columns count, mean, std, min,
        max, source.
    """
    rows = [
        # index        count    mean     std      min      max
        ("CSI 300", 2311.00, 3933.56, 599.43, 2853.76, 5807.72),
        ("NASDAQ", 2403.00, 9368.18, 4271.92, 3947.80, 19210.18),
    ]
    df = pd.DataFrame(rows, columns=["index", "count", "mean", "std", "min", "max"])
    df["source"] = "Lu (2024), Table 1"
    return df.set_index("index")


def lu2024_rmse() -> pd.DataFrame:
    """RMSE (index points) on the training and test rows, Lu (2024) Tables 2 and 3.

    Returns
    -------
    DataFrame
        Index (``index``, ``model``) with models "SimpleRNN" and "LSTM";
        columns train, test, source.
    """
    rows = [
        # index      model        train   test    source
        ("CSI 300", "SimpleRNN", 64.52, 60.01, "Lu (2024), Table 2"),
        ("NASDAQ", "SimpleRNN", 93.10, 341.43, "Lu (2024), Table 2"),
        ("CSI 300", "LSTM", 63.94, 72.91, "Lu (2024), Table 3"),
        ("NASDAQ", "LSTM", 72.42, 377.58, "Lu (2024), Table 3"),
    ]
    df = pd.DataFrame(rows, columns=["index", "model", "train", "test", "source"])
    return df.set_index(["index", "model"])


# --------------------------------------------------------------------------- ResNet + LSTM
def resnetlstm_rmse() -> pd.DataFrame:
    """Test RMSE (CNY) of seven methods, ResNet-LSTM paper Table 4.

    Returns
    -------
    DataFrame
        Index ``method``; columns SPDB (600000.SH), Wuliangye (000858.SZ), source.
    """
    rows = [
        # method        SPDB   Wuliangye
        ("ARIMA", 0.230, 1.781),
        ("SVM", 0.185, 1.690),
        ("MLP", 0.192, 1.889),
        ("RNN", 0.208, 1.655),
        ("LSTM", 0.180, 1.601),
        ("PSO-LSTM", 0.142, 1.343),
        ("ResNet+LSTM", 0.460, 0.433),
    ]
    df = pd.DataFrame(rows, columns=["method", "SPDB", "Wuliangye"])
    df["source"] = "ResNet-LSTM paper, Table 4"
    return df.set_index("method")


# --------------------------------------------------------------------------- Ding & Qin (2020)
def ding2020_claim() -> pd.DataFrame:
    """The accuracy claim of Ding & Qin (2020): above 95 % for every output and data set.

    Their "average accuracy" is ``1 - MAE`` on min-max scaled prices
    (Section 5.3, Eq. 12); the values of Tables 6 and 7 were not preserved,
    only the statement that all lie above 0.95.

    Returns
    -------
    DataFrame
        Index (``dataset``, ``target``); columns above (0.95), measure, source.
    """
    rows = [(d, t) for d in ("000001.SH", "601857.SH", "000063.SZ")
            for t in ("open", "low", "high")]
    df = pd.DataFrame(rows, columns=["dataset", "target"])
    df["above"] = 0.95
    df["measure"] = "1 - MAE on min-max scaled data"
    df["source"] = "Ding & Qin (2020), Section 5.3, Tables 6-7"
    return df.set_index(["dataset", "target"])


def ding2020_window_study() -> pd.DataFrame:
    """The look-back study of Ding & Qin (2020), Section 4.2 and Table 1.

    Four step sizes were trained for 50 epochs on the Shanghai Composite.
    The average loss was lowest at 5; the text gives only its difference to
    step 20 (0.0014901); 20 was chosen from the loss curves.

    Returns
    -------
    DataFrame
        Index ``window``; columns epochs, chosen, loss_minus_window5, source.
    """
    df = pd.DataFrame({
        "window": [5, 10, 20, 30],
        "epochs": [50, 50, 50, 50],
        "chosen": [False, False, True, False],
        "loss_minus_window5": [0.0, NA, 0.0014901, NA],
    })
    df["source"] = "Ding & Qin (2020), Section 4.2, Table 1"
    return df.set_index("window")


# --------------------------------------------------------------------------- Bao et al. (2021)
def bao2021_results() -> pd.DataFrame:
    """Mean results over 10 runs, Bao et al. (2021) Tables 1, 2, 3 and 5.

    ``model`` is "NN1" alone or "NN1,NN2" (NN2 forecasts NN1's error).
    Cells the source text lost are NaN. ``time`` is the mean test time in
    seconds, MAPE in %, DA the share of correct directions (the paper's
    Dstat).

    Returns
    -------
    DataFrame
        Index (``dataset``, ``model``); columns time, RMSE, MAPE, MASE, DA, source.
    """
    rows = [
        # dataset     model        time   RMSE     MAPE   MASE   DA     table
        ("000001.SH", "LSTM", 0.102, 27.243, 0.643, 1.204, 0.653, 1),
        ("000001.SH", "LSTM,GRU", 0.188, NA, NA, NA, NA, 1),
        ("000001.SH", "LSTM,LSTM", 0.207, 22.225, 0.483, 0.903, 0.667, 1),
        ("000001.SH", "LSTM,MLP", 0.125, 23.570, 0.526, 0.984, 0.669, 1),
        ("000001.SH", "GRU", 0.090, 28.676, 0.683, 1.281, 0.693, 2),
        ("000001.SH", "GRU,GRU", 0.178, NA, NA, NA, NA, 2),
        ("000001.SH", "GRU,LSTM", 0.193, 21.319, 0.450, 0.840, 0.703, 2),
        ("000001.SH", "GRU,MLP", 0.112, 23.559, 0.517, 0.968, 0.710, 2),
        ("000001.SH", "MLP", 0.023, 29.953, 0.729, 1.368, 0.640, 3),
        ("000001.SH", "MLP,GRU", 0.114, 23.964, 0.521, 0.973, NA, 3),
        ("000001.SH", "MLP,LSTM", 0.128, NA, NA, NA, 0.658, 3),
        ("000001.SH", "MLP,MLP", 0.045, 24.727, 0.560, 1.047, 0.657, 3),
        ("399001.SZ", "GRU", 0.090, 127.056, 1.143, 1.048, 0.621, 5),
        ("399001.SZ", "GRU,GRU", 0.177, NA, NA, NA, NA, 5),
        ("399001.SZ", "GRU,LSTM", 0.109, 126.870, 1.092, 1.007, 0.620, 5),
        ("399001.SZ", "GRU,MLP", 0.023, 120.234, 1.050, 0.961, 0.615, 5),
    ]
    df = pd.DataFrame(rows, columns=["dataset", "model", "time", "RMSE", "MAPE", "MASE",
                                     "DA", "table"])
    df["source"] = "Bao et al. (2021), Table " + df.pop("table").astype(str)
    return df.set_index(["dataset", "model"])


def bao2021_data_std() -> pd.DataFrame:
    """Standard deviation of the training and test data, Bao et al. (2021) Table 4.

    Returns
    -------
    DataFrame
        Index ``dataset``; columns train, test, source.
    """
    rows = [
        # dataset     train   test
        ("000001.SH", 595.8, 106.6),
        ("399001.SZ", 1773.1, 749.3),
    ]
    df = pd.DataFrame(rows, columns=["dataset", "train", "test"])
    df["source"] = "Bao et al. (2021), Table 4"
    return df.set_index("dataset")
