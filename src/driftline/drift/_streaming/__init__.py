"""Streaming change detectors for a univariate stream (private; use :mod:`driftline.drift`)."""

from __future__ import annotations

from driftline.drift._streaming._adwin import ADWIN
from driftline.drift._streaming._base import ChangeDetector
from driftline.drift._streaming._cusum import CUSUM
from driftline.drift._streaming._kswin import KSWIN
from driftline.drift._streaming._page_hinkley import PageHinkley

__all__ = ["ADWIN", "CUSUM", "KSWIN", "ChangeDetector", "PageHinkley"]
