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
        "experiment": ["CSI 300 / LSTM", "NASDAQ / GRU"], "metric": ["test RMSE"] * 2,
        "paper": [80.5, None], "ours": [52.3, 250.0], "ours std": [0.4, 30.0],
        "seeds": [2, 2], "persistence": [51.0, 190.0], "linear": [51.2, 191.0],
        "DM p": [0.5, 1e-6]}), profile="fast")
    results.save("07_forecasts_to_decisions", pd.DataFrame({
        "experiment": ["S&P 500 walk-forward LSTM"], "metric": ["RMSE"], "ours": [40.0],
        "persistence": [42.0], "DM p": [0.01]}), profile="fast")
    shown = _execute()
    for text in ("CSI 300 / LSTM", "NASDAQ / GRU", "S&P 500 walk-forward LSTM", "80.5",
                 "52.30", "no better than persistence", "worse than persistence",
                 "beats persistence", "own number no better", "&lt;0.001"):
        assert text in shown, text
    assert "Of the 3 experiments" in shown
    assert "S&P 500 walk-forward LSTM (chapter 7)" in shown  # the one that beats persistence
    assert "No results yet" not in shown


def test_without_results_the_page_says_so():
    shown = _execute()
    assert "No results yet" in shown
    assert "Nothing to summarise" in shown
