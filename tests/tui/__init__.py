"""Tests of the Textual dashboard: Pilot tests of every action, snapshots of every screen."""
