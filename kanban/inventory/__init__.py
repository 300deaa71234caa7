"""Card inventory: count the cards that are really there, list the missing and the
unexpected ones, reprint or retire the missing (README, "Card inventory").

Its models are registered in the `kanban` app by `KanbanConfig` (tables `kanban_cardcount`,
`kanban_countedcard`); it builds on the cards, their codes and the loop services.
"""
