"""Push planning: forecasts per product and push scheduling of the lines in `push` mode.

`core` (planning arithmetic) and `forecasting/` (forecast methods) are pure Python and
numpy with no Django import; `models`, `services/`, `selectors`, `views`, `api` and
`tasks` are the Django side, built on the core of `production`.
"""
