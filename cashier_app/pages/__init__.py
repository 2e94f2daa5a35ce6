"""The workspace pages of the cashier window, one module each."""
