"""Specs shared by the twin, API and dashboard tests (plain data, no Django)."""

DESCRIBED = {
    "horizon_days": 60,
    "seed": 3,
    "replications": 2,
    "stations": [
        {"name": "cut", "unit_time": {"dist": "lognormal", "mean_minutes": 8, "cv": 0.5}},
        {"name": "pack", "machines": 2, "unit_time": {"dist": "exponential", "mean_minutes": 12}},
    ],
    "products": [
        {
            "sku": "NEW-1",
            "container_quantity": 10,
            "lead_time_days": 1,
            "demand": {"kind": "poisson", "rate_per_day": 90},
        }
    ],
    "policies": [
        {"kind": "kanban", "cards": 6},
        {"kind": "conwip", "wip_cap": 6},
        {"kind": "push"},
    ],
}
