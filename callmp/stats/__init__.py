"""Counting contacts: running totals, the dashboard, exports, the public counter, reports.

Domain code: no Flask.
"""
