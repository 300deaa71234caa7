"""Writes of push planning: forecast refreshes (`forecasts`) and push plans (`push`)."""
