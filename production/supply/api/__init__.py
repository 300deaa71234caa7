"""API v1 of the supply concern: suppliers/, call-offs/, transfer-orders/."""
