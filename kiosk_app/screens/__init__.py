"""The kiosk screens, one module per group of flows; each is a :class:`kiosk_app.screens.base.Screen`."""
