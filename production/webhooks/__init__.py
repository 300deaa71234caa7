"""Signed webhooks (Standard Webhooks): subscriptions, deliveries, retries, redelivery.

`dispatch.webhook_emit` is how the domain announces an event; `delivery` sends
one delivery and schedules its retries; `tasks` in `production.tasks` run them.
"""
