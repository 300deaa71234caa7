"""Reads shaped for the shop-floor pages, one module per concern.

- `board`: the board of a line (columns, swimlanes, cards) and its fingerprint;
- `cards`: print sheets, scan codes and the lost-card audit;
- `loops`: loop and card figures other pages show (the planners' dashboards).

Every read runs a fixed number of queries whatever the number of cards.
"""
