"""One module per report section: its views (tables) and figures."""
