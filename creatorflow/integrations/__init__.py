"""Clients for the outside services CreatorFlow talks to (TikTok Shop, carriers, billing)."""
