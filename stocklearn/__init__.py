"""StockLearn: helpers for an executable course on forecasting stock prices."""

__version__ = "0.1.0"
