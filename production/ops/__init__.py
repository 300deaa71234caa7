"""Operating Pullboard as a service: health and readiness, metrics, structured logs,
integrity checks of a restored database (README, "Operating Pullboard")."""
