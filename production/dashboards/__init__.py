"""Planners' read-only pages: every line at a glance, a line's live KPIs, CSV exports."""
