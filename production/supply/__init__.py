"""Suppliers and the orders that replenish bought-in and transferred stock (call-offs,
transfer orders): the replenishment sources beside the production line's work orders."""
