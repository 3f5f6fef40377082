"""Tests of the local store against real databases."""
