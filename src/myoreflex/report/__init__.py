"""Figures and reports (the faces layer): no science here, only drawing what lower layers computed."""
