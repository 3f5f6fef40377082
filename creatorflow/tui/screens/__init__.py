"""The dashboard's screens: one per mode, the order screen and the dialogs."""
