"""The dashboard's own widgets: they display data and post messages, never read the store."""
