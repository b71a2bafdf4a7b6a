"""Campaigns: which are live, their targets, their fields, editing, status and versions.

Domain code: no Flask.
"""
