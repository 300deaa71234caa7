"""The supplier's portal: the `supplier` role, its users tied to one supplier each, the
supplier's own board and API (its open call-offs, to confirm and ship), and the e-mail of
each new call-off to the supplier's contact."""
