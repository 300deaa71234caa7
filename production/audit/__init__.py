"""The audit trail of master data: who changed what, when, and the values before and after.

Kept by django-simple-history: each audited model declares `history = AuditHistory()`
(`records.py`); the services name their actor (`@audited`); `selectors.py` shapes the
history rows into entries with their changed fields; `api.py` serves them at
`GET .../history/`; `admin.py` shows the users' roles' history.
"""
