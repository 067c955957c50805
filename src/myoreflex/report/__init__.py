"""Figures and reports (the faces layer): no science here, only drawing what lower layers computed."""
from myoreflex.report.html import build_report as build_report
