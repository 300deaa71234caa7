"""The users' own settings: the language each one picked, kept across devices and logins."""
