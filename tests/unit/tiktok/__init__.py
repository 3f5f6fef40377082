"""Tests for the TikTok Shop integration."""
