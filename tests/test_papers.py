"""The papers' numbers: their tables' shape and sources, and checks against our data and
against each other that a mistyped number would fail."""

import re
from pathlib import Path

import numpy as np
import pandas as pd

from stocklearn import papers
from stocklearn.data import load


def test_lu2024_rmse():
    t = papers.lu2024_rmse()
    assert t.loc[("CSI 300", "SimpleRNN"), "test"] == 60.01
    assert t.loc[("CSI 300", "LSTM"), "test"] == 72.91
    assert t.loc[("NASDAQ", "SimpleRNN"), "test"] == 341.43
    assert t.loc[("NASDAQ", "LSTM"), "test"] == 377.58
    assert t.loc[("CSI 300", "SimpleRNN"), "train"] == 64.52
    assert t.loc[("CSI 300", "LSTM"), "train"] == 63.94
    assert t.loc[("NASDAQ", "SimpleRNN"), "train"] == 93.10
    assert t.loc[("NASDAQ", "LSTM"), "train"] == 72.42
    assert set(t["source"]) == {"Lu (2024), Table 2", "Lu (2024), Table 3"}


def test_lu2024_table1_matches_csi300_exactly():
    paper = papers.lu2024_table1()
    assert paper.loc["NASDAQ"].tolist()[:5] == [2403, 9368.18, 4271.92, 3947.80, 19210.18]
    ours = load("csi300", start="2014-12-08", end="2024-06-11")["close"].describe().round(2)
    cols = ["count", "mean", "std", "min", "max"]
    np.testing.assert_allclose(ours[cols].to_numpy(), paper.loc["CSI 300", cols].to_numpy(float))


def test_resnetlstm_rmse():
    t = papers.resnetlstm_rmse()
    assert len(t) == 7
    assert t.loc["ResNet+LSTM"].tolist()[:2] == [0.460, 0.433]
    assert t.loc["PSO-LSTM", "Wuliangye"] == 1.343
    assert t.loc["ARIMA", "SPDB"] == 0.230


def test_bao2021():
    t = papers.bao2021_results()
    assert np.isnan(t.loc[("000001.SH", "MLP,LSTM"), "RMSE"])
    assert np.isnan(t.loc[("000001.SH", "MLP,GRU"), "DA"])
    assert t.loc[("399001.SZ", "GRU"), "source"] == "Bao et al. (2021), Table 5"
    assert t.loc[("000001.SH", "MLP"), "source"] == "Bao et al. (2021), Table 3"
    assert len(t.loc["000001.SH"]) == 12 and len(t.loc["399001.SZ"]) == 4
    std = papers.bao2021_data_std()
    assert set(std.columns) >= {"train", "test"} and (std[["train", "test"]] > 0).all().all()


def test_bao2021_mape_and_mase_agree_in_every_row():
    """MAPE is MAE over the price level and MASE is MAE over one scale per series, so
    MAPE / MASE is the same for every row of a series: a mistyped MAPE or MASE shows."""
    t = papers.bao2021_results().dropna(subset=["MAPE", "MASE"])
    ratio = t["MAPE"] / t["MASE"]
    for series, r in ratio.groupby(level="dataset"):
        assert len(r) >= 3
        assert np.abs(r / r.median() - 1).max() < 0.01, f"{series}: {r.round(4).to_dict()}"
    assert ((t["DA"].dropna() > 0.5) & (t["DA"].dropna() < 1)).all()


def test_ding2020():
    claim = papers.ding2020_claim()
    assert len(claim) == 9 and (claim["above"] == 0.95).all()
    study = papers.ding2020_window_study()
    assert list(study.index) == [5, 10, 20, 30]
    assert study.index[study["chosen"]].tolist() == [20]
    assert papers.SETTINGS["ding2020"]["rows"]["000001.SH"] == 6112


def test_every_table_has_a_source_and_is_a_fresh_copy():
    for table in (papers.lu2024_table1, papers.lu2024_rmse, papers.resnetlstm_rmse,
                  papers.bao2021_results, papers.bao2021_data_std, papers.ding2020_claim,
                  papers.ding2020_window_study):
        df = table()
        assert isinstance(df, pd.DataFrame) and df["source"].notna().all()
        df.iloc[0, 0] = -1
        assert table().iloc[0, 0] != -1


def test_one_bibliography_covers_every_citation():
    """book/references.bib is the only bibliography: every cited key and every paper is in it."""
    root = Path(__file__).resolve().parents[1]
    bib = (root / "book" / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M)
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"
    assert set(papers.SETTINGS) | {"guide"} <= set(keys)
    pages = [*root.glob("notebooks/*.py"), *root.glob("book/*.md")]
    cited = {key.strip() for page in pages
             for group in re.findall(r"\{cite[pt]?\}`([^`]+)`", page.read_text(encoding="utf-8"))
             for key in group.split(",")}
    assert cited and cited <= set(keys), f"cited but not in references.bib: {cited - set(keys)}"
    # no second copy of the references in the package
    package = "".join(p.read_text(encoding="utf-8") for p in root.glob("stocklearn/*.py"))
    assert not re.search(r"@(article|misc|book|inproceedings)\{", package)


def test_reported_numbers_live_only_in_the_papers_module():
    """No chapter, page or other module types in a paper's number: they print papers.*()."""
    root = Path(__file__).resolve().parents[1]
    tables = [papers.lu2024_table1(), papers.lu2024_rmse(), papers.resnetlstm_rmse(),
              papers.bao2021_results(), papers.bao2021_data_std()]
    numbers = {str(v) for t in tables for v in t.select_dtypes("number").to_numpy().ravel()
               if np.isfinite(v) and not float(v).is_integer() and len(str(v)) >= 5}
    assert "60.01" in numbers and "27.243" in numbers
    files = [*root.glob("notebooks/*.ipynb"), *root.glob("notebooks/*.py"),
             *root.glob("book/*.md"),
             *(p for p in root.glob("stocklearn/*.py") if p.name != "papers.py")]
    found = {(f.name, n) for f in files for n in numbers if n in f.read_text(encoding="utf-8")}
    assert not found, f"papers' numbers typed outside stocklearn/papers.py: {sorted(found)}"


def test_lu2024_series_match_the_papers_row_counts():
    lu = papers.SETTINGS["lu2024"]
    counts = papers.lu2024_table1()["count"]
    for index, (name, start) in lu["series"].items():
        assert len(load(name, start=start, end=lu["end"])) == counts[index]
