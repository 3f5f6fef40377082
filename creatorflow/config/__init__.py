"""Where CreatorFlow keeps its files, and the settings it reads."""
