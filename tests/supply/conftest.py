from tests.supply_chain import chain  # noqa: F401  (the supply chain fixture)
