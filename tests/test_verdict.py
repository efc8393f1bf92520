"""The verdict page: executed against result files, it shows them; without any, it says so."""

from pathlib import Path

import jupytext
import pandas as pd
import pytest

from stocklearn import results

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "verdict.md"


@pytest.fixture(autouse=True)
def _results_in_tmp(tmp_path, monkeypatch):
    """Results go to (and the page reads from) a temporary folder, never the real one."""
    monkeypatch.setenv("STOCKLEARN_RESULTS", str(tmp_path))
    monkeypatch.setenv("STOCKLEARN_PROFILE", "fast")


def _execute() -> str:
    """Run the page as the book does (from book/); return all it displays."""
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(PAGE)
    assert nb.metadata["mystnb"]["execution_mode"] == "force"
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(PAGE.parent)}}).execute()
    shown = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            data = out.get("data", {})
            shown.append(data.get("text/html", "") + data.get("text/markdown", "")
                         + data.get("text/plain", "") + out.get("text", ""))
    return "\n".join(shown)


def test_the_table_shows_every_saved_row():
    results.save("03_rnn_lstm_gru", pd.DataFrame({
        "experiment": ["CSI 300 / LSTM", "NASDAQ / GRU", "CSI 300 / RNN"],
        "metric": ["test RMSE"] * 3, "paper": [80.5, None, 60.0], "ours": [52.3, 250.0, 50.0],
        "per seed": [52.6, 260.0, 50.5], "per seed std": [0.4, 30.0, 0.2],
        "seeds": [2, 2, 2], "persistence": [51.0, 190.0, 51.0], "linear": [51.2, 191.0, 51.0],
        "DM p": [0.5, 1e-6, 0.03], "detectable": [0.031, 0.05, 0.02],
        "cut": ["20 of 100 epochs", "", ""]}), profile="fast")
    results.save("06_error_correction", pd.DataFrame({
        "experiment": ["Shanghai high, chosen on validation"], "metric": ["RMSE"],
        "ours": [20.8], "persistence": [26.8], "linear": [22.9], "DM p": [1e-4],
        "DM p linear": [0.4], "finding": [True],
        "forecast": ["chosen on validation (LSTM,GRU)"]}), profile="fast")
    results.save("07_forecasts_to_decisions", pd.DataFrame({
        "experiment": ["S&P 500 walk-forward LSTM"], "metric": ["RMSE"], "ours": [40.0],
        "persistence": [42.0], "DM p": [0.02]}), profile="fast")
    shown = _execute()
    for text in ("CSI 300 / LSTM", "NASDAQ / GRU", "S&P 500 walk-forward LSTM", "80.5",
                 "52.30", "52.60", "no better than persistence (would detect 3.1 %)",
                 "worse than persistence", "beats persistence, not the linear baseline",
                 "own number no better", "&lt;0.001", "cut: 20 of 100 epochs",
                 "chosen on validation (LSTM,GRU)",
                 "**Run shown on this page:** profile `fast`", "published book"):
        assert text in shown, text
    # five tests; the raw 0.02 and 0.03 do not survive Holm (both 0.06)
    assert "The page runs 5 tests" in shown
    assert "of the 5 experiments 1 beats persistence" in shown
    assert "1 is significantly worse" in shown
    assert "Shanghai high, chosen on validation (chapter 6, not the linear baseline)" in shown
    assert "S&P 500 walk-forward LSTM (chapter 7)" not in shown
    assert "the linear baseline on the same rows (1 row tested" in shown
    assert "No results yet" not in shown


def test_without_results_the_page_says_so():
    shown = _execute()
    assert "No results yet" in shown
    assert "Nothing to summarise" in shown


def test_a_long_table_is_shown_whole():
    """More rows than pandas shows by default (60): every one is on the page."""
    n = 65
    results.save("05_associated_net", pd.DataFrame({
        "experiment": [f"row {i:02d}" for i in range(n)], "metric": ["MAE"] * n,
        "ours": [1.0] * n, "persistence": [1.1] * n, "DM p": [0.5] * n}), profile="fast")
    shown = _execute()
    assert all(f"row {i:02d}" in shown for i in range(n))
    assert f"{n} rows ×" not in shown
